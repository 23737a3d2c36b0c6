#!/usr/bin/env python3
"""Scores `tessera link` output against a ground truth.

usage: score_link.py CLUSTERS.csv TRUTH.csv
  CLUSTERS.csv: record_id,person_id (what tessera link writes)
  TRUTH.csv: either true pairs (two id columns, e.g. FEBRL's rec_id_a,rec_id_b) or true clusters
             (record_id and a person/cluster id column).
Prints pairwise precision, recall and F1 (pairs in the same predicted person vs the same true
person) and cluster-level (exact person) precision/recall/F1 when the truth is clusters."""
import csv, sys
from collections import defaultdict

def pairs_of(groups):
    out = set()
    for members in groups.values():
        m = sorted(members)
        for i in range(len(m)):
            for j in range(i + 1, len(m)):
                out.add((m[i], m[j]))
    return out

pred = defaultdict(list)
with open(sys.argv[1]) as f:
    for r in csv.DictReader(f):
        pred[r["person_id"]].append(r["record_id"])
with open(sys.argv[2]) as f:
    rdr = csv.reader(f)
    header = next(rdr)
    rows = list(rdr)
is_pairs = len(header) == 2 and all(h.startswith("rec") or h.endswith("_a") or h.endswith("_b") for h in header) and header[0] != "record_id"
if is_pairs:
    true_pairs = {tuple(sorted(r[:2])) for r in rows}
    truth_groups = None
else:
    idc = header.index("record_id") if "record_id" in header else 0
    pc = [i for i, h in enumerate(header) if i != idc][0]
    truth_groups = defaultdict(list)
    for r in rows:
        truth_groups[r[pc]].append(r[idc])
    true_pairs = pairs_of(truth_groups)
pred_pairs = pairs_of(pred)
tp = len(pred_pairs & true_pairs)
p = tp / len(pred_pairs) if pred_pairs else 0.0
r = tp / len(true_pairs) if true_pairs else 0.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
print(f"pairwise: predicted {len(pred_pairs)}, true {len(true_pairs)}, precision {p:.4f}, recall {r:.4f}, F1 {f1:.4f}")
print(f"persons: predicted {len(pred)}" + (f", true {len(truth_groups)}" if truth_groups else ""))
if truth_groups:
    tset = {frozenset(v) for v in truth_groups.values()}
    pset = {frozenset(v) for v in pred.values()}
    exact = len(tset & pset)
    cp, cr = exact / len(pset), exact / len(tset)
    print(f"clusters: exact {exact}, precision {cp:.4f}, recall {cr:.4f}, F1 {2 * cp * cr / (cp + cr):.4f}")
