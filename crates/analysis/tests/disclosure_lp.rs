//! The attacker's side of disclosure control: for every table published with primary and
//! complementary suppression, every hidden cell is recomputed as far as it can be by linear
//! programming from what is published beside it — the published cells, the row totals, the
//! column totals and the grand total (each as published: hidden when the disclosure layer hid
//! it), and that counts are not negative (integrality relaxed). The smallest and largest values
//! the cell can take are its feasible interval.
//!
//! **Protected** means: for every hidden cell whose true count is from 1 to `threshold - 1` (a
//! small cell, hidden by primary suppression), the largest feasible value is at least the
//! threshold — the attacker cannot tell that the cell is small, so cannot tell that a handful of
//! persons lies behind it. The same holds for a small total that was hidden. Every true value
//! must also lie in its interval (else the model, not the table, would be wrong).
//!
//! Tables: a seeded generator of one- and two-way tables (many small cells, structural zeros,
//! thresholds 3, 5 and 10), hand-made tables on which the rule used before (a second hidden
//! cell in every line, nothing more) gave small cells away, and the partners' published
//! dashboards over the demo data with the margins published beside them.

use std::sync::Arc;

use microlp::{ComparisonOp, OptimizationDirection, Problem};
use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::{Disclosure, Facts, Key, Table, TableRow, Unit, suppress_with_margins};
use tessera_dictionary::Dictionary;
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::{Access, Store};

/// What a two-way table publishes, as the attacker sees it. A one-way table is one row whose
/// column totals are not published (each is its cell).
#[derive(Debug, Clone)]
struct Published {
    /// `None`: the combination is not in the table (a known zero); `Some(None)`: hidden.
    cells: Vec<Vec<Option<Option<f64>>>>,
    /// Row totals, column totals and grand total; `None`: hidden or not published.
    rows: Vec<Option<f64>>,
    cols: Vec<Option<f64>>,
    total: Option<f64>,
}

/// One unknown of the attacker's problem.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Unknown {
    Cell(usize, usize),
    Row(usize),
    Col(usize),
    Total,
}

/// The smallest and largest value of `target` consistent with everything published
/// (`f64::INFINITY` when nothing bounds it).
fn interval(p: &Published, target: Unknown) -> (f64, f64) {
    let solve = |dir: OptimizationDirection| -> f64 {
        let mut lp = Problem::new(dir);
        let mut var =
            |u: Unknown| lp.add_var(if u == target { 1.0 } else { 0.0 }, (0.0, f64::INFINITY));
        let (n, m) = (p.rows.len(), p.cols.len());
        let cells: Vec<Vec<Option<microlp::Variable>>> = (0..n)
            .map(|i| {
                (0..m)
                    .map(|j| matches!(p.cells[i][j], Some(None)).then(|| var(Unknown::Cell(i, j))))
                    .collect()
            })
            .collect();
        let rows: Vec<_> = (0..n)
            .map(|i| p.rows[i].is_none().then(|| var(Unknown::Row(i))))
            .collect();
        let cols: Vec<_> = (0..m)
            .map(|j| p.cols[j].is_none().then(|| var(Unknown::Col(j))))
            .collect();
        let total = p.total.is_none().then(|| var(Unknown::Total));
        // One equation per line: its cells minus its total is zero.
        let mut lines: Vec<(Vec<(microlp::Variable, f64)>, f64)> = Vec::new();
        let known = |c: &Option<Option<f64>>| c.flatten().unwrap_or(0.0);
        for i in 0..n {
            let mut terms: Vec<_> = (0..m)
                .filter_map(|j| cells[i][j].map(|v| (v, 1.0)))
                .collect();
            let mut rhs: f64 = -(0..m).map(|j| known(&p.cells[i][j])).sum::<f64>();
            match (rows[i], p.rows[i]) {
                (Some(v), _) => terms.push((v, -1.0)),
                (None, Some(r)) => rhs += r,
                (None, None) => unreachable!(),
            }
            lines.push((terms, rhs));
        }
        for j in 0..m {
            let mut terms: Vec<_> = (0..n)
                .filter_map(|i| cells[i][j].map(|v| (v, 1.0)))
                .collect();
            let mut rhs: f64 = -(0..n).map(|i| known(&p.cells[i][j])).sum::<f64>();
            match (cols[j], p.cols[j]) {
                (Some(v), _) => terms.push((v, -1.0)),
                (None, Some(c)) => rhs += c,
                (None, None) => unreachable!(),
            }
            lines.push((terms, rhs));
        }
        for margins in [
            (0..n).map(|i| (rows[i], p.rows[i])).collect::<Vec<_>>(),
            (0..m).map(|j| (cols[j], p.cols[j])).collect(),
        ] {
            let mut terms: Vec<_> = margins
                .iter()
                .filter_map(|(v, _)| v.map(|v| (v, 1.0)))
                .collect();
            let mut rhs: f64 = -margins.iter().filter_map(|(_, k)| *k).sum::<f64>();
            match (total, p.total) {
                (Some(v), _) => terms.push((v, -1.0)),
                (None, Some(t)) => rhs += t,
                (None, None) => unreachable!(),
            }
            lines.push((terms, rhs));
        }
        for (terms, rhs) in lines {
            if terms.is_empty() {
                assert!(rhs.abs() < 1e-9, "a published line does not add up: {p:?}");
                continue;
            }
            lp.add_constraint(terms.as_slice(), ComparisonOp::Eq, rhs);
        }
        match lp.solve() {
            Ok(outcome) => outcome
                .into_solution()
                .map(|s| s.objective())
                .unwrap_or_else(|_| panic!("interrupted: {p:?}")),
            Err(microlp::Error::Unbounded) => f64::INFINITY,
            Err(e) => panic!("{e}: {p:?}"),
        }
    };
    (
        solve(OptimizationDirection::Minimize),
        solve(OptimizationDirection::Maximize),
    )
}

/// Checks every hidden figure of `p` against the true ones; returns how many small ones were
/// checked. `truth` gives the true value of an unknown.
fn assert_protected(
    p: &Published,
    truth: &dyn Fn(Unknown) -> f64,
    threshold: f64,
    what: &str,
) -> usize {
    let mut unknowns = Vec::new();
    for (i, row) in p.cells.iter().enumerate() {
        for (j, c) in row.iter().enumerate() {
            if matches!(c, Some(None)) {
                unknowns.push(Unknown::Cell(i, j));
            }
        }
    }
    unknowns.extend(
        (0..p.rows.len())
            .filter(|&i| p.rows[i].is_none())
            .map(Unknown::Row),
    );
    unknowns.extend(
        (0..p.cols.len())
            .filter(|&j| p.cols[j].is_none())
            .map(Unknown::Col),
    );
    if p.total.is_none() {
        unknowns.push(Unknown::Total);
    }
    let mut small = 0;
    for u in unknowns {
        let v = truth(u);
        let (low, high) = interval(p, u);
        assert!(
            low <= v + 1e-6 && v <= high + 1e-6,
            "{what}: {u:?} = {v} outside its interval [{low}, {high}]: {p:?}"
        );
        if v > 0.0 && v < threshold {
            small += 1;
            assert!(
                high >= threshold - 1e-6,
                "{what}: the small count {u:?} = {v} is disclosed: it lies in [{low}, {high}], under the threshold {threshold}: {p:?}"
            );
        }
    }
    small
}

fn key(c: &str) -> Key {
    Key::new(c, c)
}

/// A two-way table (`None`: combination absent), or one-way when it has a single row and
/// `one_way`.
fn table(values: &[Vec<Option<f64>>], one_way: bool) -> Table {
    let mut rows = Vec::new();
    for (i, row) in values.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            if let Some(v) = v {
                let mut keys = vec![key(&format!("c{j}"))];
                if !one_way {
                    keys.insert(0, key(&format!("r{i}")));
                }
                rows.push(TableRow {
                    keys,
                    values: vec![Some(*v)],
                });
            }
        }
    }
    Table {
        id: "t".into(),
        title: "t".into(),
        key_headers: if one_way {
            vec!["c".into()]
        } else {
            vec!["r".into(), "c".into()]
        },
        value_headers: vec!["n".into()],
        rows,
        unit: "records".into(),
        suppressed: false,
        drill: None,
    }
}

/// Publishes `values` through the disclosure layer and checks it from the attacker's side.
fn publish_and_attack(values: &[Vec<Option<f64>>], threshold: f64, what: &str) -> usize {
    let one_way = values.len() == 1;
    let t = table(values, one_way);
    let (published, margins) = suppress_with_margins(&t, threshold);
    let (n, m) = (values.len(), values[0].len());
    let value_at = |i: usize, j: usize| -> Option<Option<f64>> {
        values[i][j]?;
        let codes: Vec<String> = if one_way {
            vec![format!("c{j}")]
        } else {
            vec![format!("r{i}"), format!("c{j}")]
        };
        let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
        Some(published.get(&codes))
    };
    let cells: Vec<Vec<Option<Option<f64>>>> = (0..n)
        .map(|i| (0..m).map(|j| value_at(i, j)).collect())
        .collect();
    // Every published cell is the true one and none is small.
    for i in 0..n {
        for j in 0..m {
            if let Some(Some(v)) = cells[i][j] {
                assert_eq!(Some(v), values[i][j], "{what}");
                assert!(v == 0.0 || v >= threshold, "{what}: published {v}");
            }
        }
    }
    let total = margins.total[0];
    let margin_of = |list: &[(Key, Vec<Option<f64>>)], code: String| {
        list.iter()
            .find(|(k, _)| k.code == code)
            .and_then(|(_, v)| v[0])
    };
    let p = if one_way {
        Published {
            cells,
            rows: vec![total],
            cols: vec![None; m],
            total,
        }
    } else {
        // A row or column with no cell is in no margin list: its total is a known zero.
        Published {
            cells,
            rows: (0..n)
                .map(|i| {
                    if values[i].iter().all(Option::is_none) {
                        Some(0.0)
                    } else {
                        margin_of(&margins.rows, format!("r{i}"))
                    }
                })
                .collect(),
            cols: (0..m)
                .map(|j| {
                    if values.iter().all(|r| r[j].is_none()) {
                        Some(0.0)
                    } else {
                        margin_of(&margins.columns, format!("c{j}"))
                    }
                })
                .collect(),
            total,
        }
    };
    let row_sum = |i: usize| values[i].iter().flatten().sum::<f64>();
    let col_sum = |j: usize| values.iter().filter_map(|r| r[j]).sum::<f64>();
    let grand: f64 = (0..n).map(row_sum).sum();
    let truth = |u: Unknown| match u {
        Unknown::Cell(i, j) => values[i][j].unwrap_or(0.0),
        Unknown::Row(i) => row_sum(i),
        Unknown::Col(j) => col_sum(j),
        Unknown::Total => grand,
    };
    assert_protected(&p, &truth, threshold, what)
}

#[test]
fn no_hidden_small_cell_of_a_generated_table_can_be_recomputed() {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut small = 0;
    for case in 0..400 {
        let threshold = [3.0, 5.0, 10.0][(next() % 3) as usize];
        let (n, m) = (1 + next() as usize % 6, 1 + next() as usize % 6);
        let values: Vec<Vec<Option<f64>>> = (0..n)
            .map(|_| {
                (0..m)
                    .map(|_| match next() % 10 {
                        0 => None,
                        1..=3 => Some((1 + next() % (threshold as u64 - 1)) as f64),
                        4 => Some(threshold + (next() % 4) as f64),
                        _ => Some((next() % 90) as f64 + 1.0),
                    })
                    .collect()
            })
            .collect();
        if values.iter().flatten().all(Option::is_none) {
            continue;
        }
        small += publish_and_attack(&values, threshold, &format!("case {case}"));
    }
    assert!(
        small > 300,
        "the generator makes small cells to attack: {small}"
    );
}

#[test]
fn the_cases_the_line_rule_alone_gave_away_are_protected() {
    // One-way, total published: F 120, M 40, X 1, U 2. The rule used before hid X and U only
    // (two hidden cells in the line): from the total, X + U = 3, so each is at most 3.
    let before = Published {
        cells: vec![vec![
            Some(Some(120.0)),
            Some(Some(40.0)),
            Some(None),
            Some(None),
        ]],
        rows: vec![Some(163.0)],
        cols: vec![None; 4],
        total: Some(163.0),
    };
    assert_eq!(interval(&before, Unknown::Cell(0, 2)), (0.0, 3.0));
    publish_and_attack(
        &[vec![Some(120.0), Some(40.0), Some(1.0), Some(2.0)]],
        5.0,
        "one-way",
    );

    // Two-way with margins: two small cells in row 0, and the rule's complements below them in
    // row 1. Every line has two hidden cells, yet row 0's hidden cells add up to 3.
    let values = vec![
        vec![Some(1.0), Some(2.0), Some(50.0)],
        vec![Some(30.0), Some(20.0), Some(40.0)],
        vec![Some(60.0), Some(70.0), Some(80.0)],
    ];
    let before = Published {
        cells: vec![
            vec![Some(None), Some(None), Some(Some(50.0))],
            vec![Some(None), Some(None), Some(Some(40.0))],
            vec![Some(Some(60.0)), Some(Some(70.0)), Some(Some(80.0))],
        ],
        rows: vec![Some(53.0), Some(90.0), Some(210.0)],
        cols: vec![Some(91.0), Some(92.0), Some(170.0)],
        total: Some(353.0),
    };
    assert_eq!(interval(&before, Unknown::Cell(0, 0)), (0.0, 3.0));
    publish_and_attack(&values, 5.0, "two-way");

    // A chain whose only way round runs through another small cell (each line holds two
    // hidden cells and hidden sums of at least the threshold, yet cell (0, 0) moves by 2 at
    // most).
    let values = vec![
        vec![Some(1.0), Some(20.0), None, Some(40.0)],
        vec![Some(20.0), None, Some(20.0), Some(40.0)],
        vec![None, Some(20.0), Some(2.0), Some(40.0)],
        vec![Some(40.0), Some(40.0), Some(40.0), Some(40.0)],
    ];
    publish_and_attack(&values, 5.0, "chain");
}

#[test]
fn a_small_margin_is_protected_with_the_table() {
    // Row 0 has 3 in all: its total is small, hidden with a complementary row total, and its
    // cells with it.
    let values = vec![
        vec![Some(2.0), Some(1.0), None],
        vec![Some(30.0), Some(20.0), Some(40.0)],
        vec![Some(60.0), Some(70.0), Some(80.0)],
        vec![Some(9.0), Some(6.0), Some(12.0)],
    ];
    assert!(publish_and_attack(&values, 5.0, "small margin") >= 3);
}

#[test]
fn rounding_makes_every_published_value_a_multiple_of_the_base() {
    let t = table(
        &[
            vec![Some(2.0), Some(17.0), Some(33.0)],
            vec![Some(41.0), Some(8.0), Some(12.0)],
        ],
        false,
    );
    let d = Disclosure::new(5.0).with_rounding(5);
    let (p, m) = d.table_with_margins(&t);
    let mut seen = 0;
    for v in p
        .rows
        .iter()
        .flat_map(|r| r.values.iter().flatten())
        .chain(
            m.rows
                .iter()
                .chain(&m.columns)
                .flat_map(|(_, v)| v.iter().flatten()),
        )
        .chain(m.total.iter().flatten())
    {
        assert_eq!(v % 5.0, 0.0, "{v}");
        seen += 1;
    }
    assert!(seen >= 6, "{p:?}");
    // Suppressed first (the same cells as without rounding), then rounded.
    let plain = tessera_analysis::suppress(&t, 5.0);
    for (a, b) in plain.rows.iter().zip(&p.rows) {
        assert_eq!(a.values[0].map(|v| d.round(v)), b.values[0]);
    }
    assert!(p.rows.iter().any(|r| {
        r.values[0]
            .is_some_and(|v| v != plain.get(&[&r.keys[0].code, &r.keys[1].code]).unwrap_or(v))
    }));
    assert_eq!(p.get(&["r0", "c0"]), None);
    assert_eq!(d.count(3.0), None);
    assert_eq!(d.count(113.0), Some(115.0));
    assert_eq!(
        Disclosure::new(5.0).count(113.0),
        Some(113.0),
        "off by default"
    );
}

fn dict() -> Dictionary {
    Dictionary::base()
        .unwrap()
        .with_extension(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../dictionary/extensions/cf.toml"),
        )
        .unwrap()
}

/// A one-way published table with the true one: the total taken as published whenever it is
/// not small (what the report's key figures and the dashboards' headlines do).
fn attack_one_way(published: &Table, truth: &Table, threshold: f64, what: &str) -> usize {
    let codes: Vec<&str> = truth.rows.iter().map(|r| r.keys[0].code.as_str()).collect();
    let values: Vec<f64> = truth
        .rows
        .iter()
        .map(|r| r.values[0].unwrap_or(0.0))
        .collect();
    let total: f64 = values.iter().sum();
    let total = (total == 0.0 || total >= threshold).then_some(total);
    // A row the partner's table dropped had every cell hidden.
    let cells = vec![
        codes
            .iter()
            .map(|c| Some(published.get(&[c])))
            .collect::<Vec<_>>(),
    ];
    for (c, v) in codes.iter().zip(&values) {
        if let Some(p) = published.get(&[c]) {
            assert_eq!(p, *v, "{what} {c}");
        }
    }
    let p = Published {
        cells,
        rows: vec![total],
        cols: vec![None; codes.len()],
        total,
    };
    let sum: f64 = values.iter().sum();
    assert_protected(
        &p,
        &|u| match u {
            // A one-way table's "column totals" are its cells.
            Unknown::Cell(_, j) | Unknown::Col(j) => values[j],
            _ => sum,
        },
        threshold,
        what,
    )
}

/// A two-way published table with its published margins, against the true table.
fn attack_two_way(
    published: &Table,
    rows: &dyn Fn(&str) -> Option<f64>,
    cols: &dyn Fn(&str) -> Option<f64>,
    total: Option<f64>,
    truth: &Table,
    threshold: f64,
    what: &str,
) -> usize {
    let mut row_codes: Vec<&str> = Vec::new();
    let mut col_codes: Vec<&str> = Vec::new();
    for r in &truth.rows {
        if !row_codes.contains(&r.keys[0].code.as_str()) {
            row_codes.push(&r.keys[0].code);
        }
        if !col_codes.contains(&r.keys[1].code.as_str()) {
            col_codes.push(&r.keys[1].code);
        }
    }
    let true_value = |a: &str, b: &str| truth.get(&[a, b]);
    let cells: Vec<Vec<Option<Option<f64>>>> = row_codes
        .iter()
        .map(|a| {
            col_codes
                .iter()
                .map(|b| {
                    true_value(a, b)?;
                    let p = published.get(&[a, b]);
                    if let Some(p) = p {
                        assert_eq!(Some(p), true_value(a, b), "{what} {a} {b}");
                    }
                    Some(p)
                })
                .collect()
        })
        .collect();
    let p = Published {
        cells,
        rows: row_codes.iter().map(|c| rows(c)).collect(),
        cols: col_codes.iter().map(|c| cols(c)).collect(),
        total,
    };
    let row_sum = |i: usize| -> f64 {
        col_codes
            .iter()
            .filter_map(|b| true_value(row_codes[i], b))
            .sum()
    };
    let col_sum = |j: usize| -> f64 {
        row_codes
            .iter()
            .filter_map(|a| true_value(a, col_codes[j]))
            .sum()
    };
    let grand: f64 = (0..row_codes.len()).map(row_sum).sum();
    assert_protected(
        &p,
        &|u| match u {
            Unknown::Cell(i, j) => true_value(row_codes[i], col_codes[j]).unwrap_or(0.0),
            Unknown::Row(i) => row_sum(i),
            Unknown::Col(j) => col_sum(j),
            Unknown::Total => grand,
        },
        threshold,
        what,
    )
}

#[tokio::test]
async fn no_hidden_cell_of_the_partners_demo_dashboards_can_be_recomputed() {
    let d = dict();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("t.db").to_str().unwrap())
        .await
        .unwrap();
    let enc = KeyedEncoder::new(&Secret::from_bytes(&[3; 32]).unwrap());
    tessera_demo::run(&store, &d, Arc::new(enc), 1500, 23, &mut Vec::new(), |_| {})
        .await
        .unwrap();
    let facts = Facts::build(&store, &d).await.unwrap();
    let all = Filters::default();
    let national = Scope::Internal(Access::National);
    let mut small = 0;
    for threshold in [5.0, 10.0] {
        let partner = Scope::partner_with(Disclosure::new(threshold));
        let v = tessera_analysis::victims(&facts, &partner, &all, Unit::Records, "en").unwrap();
        let nv = tessera_analysis::victims(&facts, &national, &all, Unit::Records, "en").unwrap();
        // Year × sex with the years, the sexes and the total published beside it.
        let margin = |t: &Table, c: &str| -> Option<f64> { t.get(&[c]) };
        small += attack_two_way(
            &v.by_year_sex,
            &|c| margin(&v.by_year, c),
            &|c| margin(&v.by_sex, c),
            v.total,
            &nv.by_year_sex,
            threshold,
            &format!("victims by year and sex at {threshold}"),
        );
        for (p, t) in [
            (&v.by_sex, &nv.by_sex),
            (&v.by_year, &nv.by_year),
            (&v.by_age_band, &nv.by_age_band),
            (&v.children, &nv.children),
            (&v.by_citizenship, &nv.by_citizenship),
            (&v.by_region, &nv.by_region),
            (&v.cross_border, &nv.cross_border),
            (&v.by_identification_status, &nv.by_identification_status),
        ] {
            small += attack_one_way(p, t, threshold, &format!("{} at {threshold}", t.id));
        }
        let s = tessera_analysis::smuggling(&facts, &partner, &all, Unit::Records, "en").unwrap();
        let ns = tessera_analysis::smuggling(&facts, &national, &all, Unit::Records, "en").unwrap();
        for (p, t) in [
            (&s.migrants_by_sex, &ns.migrants_by_sex),
            (&s.migrants_by_age_band, &ns.migrants_by_age_band),
            (&s.by_transport, &ns.by_transport),
        ] {
            small += attack_one_way(p, t, threshold, &format!("{} at {threshold}", t.id));
        }
        // Two-way tables published without margins: the attacker is given the margins the
        // protection assumed published anyway.
        let f = tessera_analysis::funnel(&facts, &partner, &all, "en").unwrap();
        let nf = tessera_analysis::funnel(&facts, &national, &all, "en").unwrap();
        let fl =
            tessera_analysis::flows(&facts, "victim", &partner, &all, Unit::Records, "en").unwrap();
        let nfl = tessera_analysis::flows(&facts, "victim", &national, &all, Unit::Records, "en")
            .unwrap();
        for (p, t) in [
            (&f.verdicts, &nf.verdicts),
            (&fl.origin_destination, &nfl.origin_destination),
        ] {
            let (_, m) = suppress_with_margins(t, threshold);
            let find = |list: &[(Key, Vec<Option<f64>>)], c: &str| {
                list.iter()
                    .find(|(k, _)| k.code == c)
                    .and_then(|(_, v)| v[0])
            };
            small += attack_two_way(
                p,
                &|c| find(&m.rows, c),
                &|c| find(&m.columns, c),
                m.total[0],
                t,
                threshold,
                &format!("{} at {threshold}", t.id),
            );
        }
    }
    assert!(
        small >= 10,
        "the demo's partner tables have small cells to attack: {small}"
    );
}
