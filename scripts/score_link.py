#!/usr/bin/env python3
"""Scores `tessera link` output against a ground truth.

usage: score_link.py CLUSTERS.csv TRUTH.csv [--candidates PAIRS.csv]
  CLUSTERS.csv: record_id,person_id (what tessera link writes)
  (or provider,entity,provider_ref,person_id, what `tessera link --db` writes)
  TRUTH.csv: either true pairs (two id columns, e.g. FEBRL's rec_id_a,rec_id_b) or true clusters
             (record_id or rec_id and a person/cluster id column; `cluster_id` is preferred).
  PAIRS.csv: the compared pairs (`tessera link --candidates`), to report the blocking recall
             ceiling: the share of true pairs that were compared at all.
Prints pairwise precision, recall and F1 (pairs in the same predicted person vs the same true
person) and cluster-level (exact person) precision/recall/F1 when the truth is clusters.
Counts pairs through the contingency table of predicted x true groups, so a million records (or
a giant wrong cluster) score in seconds without listing pairs."""
import csv
import sys
from collections import Counter, defaultdict


def c2(n):
    return n * (n - 1) // 2


args = sys.argv[1:]
cand_path = None
if "--candidates" in args:
    i = args.index("--candidates")
    cand_path = args[i + 1]
    del args[i : i + 2]
pred_path, truth_path = args



def rid_of(r):
    """A record's id: record_id, or provider/entity/provider_ref for `tessera link --db` output."""
    if "record_id" in r:
        return r["record_id"]
    return f'{r["provider"]}|{r["entity"]}|{r["provider_ref"]}'


pred = {}
with open(pred_path) as f:
    for r in csv.DictReader(f):
        pred[rid_of(r)] = r["person_id"]
with open(truth_path) as f:
    rdr = csv.reader(f)
    header = next(rdr)
    rows = list(rdr)
is_pairs = (
    len(header) == 2
    and all(h.startswith("rec") or h.endswith("_a") or h.endswith("_b") for h in header)
    and header[0] not in ("record_id", "rec_id")
)
truth = {}
if is_pairs:
    # Pairs: union them into true groups (FEBRL's true links are one-to-one, so groups are pairs).
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in rows:
        a, b = find(r[0]), find(r[1])
        if a != b:
            parent[a] = b
    for x in list(parent):
        truth[x] = find(x)
elif "provider_ref" in header:
    with open(truth_path) as f:
        for r in csv.DictReader(f):
            truth[rid_of(r)] = r["person_id"]
    # Only the entity that was linked is scored.
    entities = {k.split("|")[1] for k in pred}
    truth = {k: v for k, v in truth.items() if k.split("|")[1] in entities}
else:
    idc = next((header.index(h) for h in ("record_id", "rec_id") if h in header), 0)
    pc = header.index("cluster_id") if "cluster_id" in header else [i for i in range(len(header)) if i != idc][0]
    for r in rows:
        truth[r[idc]] = r[pc]
# Records absent from the truth are singletons of their own.
true_of = {rid: truth.get(rid, ("single", rid)) for rid in pred}
pred_sizes = Counter(pred.values())
true_sizes = Counter(true_of.values())
cells = Counter((pred[rid], true_of[rid]) for rid in pred)
tp = sum(c2(n) for n in cells.values())
n_pred = sum(c2(n) for n in pred_sizes.values())
n_true = sum(c2(n) for n in true_sizes.values())
p = tp / n_pred if n_pred else 0.0
r = tp / n_true if n_true else 0.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
print(f"pairwise: predicted {n_pred}, true {n_true}, precision {p:.4f}, recall {r:.4f}, F1 {f1:.4f}")
print(f"persons: predicted {len(pred_sizes)}, true {len(true_sizes)}, largest predicted {max(pred_sizes.values())}")
# A predicted person is exact when it holds all the records of one true person and no other.
exact = sum(1 for (pp, tt), n in cells.items() if n == pred_sizes[pp] == true_sizes[tt])
cp, cr = exact / len(pred_sizes), exact / len(true_sizes)
print(f"clusters: exact {exact}, precision {cp:.4f}, recall {cr:.4f}, F1 {2 * cp * cr / (cp + cr):.4f}")
if cand_path:
    hit = 0
    n = 0
    with open(cand_path) as f:
        for row in csv.DictReader(f):
            n += 1
            if true_of.get(row["record_id_a"]) == true_of.get(row["record_id_b"]):
                hit += 1
    print(f"blocking: {n} pairs compared, recall ceiling {hit / n_true:.4f}")
