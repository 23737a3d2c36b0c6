#!/usr/bin/env python3
"""DuckDB side of the dashboard benchmark (issue 7): loads the approved rows that
`bench_analysis` exported as CSV into DuckDB tables (lists for multi-valued variables), runs
the same aggregates, and prints p50/p95 and the same checksum (result rows, sum of the first
value) per query, so the two sides can be compared line by line.

usage: bench-analysis.py OUT_DIR [REPS] [THREADS]
"""
import statistics
import sys
import time

import duckdb

out = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 21
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 2

con = duckdb.connect()
con.execute(f"SET threads = {threads}")


def lst(col):
    # A missing multi-valued variable is one NULL element, so UNNEST keeps the record in a
    # "not recorded" group, as Tessera's tables do.
    return f"CASE WHEN {col} IS NULL OR {col} = '' THEN [NULL::VARCHAR] ELSE string_split({col}, ';') END AS {col}"


t0 = time.perf_counter()
con.execute(f"""
CREATE TABLE v AS SELECT id, provider_id, provider_type, year, sex, age_band,
  {lst('citizenship')}, {lst('exploitation')}, region_identified, country_of_origin,
  country_of_exploitation, {lst('transit_countries')}, cross_border, {lst('vulnerabilities')},
  referred_to_assistance, identification_status
FROM read_csv('{out}/victim.csv', header = true, all_varchar = true)""")
con.execute(f"""
CREATE TABLE c AS SELECT id, provider_id, year, offence,
  CASE WHEN offence LIKE '0204%' THEN 'TIP' WHEN offence LIKE '08051%' THEN 'SOM' ELSE 'OTHER' END AS offence_group,
  stage, CAST(investigation_date AS DATE) AS investigation_date,
  CAST(prosecution_date AS DATE) AS prosecution_date, CAST(judgment_date AS DATE) AS judgment_date, verdict
FROM read_csv('{out}/cj_case.csv', header = true, all_varchar = true)""")
con.execute(f"""
CREATE TABLE s AS SELECT id, year, country_of_origin, destination_country, transport_mode,
  CAST(migrants_count AS INTEGER) AS migrants_count, CAST(NULLIF(deaths, '') AS INTEGER) AS deaths,
  CAST(NULLIF(injuries, '') AS INTEGER) AS injuries
FROM read_csv('{out}/smuggling_incident.csv', header = true, all_varchar = true)""")
load = time.perf_counter() - t0
n = con.execute("SELECT count(*) FROM v").fetchone()[0]
print(f"LOAD\t{load:.3f}\tvictims={n}", flush=True)

Q = {
    "q01_victims_by_year": "SELECT year, count(*) FROM v GROUP BY year",
    "q02_victims_by_year_sex": "SELECT year, sex, count(*) FROM v GROUP BY year, sex",
    "q03_victims_by_age_band": "SELECT age_band, count(*) FROM v GROUP BY age_band",
    "q04_victims_by_exploitation": "SELECT e, count(*) FROM (SELECT UNNEST(exploitation) AS e FROM v) GROUP BY e",
    "q05_victims_by_citizenship": "SELECT e, count(*) FROM (SELECT UNNEST(citizenship) AS e FROM v) GROUP BY e",
    "q06_victims_by_region": "SELECT region_identified, count(*) FROM v GROUP BY region_identified",
    "q07_victims_by_provider_type": "SELECT provider_type, count(*) FROM v GROUP BY provider_type",
    "q08_victims_vulnerable": "SELECT e, count(*) FROM (SELECT UNNEST(vulnerabilities) AS e FROM v) GROUP BY e",
    "q09_victims_cross_border": "SELECT cross_border, count(*) FROM v GROUP BY cross_border",
    "q10_victims_origin_exploitation": "SELECT country_of_origin, country_of_exploitation, count(*) FROM v GROUP BY ALL",
    "q11_filtered_by_exploitation": "SELECT e, count(*) FROM (SELECT UNNEST(exploitation) AS e FROM v WHERE year = '2023' AND sex = 'F' AND provider_type IN ('NGO', 'SOCIAL')) GROUP BY e",
    "q12_smuggling_migrants_by_year": "SELECT year, sum(migrants_count) FROM s GROUP BY year",
    "q13_cj_funnel": """
        SELECT g, k, n FROM (
          SELECT coalesce(offence_group, 'ALL') AS g,
            count(*) AS inv,
            count(*) FILTER (WHERE prosecution_date IS NOT NULL OR stage IN ('PROSECUTION', 'JUDGMENT', 'APPEAL')) AS pros,
            count(*) FILTER (WHERE judgment_date IS NOT NULL OR verdict IS NOT NULL) AS judged,
            count(*) FILTER (WHERE verdict = 'CONVICTED') AS conv,
            median(prosecution_date - investigation_date) AS d1,
            median(judgment_date - prosecution_date) AS d2,
            median(judgment_date - investigation_date) AS d3
          FROM c GROUP BY ROLLUP (offence_group)
        ) UNPIVOT (n FOR k IN (inv, pros, judged, conv))""",
}
# The victim dashboard computes twelve tables in one call; DuckDB runs the same twelve queries.
DASH = [
    "SELECT year, count(*) FROM v GROUP BY year",
    "SELECT year, sex, count(*) FROM v GROUP BY year, sex",
    "SELECT sex, count(*) FROM v GROUP BY sex",
    "SELECT age_band, count(*) FROM v GROUP BY age_band",
    "SELECT CASE WHEN age_band IN ('0-11', '12-17', 'CHILD') THEN 'CHILD' WHEN age_band IS NULL OR age_band = 'UNK' THEN NULL ELSE 'ADULT' END AS ch, count(*) FROM v GROUP BY ch",
    Q["q05_victims_by_citizenship"],
    Q["q04_victims_by_exploitation"],
    Q["q06_victims_by_region"],
    Q["q07_victims_by_provider_type"],
    Q["q08_victims_vulnerable"],
    Q["q09_victims_cross_border"],
    "SELECT identification_status, count(*) FROM v GROUP BY identification_status",
]


def timed(fn):
    fn()
    times = []
    res = None
    for _ in range(reps):
        t0 = time.perf_counter()
        res = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), times[round((len(times) - 1) * 0.95)], res


def run(prefix):
    for name, sql in Q.items():
        p50, p95, rows = timed(lambda: con.execute(sql).fetchall())
        total = sum(r[-1] or 0 for r in rows)
        print(f"{prefix}{name}\tp50_ms={p50:.2f}\tp95_ms={p95:.2f}\tcells={len(rows)}\tsum={float(total)}", flush=True)
    p50, p95, rows = timed(lambda: [con.execute(q).fetchall() for q in DASH])
    print(f"{prefix}dash_victims_all_tables\tp50_ms={p50:.2f}\tp95_ms={p95:.2f}\tcells={len(rows[0])}\tsum={float(sum(r[-1] for r in rows[0]))}", flush=True)


# 1. Columns as the CSV gives them (VARCHAR, lists of VARCHAR).
run("")

# 2. Typed as Tessera types them: every code column an ENUM (dictionary-encoded, like Tessera's
# u16 codes), lists of ENUM, years as integers.
t0 = time.perf_counter()
con.execute("CREATE SCHEMA t")
CODES = {
    "v": ["provider_id", "provider_type", "sex", "age_band", "region_identified", "country_of_origin",
          "country_of_exploitation", "cross_border", "referred_to_assistance", "identification_status"],
    "c": ["provider_id", "offence", "offence_group", "stage", "verdict"],
    "s": ["country_of_origin", "destination_country", "transport_mode"],
}
LISTS = {"v": ["citizenship", "exploitation", "transit_countries", "vulnerabilities"]}
for table, cols in CODES.items():
    for col in cols:
        con.execute(f"CREATE TYPE t.{table}_{col} AS ENUM (SELECT DISTINCT {col} FROM main.{table} WHERE {col} IS NOT NULL ORDER BY 1)")
    for col in LISTS.get(table, []):
        con.execute(f"CREATE TYPE t.{table}_{col} AS ENUM (SELECT DISTINCT e FROM (SELECT UNNEST({col}) AS e FROM main.{table}) WHERE e IS NOT NULL ORDER BY 1)")
    all_cols = [r[0] for r in con.execute(f"DESCRIBE main.{table}").fetchall()]
    sel = []
    for col in all_cols:
        if col in cols:
            sel.append(f"CAST({col} AS t.{table}_{col}) AS {col}")
        elif col in LISTS.get(table, []):
            sel.append(f"CAST({col} AS t.{table}_{col}[]) AS {col}")
        elif col in ("year", "id"):
            sel.append(f"CAST({col} AS INTEGER) AS {col}")
        else:
            sel.append(col)
    con.execute(f"CREATE TABLE t.{table} AS SELECT {', '.join(sel)} FROM main.{table}")
con.execute("SET schema = 't'")
print(f"LOAD_ENUM\t{time.perf_counter() - t0:.3f}", flush=True)
run("enum:")
