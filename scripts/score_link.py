#!/usr/bin/env python3
"""Scores `tessera link` output against a ground truth.

usage: score_link.py CLUSTERS.csv TRUTH.csv [--candidates PAIRS.csv] [--explain DATA.csv ...]
  CLUSTERS.csv: record_id,person_id (what tessera link writes)
  (or provider,entity,provider_ref,person_id, what `tessera link --db` writes)
  TRUTH.csv: either true pairs (two id columns, e.g. FEBRL's rec_id_a,rec_id_b) or true clusters
             (record_id or rec_id and a person/cluster id column; `cluster_id` is preferred).
  PAIRS.csv: the compared pairs (`tessera link --candidates`), to report the blocking recall
             ceiling: the share of true pairs that were compared at all.
  DATA.csv: the benchmark's clear records (FEBRL columns: rec_id, given_name, surname,
             date_of_birth, soc_sec_id), to break the missed and the false pairs down by how
             their names, dates and IDs differ. For diagnosis of a benchmark only: the clear
             values never reach the linkage.
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
explain = []
if "--explain" in args:
    i = args.index("--explain")
    explain = args[i + 1 :]
    del args[i:]
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

if explain:
    import random

    data = {}
    for path in explain:
        with open(path) as f:
            for r in csv.DictReader(f):
                data[r.get("rec_id") or r.get("record_id")] = r

    def kind(a, b):
        """How two records' clear identifiers differ, in a few words."""

        def norm(v):
            return (v or "").strip().lower()

        ga, gb, sa, sb = (norm(a.get("given_name")), norm(b.get("given_name")),
                          norm(a.get("surname")), norm(b.get("surname")))
        if {ga, sa} == {gb, sb} and ga and sa:
            name = "name same" if (ga, sa) == (gb, sb) else "name swapped"
        elif ga == gb and ga:
            name = "given same" if sa and sb else "given same, family missing"
        elif sa == sb and sa:
            name = "family same" if ga and gb else "family same, given missing"
        elif ga in (sb,) or sa in (gb,):
            name = "swapped+changed"
        else:
            name = "both parts differ"
        da, db = norm(a.get("date_of_birth")), norm(b.get("date_of_birth"))
        if not da or not db:
            date = "date missing"
        elif da == db:
            date = "date same"
        elif da[:4] == db[:4] and da[4:6] == db[6:8] and da[6:8] == db[4:6]:
            date = "date swapped"
        elif da[4:] == "0101" or db[4:] == "0101":
            date = "date 01-01"
        elif da[4:] == db[4:]:
            date = "year differs"
        elif sum(x != y for x, y in zip(da, db)) == 1:
            date = "one digit"
        else:
            date = "date differs"
        ia, ib = norm(a.get("soc_sec_id")), norm(b.get("soc_sec_id"))
        idk = "id same" if ia and ia == ib else ("id missing" if not ia or not ib else "id differs")
        return f"{name} | {date} | {idk}"

    compared = set()
    if cand_path:
        with open(cand_path) as f:
            for row in csv.DictReader(f):
                compared.add((row["record_id_a"], row["record_id_b"]))
                compared.add((row["record_id_b"], row["record_id_a"]))
    members = defaultdict(list)
    for rid, t in true_of.items():
        members[t].append(rid)
    missed, blocked = Counter(), Counter()
    for rids in members.values():
        for i in range(len(rids)):
            for j in range(i + 1, len(rids)):
                a, b = rids[i], rids[j]
                if pred[a] != pred[b] and a in data and b in data:
                    k = kind(data[a], data[b])
                    missed[k] += 1
                    if cand_path and (a, b) not in compared:
                        blocked[k] += 1
    print(f"missed true pairs by kind (never compared{'' if cand_path else ': give --candidates'}):")
    for k, n in missed.most_common(25):
        print(f"  {n:7d} ({blocked[k]:7d})  {k}")
    by_pred = defaultdict(list)
    for rid, p in pred.items():
        by_pred[p].append(rid)
    false = Counter()
    rng = random.Random(1)
    for rids in by_pred.values():
        if len(rids) > 50:
            rids = rng.sample(rids, 50)
        for i in range(len(rids)):
            for j in range(i + 1, len(rids)):
                a, b = rids[i], rids[j]
                if true_of[a] != true_of[b] and a in data and b in data:
                    false[kind(data[a], data[b])] += 1
    print("false pairs by kind:")
    for k, n in false.most_common(15):
        print(f"  {n:7d}  {k}")
