#!/usr/bin/env python3
"""Splink 5 (DuckDB) on the columns Tessera reads from a victim register: given and family name,
birth date (complete, year only or missing), sex and citizenship. The anchor for issue 15.

usage:
  splink_registers.py registers DATA.csv TRUTH.csv   # tessera-registers output (dedupe)
  splink_registers.py febrl4-names DATA_DIR          # FEBRL4 A x B, names and birth date only

Model (Splink's own tools, set up as well as we know how):
  preparation: names lower-cased, accents and punctuation dropped; birth dates parsed from
    YYYY-MM-DD, DD/MM/YYYY, YYYYMMDD or YYYY into `birth_date` (complete dates only), `birth_ym`
    and `birth_year`; an order-free `name_sorted` (the name tokens sorted).
  comparisons: ForenameSurnameComparison (exact, columns reversed, Jaro-Winkler .92/.88, with
    term frequencies), birth date (exact; same year and month; same year; years one apart;
    else; null when either side has no year), sex and citizenship exact (citizenship with term
    frequencies).
  blocking for prediction: name_sorted; given+family; family+birth_year; given+birth_year;
    birth_date; the first three letters of both names.
  training: lambda from name_sorted+birth_date with recall 0.8 (registers) or 0.9 (FEBRL4);
    u by random sampling (1e7 pairs); EM sessions blocked on name_sorted (trains the date, sex,
    citizenship) and on birth_date (trains the names).
Prints train and predict time (inside the process), the process time, blocking recall, pairwise
P/R/F1 at p >= 0.5 and at the best-F1 threshold (an oracle: it uses the labels), and for
registers the persons from connected components at p >= 0.5.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import unicodedata

import pandas as pd

import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

T0 = time.perf_counter()


def fold(s):
    if s is None or (isinstance(s, float) and s != s):
        return None
    s = unicodedata.normalize("NFKD", str(s))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    return s or None


def parse_date(s):
    """-> (complete date or None, year-month or None, year or None)"""
    if s is None or (isinstance(s, float) and s != s):
        return None, None, None
    s = str(s).strip()
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s) or None
    if m:
        y, mo, d = m.groups()
    elif re.fullmatch(r"\d{8}", s):
        y, mo, d = s[:4], s[4:6], s[6:]
    elif (m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", s)):
        d, mo, y = m.groups()
    elif re.fullmatch(r"\d{4}", s):
        return None, None, int(s)
    else:
        return None, None, None
    if not (1 <= int(mo) <= 12 and 1 <= int(d) <= 31):
        return None, None, int(y) if y.isdigit() else None
    return f"{y}-{mo}-{d}", f"{y}-{mo}", int(y)


def prepare(df, given, family, dob, uid):
    out = pd.DataFrame({"unique_id": df[uid].astype(str)})
    out["given_name"] = df[given].map(fold)
    out["family_name"] = df[family].map(fold)
    parsed = df[dob].map(parse_date)
    out["birth_date"] = parsed.map(lambda p: p[0])
    out["birth_ym"] = parsed.map(lambda p: p[1])
    out["birth_year"] = parsed.map(lambda p: p[2]).astype("Int64")
    out["name_sorted"] = [
        " ".join(sorted(((g or "") + " " + (f or "")).split())) or None
        for g, f in zip(out["given_name"], out["family_name"])
    ]
    for c in ("sex", "citizenship"):
        out[c] = df[c].map(lambda v: None if v is None or v != v or str(v).strip() == "" else str(v).strip()) if c in df else None
    return out.astype(object).where(out.notna(), None)


def settings(link_type, with_sex_cit):
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_date"),
            cll.ExactMatchLevel("birth_ym"),
            cll.ExactMatchLevel("birth_year"),
            cll.AbsoluteDifferenceLevel("birth_year", 1),
            cll.ElseLevel(),
        ],
    )
    comparisons = [
        cl.ForenameSurnameComparison("given_name", "family_name").configure(
            term_frequency_adjustments=True
        ),
        birth,
    ]
    if with_sex_cit:
        comparisons += [
            cl.ExactMatch("sex"),
            cl.ExactMatch("citizenship").configure(term_frequency_adjustments=True),
        ]
    return SettingsCreator(
        link_type=link_type,
        unique_id_column_name="unique_id",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[
            block_on("name_sorted"),
            block_on("given_name", "family_name"),
            block_on("family_name", "birth_year"),
            block_on("given_name", "birth_year"),
            block_on("birth_date"),
            block_on("substr(given_name,1,3)", "substr(family_name,1,3)"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def run(tables, link_type, with_sex_cit, recall):
    db = DuckDBAPI()
    sdfs = [db.register(t) for t in tables]
    linker = Linker(sdfs if len(sdfs) > 1 else sdfs[0], settings(link_type, with_sex_cit),
                    log_level=logging.WARNING)
    t0 = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("name_sorted", "birth_date")], recall=recall)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=42)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_sorted"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    t1 = time.perf_counter()
    pred = linker.inference.predict()
    pred.as_duckdbpyrelation().count("*").fetchall()
    t2 = time.perf_counter()
    return linker, db, pred, t1 - t0, t2 - t1


def prf(tp, n_pred, n_true):
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_true if n_true else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def evaluate(con, pred, n_true):
    con.execute(
        f"""create or replace temp table _s as
        select s.match_probability p, (t.l is not null) hit
        from (select least(unique_id_l, unique_id_r) l, greatest(unique_id_l, unique_id_r) r,
                     match_probability from {pred.physical_name}) s
        left join truth t on s.l = t.l and s.r = t.r""")
    n, hit, sel, tp = con.sql(
        "select count(*), count(*) filter (hit), count(*) filter (p >= 0.5), "
        "count(*) filter (hit and p >= 0.5) from _s").fetchall()[0]
    best = con.sql(
        f"""with g as (select p, count(*) n, count(*) filter (hit) tp from _s group by p),
        c as (select p, sum(n) over (order by p desc) k, sum(tp) over (order by p desc) tpc from g)
        select p, k, tpc from c order by 2.0 * tpc / (k + {n_true}) desc limit 1""").fetchall()[0]
    b = prf(int(best[2]), int(best[1]), n_true)
    b["threshold"] = round(float(best[0]), 4)
    return {"pairs_compared": int(n), "blocking_recall": round(hit / n_true, 4),
            "at_0.5": prf(int(tp), int(sel), n_true), "best_f1": b}


def main():
    mode = sys.argv[1]
    if mode == "registers":
        raw = pd.read_csv(sys.argv[2], dtype=str, keep_default_na=False)
        truth = pd.read_csv(sys.argv[3], dtype=str)
        d = prepare(raw, "given_name", "family_name", "birth_date", "record_id")
        linker, db, pred, t_train, t_pred = run([d], "dedupe_only", True, 0.8)
        con = db.duckdb_con
        con.register("_ids", truth)
        con.execute("create or replace temp table truth as select a.record_id l, b.record_id r "
                    "from _ids a join _ids b on a.cluster_id = b.cluster_id and a.record_id < b.record_id")
        n_true = con.sql("select count(*) from truth").fetchall()[0][0]
        res = {"task": f"registers {sys.argv[2]}", "records": len(d),
               "persons_true": int(truth["cluster_id"].nunique()),
               "train_s": round(t_train, 2), "predict_s": round(t_pred, 2)}
        res.update(evaluate(con, pred, n_true))
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(pred, 0.5)
        c = clusters.physical_name
        n_pred, tp, persons = con.sql(
            f"""with pp as (select a.unique_id l, b.unique_id r from {c} a join {c} b
                  on a.cluster_id = b.cluster_id and a.unique_id < b.unique_id)
            select count(*), count(t.l), (select count(distinct cluster_id) from {c})
            from pp left join truth t on pp.l = t.l and pp.r = t.r""").fetchall()[0]
        res["components_at_0.5"] = prf(int(tp), int(n_pred), n_true)
        res["components_at_0.5"]["persons"] = int(persons)
    else:
        import pathlib
        data = pathlib.Path(sys.argv[2])
        tabs = []
        for name in ("febrl4_a.csv", "febrl4_b.csv"):
            raw = pd.read_csv(data / name, dtype=str, keep_default_na=False)
            tabs.append(prepare(raw, "given_name", "surname", "date_of_birth", "rec_id"))
        links = pd.read_csv(data / "febrl4_true_links.csv", dtype=str)
        linker, db, pred, t_train, t_pred = run(tabs, "link_only", False, 0.9)
        con = db.duckdb_con
        links = links.set_axis(["a", "b"], axis=1)
        con.register("_l", links)
        con.execute("create or replace temp table truth as select least(a, b) l, greatest(a, b) r from _l")
        n_true = con.sql("select count(*) from truth").fetchall()[0][0]
        res = {"task": "febrl4 names and birth date only", "train_s": round(t_train, 2),
               "predict_s": round(t_pred, 2)}
        res.update(evaluate(con, pred, n_true))
    res["process_s"] = round(time.perf_counter() - T0, 2)
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
