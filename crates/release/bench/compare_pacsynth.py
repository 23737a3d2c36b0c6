"""Synthetic microdata: Tessera's release beside Microsoft's pac-synth on the same persons and ε.

    python compare_pacsynth.py synth REAL.csv EPSILON OUT.csv        # run pac-synth (timed by the caller)
    python compare_pacsynth.py score REAL.csv SYNTH.csv [SYNTH.csv …]  # marginal errors
    python compare_pacsynth.py victims REAL.csv VICTIMS.csv            # the DP table's persons
    python compare_pacsynth.py tables VICTIMS.csv DP.csv SYNTH.csv …   # table errors

REAL.csv is what `synth_bench export` writes (one row per unique person, releasable variables,
values as codes). The score is the total variation distance (half the L1 distance between the
two proportions) on every 1-, 2- and 3-way marginal, averaged and at worst, computed the same way
for every file. pac-synth is run with its defaults (reporting length 3, δ = 1/(n ln n),
Gaussian noise) at the given ε: it is (ε, δ)-differentially private, Tessera's release is
ε-differentially private (δ = 0).
"""

import itertools
import sys

import pandas as pd


def synth(real, epsilon, out):
    import pacsynth

    import time

    df = pd.read_csv(real, dtype=str, keep_default_na=False)
    started = time.perf_counter()
    # pac-synth reads empty strings as "no value"; every value here is a code.
    data = pacsynth.Dataset.from_data_frame(df)
    params = (
        pacsynth.DpAggregateSeededParametersBuilder()
        .reporting_length(min(3, len(df.columns)) if len(df.columns) > 4 else len(df.columns))
        .epsilon(float(epsilon))
        .build()
    )
    synth = pacsynth.DpAggregateSeededSynthesizer(params)
    synth.fit(data)
    # The sample is raw data: a header row, then one row per synthetic record. pac-synth draws
    # from its own generator and takes no seed.
    rows = pacsynth.Dataset.raw_data_to_data_frame(synth.sample())
    took = time.perf_counter() - started
    rows.to_csv(out, index=False)
    blank = (rows == "").to_numpy().mean()
    print(
        f"pac-synth: {len(rows)} synthetic rows from {len(df)} in {took:.2f} s (fit and sample);"
        f" {blank:.1%} of the values left blank",
        file=sys.stderr,
    )


def tvd(a, b, cols):
    pa = a.groupby(cols).size() / len(a)
    pb = b.groupby(cols).size() / max(len(b), 1)
    both = pd.concat([pa, pb], axis=1).fillna(0.0)
    return 0.5 * (both.iloc[:, 0] - both.iloc[:, 1]).abs().sum()


def score(real, synths):
    a = pd.read_csv(real, dtype=str, keep_default_na=False)
    cols = list(a.columns)
    print(f"{'file':40} {'rows':>7} {'1-way mean/max':>16} {'2-way mean/max':>16} {'3-way mean/max':>16}")
    for s in synths:
        b = pd.read_csv(s, dtype=str, keep_default_na=False)
        b = b.reindex(columns=cols, fill_value="")
        out = [f"{s:40}", f"{len(b):>7}"]
        for k in (1, 2, 3):
            errs = [tvd(a, b, list(c)) for c in itertools.combinations(cols, k)]
            out.append(f"{sum(errs) / len(errs):>8.4f}/{max(errs):.4f}")
        print(" ".join(out))


TABLE = ["date_identified", "sex", "age_band", "exploitation"]


def victims(real, out):
    """The persons of the DP table (`tessera release dp`): not "not a victim", its variables."""
    a = pd.read_csv(real, dtype=str, keep_default_na=False)
    a[a.identification_status != "NOT_VICTIM"][TABLE].to_csv(out, index=False)


def tables(real, dp, synths):
    """Mean absolute error per cell of the full table and of every margin, from the DP release
    (its published cells) and from counting synthetic rows (rescaled to their own total)."""
    a = pd.read_csv(real, dtype=str, keep_default_na=False)
    d = pd.read_csv(dp, dtype=str, keep_default_na=False)
    d["count"] = d["count"].astype(int)
    full = d[d.table == "+".join(TABLE)].set_index(TABLE)["count"]
    truth = a.groupby(TABLE).size().reindex(full.index, fill_value=0)

    def errors(counts):
        out = []
        for k in (4, 3, 2, 1):
            errs = []
            for cols in itertools.combinations(TABLE, k):
                t = truth.groupby(level=list(cols)).sum()
                c = counts.groupby(level=list(cols)).sum().reindex(t.index, fill_value=0)
                errs.append((t - c).abs().mean())
            out.append(sum(errs) / len(errs))
        total = abs(truth.sum() - counts.sum())
        return out, total

    print(f"{'release':40} {'4-way':>7} {'3-way':>7} {'2-way':>7} {'1-way':>7} {'total':>6}  (mean |error| per cell)")
    rows = [(dp, full)]
    for s in synths:
        b = pd.read_csv(s, dtype=str, keep_default_na=False)
        rows.append((s, b.groupby(TABLE).size().reindex(full.index, fill_value=0)))
    for name, counts in rows:
        (e4, e3, e2, e1), total = errors(counts)
        print(f"{name:40} {e4:7.2f} {e3:7.2f} {e2:7.2f} {e1:7.2f} {total:6.0f}")


if __name__ == "__main__":
    if sys.argv[1] == "synth":
        synth(*sys.argv[2:5])
    elif sys.argv[1] == "victims":
        victims(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "tables":
        tables(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        score(sys.argv[2], sys.argv[3:])
