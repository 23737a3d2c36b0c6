//! Statistical disclosure control for figures leaving the coordination body (partners,
//! publications, international returns, the annual report): one layer, [`Disclosure`], applied to
//! every table and total that leaves.
//!
//! **Primary suppression** hides every cell with `0 < value < threshold`: a count of 1 to 4
//! victims of a given sex, age and region can point at a person. **Complementary suppression**
//! then hides further cells so that no hidden small cell can be worked out from what is
//! published. What an attacker is taken to know: every published cell, the total of every
//! *line* (the cells that differ in one key only — the grand total of a one-way table, the row
//! and column totals and the grand total of a two-way table) unless that total is itself hidden,
//! and that counts are not negative. A hidden small cell is **protected** when, from all that,
//! the largest value it could have is at least the threshold: the attacker cannot tell that it
//! lies from 1 to `threshold - 1`. Concretely:
//!
//! * **One-way tables** (and the line of a single key): the hidden cells of the line must add up
//!   to at least the threshold — their sum is the published total minus the published cells, and
//!   bounds each of them. The smallest visible non-zero cell that closes the gap is hidden (else
//!   the largest, and again).
//! * **Two-way tables** are protected together with their margins ([`suppress_with_margins`]):
//!   the row totals and the column totals are each protected as a one-way table with the grand
//!   total (exactly as such a table is published on its own), so a page that shows them beside
//!   the table hides the same ones. Every row and column with one hidden cell gets a second; then
//!   for every small cell (and small margin) the largest value consistent with everything
//!   published is computed exactly — a maximum flow over the hidden cells, the transportation
//!   structure of a table with its margins — and while it is below the threshold a cell across
//!   the minimum cut is hidden. `tests/disclosure_lp.rs` recomputes every hidden cell by linear
//!   programming from the published cells and margins and checks the bound.
//! * **Tables of three keys or more**: every line gets a second hidden cell and a hidden sum of at
//!   least the threshold (necessary conditions, not an exact check).
//!
//! Each value column is protected on its own. A line of a single cell is its own margin: hiding
//! the cell is enough (the margin is the same number, and it is hidden as a small total).
//! Multi-valued keys (a victim counted under each of her forms of exploitation) make a line's
//! cells add up to more than its total: the check above then assumes the attacker knows more
//! than he does.
//!
//! **Rounding** (optional, the deployment setting `disclosure_rounding`: 0 for none, else a base
//! such as 5 or 10) is applied after suppression to every published count and total: a published
//! figure is then the nearest multiple of the base, and totals need not equal the sum of rounded
//! cells.

use rustc_hash::FxHashMap;

use crate::table::{Key, Table};

/// Cells below this are hidden unless configured otherwise.
pub const DEFAULT_THRESHOLD: f64 = 5.0;

/// The deployment setting that overrides [`DEFAULT_THRESHOLD`]: a whole number of at least 2.
pub const THRESHOLD_SETTING: &str = "disclosure_threshold";

/// The deployment setting of the rounding base: `0` (the default) for none, else a whole number
/// from 2 to 100 (typically 5 or 10).
pub const ROUNDING_SETTING: &str = "disclosure_rounding";

/// The deployment's threshold: the `disclosure_threshold` setting, else [`DEFAULT_THRESHOLD`].
/// A setting that is not a whole number from 2 to 1000 is refused rather than ignored, so a
/// mistyped value never publishes smaller cells than intended.
pub async fn deployment_threshold(
    store: &tessera_store::Store,
) -> Result<f64, crate::AnalysisError> {
    match store.setting(THRESHOLD_SETTING).await? {
        None => Ok(DEFAULT_THRESHOLD),
        Some(text) => parse_threshold(&text),
    }
}

/// The deployment's whole disclosure control: threshold and rounding base (both settings).
pub async fn deployment_disclosure(
    store: &tessera_store::Store,
) -> Result<Disclosure, crate::AnalysisError> {
    let threshold = deployment_threshold(store).await?;
    let rounding = match store.setting(ROUNDING_SETTING).await? {
        None => 0,
        Some(text) => parse_rounding(&text)?,
    };
    Ok(Disclosure {
        threshold,
        rounding,
    })
}

/// A threshold as the setting writes it (see [`deployment_threshold`]).
pub fn parse_threshold(text: &str) -> Result<f64, crate::AnalysisError> {
    match text.trim().parse::<u32>() {
        Ok(n) if (2..=1000).contains(&n) => Ok(f64::from(n)),
        _ => Err(crate::AnalysisError::Config(format!(
            "the setting {THRESHOLD_SETTING} is \"{}\"; it must be a whole number from 2 to 1000 (the smallest count published)",
            text.trim()
        ))),
    }
}

/// A rounding base as the setting writes it: `0` (none) or a whole number from 2 to 100.
pub fn parse_rounding(text: &str) -> Result<u32, crate::AnalysisError> {
    match text.trim().parse::<u32>() {
        Ok(n) if n == 0 || (2..=100).contains(&n) => Ok(n),
        _ => Err(crate::AnalysisError::Config(format!(
            "the setting {ROUNDING_SETTING} is \"{}\"; it must be 0 (no rounding) or a whole number from 2 to 100 (the rounding base, e.g. 5)",
            text.trim()
        ))),
    }
}

/// The disclosure control applied to everything published outside the coordination body:
/// suppression at `threshold` (primary and complementary), then rounding to `rounding`.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Disclosure {
    /// Counts from 1 to below this are hidden, with complementary cells.
    pub threshold: f64,
    /// Published counts are rounded to the nearest multiple of this; 0: no rounding.
    pub rounding: u32,
}

impl Default for Disclosure {
    fn default() -> Disclosure {
        Disclosure::new(DEFAULT_THRESHOLD)
    }
}

impl Disclosure {
    /// Suppression at `threshold`, no rounding.
    pub fn new(threshold: f64) -> Disclosure {
        Disclosure {
            threshold,
            rounding: 0,
        }
    }

    pub fn with_rounding(mut self, base: u32) -> Disclosure {
        self.rounding = base;
        self
    }

    /// A published count rounded to the base (unchanged without rounding).
    pub fn round(&self, v: f64) -> f64 {
        if self.rounding < 2 {
            return v;
        }
        let base = f64::from(self.rounding);
        (v / base).round() * base
    }

    /// A figure published on its own (a total, a headline): hidden from 1 to under the
    /// threshold, else rounded.
    pub fn count(&self, v: f64) -> Option<f64> {
        (v == 0.0 || v >= self.threshold).then(|| self.round(v))
    }

    /// A table as it leaves: suppressed (see [`suppress`]), then rounded.
    pub fn table(&self, t: &Table) -> Table {
        let mut s = suppress(t, self.threshold);
        self.round_table(&mut s);
        s
    }

    /// A table and its margins as they leave, protected together ([`suppress_with_margins`]),
    /// then rounded.
    pub fn table_with_margins(&self, t: &Table) -> (Table, Margins) {
        let (mut s, mut m) = suppress_with_margins(t, self.threshold);
        self.round_table(&mut s);
        for v in m
            .rows
            .iter_mut()
            .chain(m.columns.iter_mut())
            .flat_map(|(_, v)| v.iter_mut())
            .chain(m.total.iter_mut())
        {
            *v = v.map(|x| self.round(x));
        }
        (s, m)
    }

    /// Rounds every published value of an already suppressed table.
    pub fn round_table(&self, t: &mut Table) {
        if self.rounding < 2 {
            return;
        }
        for r in &mut t.rows {
            for v in &mut r.values {
                *v = v.map(|x| self.round(x));
            }
        }
    }
}

/// The margins published beside a table, protected with it (`None`: hidden).
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Margins {
    /// Two-way tables: per code of the first key, its total per value column.
    pub rows: Vec<(Key, Vec<Option<f64>>)>,
    /// Two-way tables: per code of the second key, its total per value column.
    pub columns: Vec<(Key, Vec<Option<f64>>)>,
    /// The grand total per value column (hidden when small).
    pub total: Vec<Option<f64>>,
}

/// A copy of `table` with small cells and their complements hidden (`None`), marked suppressed.
pub fn suppress(table: &Table, threshold: f64) -> Table {
    suppress_with_margins(table, threshold).0
}

/// [`suppress`], with the margins the protection took as published. For a two-way table the
/// row and column totals are protected with the cells (see the module's documentation): a page
/// that shows them must show these. For any other table only the grand total is given.
pub fn suppress_with_margins(table: &Table, threshold: f64) -> (Table, Margins) {
    let mut t = table.clone();
    t.suppressed = true;
    let ncols = t
        .value_headers
        .len()
        .max(t.rows.first().map_or(0, |r| r.values.len()));
    let nkeys = t
        .key_headers
        .len()
        .max(t.rows.first().map_or(0, |r| r.keys.len()));
    let two_way = (nkeys == 2).then(|| TwoWay::of(&t));
    let lines = if nkeys > 2 {
        lines_of(&t, nkeys)
    } else {
        Vec::new()
    };
    let mut margins = Margins::default();
    if let Some(g) = &two_way {
        margins.rows = g.row_keys.iter().map(|k| (k.clone(), Vec::new())).collect();
        margins.columns = g.col_keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    }
    for c in 0..ncols {
        let original: Vec<Option<f64>> = t
            .rows
            .iter()
            .map(|r| r.values.get(c).copied().flatten())
            .collect();
        let value: Vec<f64> = original.iter().map(|v| v.unwrap_or(0.0)).collect();
        let present: Vec<bool> = original.iter().map(Option::is_some).collect();
        let mut hidden: Vec<bool> = value.iter().map(|&x| small(x, threshold)).collect();
        let total: f64 = value.iter().sum();
        match &two_way {
            Some(g) => {
                let (rows, cols) = g.protect(&value, &present, &mut hidden, threshold);
                for ((_, v), x) in margins.rows.iter_mut().zip(rows) {
                    v.push(x);
                }
                for ((_, v), x) in margins.columns.iter_mut().zip(cols) {
                    v.push(x);
                }
            }
            None if nkeys <= 1 => {
                let all: Vec<usize> = (0..value.len()).collect();
                protect_line(&all, &value, &present, &mut hidden, threshold);
            }
            None => loop {
                let mut changed = false;
                for line in &lines {
                    changed |= protect_line(line, &value, &present, &mut hidden, threshold);
                }
                if !changed {
                    break;
                }
            },
        }
        margins
            .total
            .push((!small(total, threshold)).then_some(total));
        for (r, h) in t.rows.iter_mut().zip(&hidden) {
            if *h && let Some(v) = r.values.get_mut(c) {
                *v = None;
            }
        }
    }
    (t, margins)
}

/// A count primary suppression hides.
fn small(x: f64, threshold: f64) -> bool {
    x > 0.0 && x < threshold
}

/// For each key position, the rows that agree on every other key.
fn lines_of(t: &Table, nkeys: usize) -> Vec<Vec<usize>> {
    let mut lines = Vec::new();
    for j in 0..nkeys {
        let mut groups: FxHashMap<Vec<&str>, Vec<usize>> = FxHashMap::default();
        for (i, r) in t.rows.iter().enumerate() {
            let others: Vec<&str> = r
                .keys
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != j)
                .map(|(_, k)| k.code.as_str())
                .collect();
            groups.entry(others).or_default().push(i);
        }
        let mut g: Vec<Vec<usize>> = groups.into_values().collect();
        g.sort();
        lines.extend(g);
    }
    lines
}

/// One line whose total is published unless small: a line with one hidden cell gets a second,
/// and hidden cells that add up to less than the threshold get more (their sum bounds each of
/// them). Returns whether a cell was hidden.
fn protect_line(
    line: &[usize],
    value: &[f64],
    present: &[bool],
    hidden: &mut [bool],
    threshold: f64,
) -> bool {
    let mut changed = false;
    let cells = line.iter().filter(|&&i| present[i]).count();
    let line_total: f64 = line.iter().map(|&i| value[i]).sum();
    loop {
        let hidden_sum: f64 = line.iter().filter(|&&i| hidden[i]).map(|&i| value[i]).sum();
        let n_hidden = line.iter().filter(|&&i| hidden[i]).count();
        if n_hidden == 0 {
            break;
        }
        let need_second = n_hidden == 1 && cells > 1;
        // A line whose total is itself hidden (small) tells nothing about its cells' sum.
        let need_sum = hidden_sum < threshold && !small(line_total, threshold);
        if !need_second && !need_sum {
            break;
        }
        let gap = threshold - hidden_sum;
        let visible = || line.iter().copied().filter(|&i| !hidden[i] && present[i]);
        let nonzero = visible().filter(|&i| value[i] > 0.0);
        let pick = if need_sum {
            nonzero
                .clone()
                .filter(|&i| value[i] >= gap)
                .min_by(|&a, &b| value[a].total_cmp(&value[b]))
                .or_else(|| nonzero.max_by(|&a, &b| value[a].total_cmp(&value[b])))
        } else {
            nonzero.min_by(|&a, &b| value[a].total_cmp(&value[b]))
        }
        .or_else(|| need_second.then(|| visible().next()).flatten());
        match pick {
            Some(i) => {
                hidden[i] = true;
                changed = true;
            }
            None => break,
        }
    }
    changed
}

/// A two-way table laid out as a grid with its margins.
struct TwoWay {
    row_keys: Vec<Key>,
    col_keys: Vec<Key>,
    /// Per table row: its grid row and column.
    at: Vec<(usize, usize)>,
}

/// What a cell of the grid is, for the flow: a count (an inner cell or the grand total) or a
/// margin, which enters its line with the opposite sign.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Count,
    Margin,
}

/// A hidden cell of the grid: row node, column node, kind, value.
type GridCell = (usize, usize, Kind, f64);

impl TwoWay {
    fn of(t: &Table) -> TwoWay {
        let mut rows: FxHashMap<&str, usize> = FxHashMap::default();
        let mut cols: FxHashMap<&str, usize> = FxHashMap::default();
        let (mut row_keys, mut col_keys) = (Vec::new(), Vec::new());
        let mut at = Vec::with_capacity(t.rows.len());
        for r in &t.rows {
            let (a, b) = (&r.keys[0], &r.keys[1]);
            let i = *rows.entry(a.code.as_str()).or_insert_with(|| {
                row_keys.push(a.clone());
                row_keys.len() - 1
            });
            let j = *cols.entry(b.code.as_str()).or_insert_with(|| {
                col_keys.push(b.clone());
                col_keys.len() - 1
            });
            at.push((i, j));
        }
        TwoWay {
            row_keys,
            col_keys,
            at,
        }
    }

    /// Protects one value column: fills `hidden` and returns the published row and column
    /// totals.
    fn protect(
        &self,
        value: &[f64],
        present: &[bool],
        hidden: &mut [bool],
        threshold: f64,
    ) -> (Vec<Option<f64>>, Vec<Option<f64>>) {
        let (n, m) = (self.row_keys.len(), self.col_keys.len());
        let mut row_total = vec![0.0; n];
        let mut col_total = vec![0.0; m];
        let mut row_cells: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut col_cells: Vec<Vec<usize>> = vec![Vec::new(); m];
        for (k, &(i, j)) in self.at.iter().enumerate() {
            row_total[i] += value[k];
            col_total[j] += value[k];
            row_cells[i].push(k);
            col_cells[j].push(k);
        }
        let grand: f64 = row_total.iter().sum();
        // The margins, each protected as the one-way table it is when published on its own
        // (first thing in every round below).
        let mut row_hidden: Vec<bool> = row_total.iter().map(|&x| small(x, threshold)).collect();
        let mut col_hidden: Vec<bool> = col_total.iter().map(|&x| small(x, threshold)).collect();
        let grand_hidden = small(grand, threshold);
        // Nodes of the flow: grid rows 0..=n (n: the row of column totals), then grid columns
        // n+1..=n+1+m (the last: the column of row totals).
        let col_node = |j: usize| n + 1 + j;
        let all_rows: Vec<usize> = (0..n).collect();
        let all_cols: Vec<usize> = (0..m).collect();
        // Small cells whose protection is proven: hiding more cells only adds ways to move
        // (edges of the flow), so they stay proven.
        let mut proven: rustc_hash::FxHashSet<(usize, usize)> = Default::default();
        loop {
            let mut changed = false;
            // Margins hidden as a last resort keep their own lines safe.
            changed |= protect_line(
                &all_rows,
                &row_total,
                &vec![true; n],
                &mut row_hidden,
                threshold,
            );
            changed |= protect_line(
                &all_cols,
                &col_total,
                &vec![true; m],
                &mut col_hidden,
                threshold,
            );
            for line in row_cells.iter().chain(&col_cells) {
                if line.len() > 1 && line.iter().filter(|&&k| hidden[k]).count() == 1 {
                    let visible = line.iter().copied().filter(|&k| !hidden[k] && present[k]);
                    let pick = visible
                        .clone()
                        .filter(|&k| value[k] > 0.0)
                        .min_by(|&a, &b| value[a].total_cmp(&value[b]))
                        .or_else(|| visible.clone().next());
                    if let Some(k) = pick {
                        hidden[k] = true;
                        changed = true;
                    }
                }
            }
            // Every hidden cell of the grid, with its kind.
            let mut cells: Vec<GridCell> = Vec::new();
            for (k, &(i, j)) in self.at.iter().enumerate() {
                if hidden[k] {
                    cells.push((i, col_node(j), Kind::Count, value[k]));
                }
            }
            for i in (0..n).filter(|&i| row_hidden[i]) {
                cells.push((i, col_node(m), Kind::Margin, row_total[i]));
            }
            for j in (0..m).filter(|&j| col_hidden[j]) {
                cells.push((n, col_node(j), Kind::Margin, col_total[j]));
            }
            if grand_hidden {
                cells.push((n, col_node(m), Kind::Count, grand));
            }
            let primaries: Vec<GridCell> = cells
                .iter()
                .copied()
                .filter(|c| small(c.3, threshold) && !proven.contains(&(c.0, c.1)))
                .collect();
            for p in primaries {
                let gap = threshold - p.3;
                let (flow, reach) = max_increase(&cells, p, n + m + 2, gap);
                if flow >= gap - 1e-9 {
                    proven.insert((p.0, p.1));
                    continue;
                }
                let short = gap - flow;
                // What a newly hidden cell adds across the minimum cut.
                let across = |row: usize, col: usize, kind: Kind, v: f64| -> f64 {
                    let (col_to_row, row_to_col) = match kind {
                        Kind::Count => (v, f64::INFINITY),
                        Kind::Margin => (f64::INFINITY, v),
                    };
                    let mut c = 0.0;
                    if reach[col] && !reach[row] {
                        c += col_to_row;
                    }
                    if reach[row] && !reach[col] {
                        c += row_to_col;
                    }
                    c
                };
                let better = |a: &(usize, f64, f64), b: &(usize, f64, f64)| {
                    let key = |&(_, v, cap): &(usize, f64, f64)| {
                        let enough = cap >= short;
                        (v == 0.0, !enough, if enough { v } else { -cap })
                    };
                    let (ka, kb) = (key(a), key(b));
                    ka.0.cmp(&kb.0)
                        .then(ka.1.cmp(&kb.1))
                        .then(ka.2.total_cmp(&kb.2))
                };
                let inner = self
                    .at
                    .iter()
                    .enumerate()
                    .filter(|&(k, _)| !hidden[k] && present[k])
                    .map(|(k, &(i, j))| {
                        (k, value[k], across(i, col_node(j), Kind::Count, value[k]))
                    })
                    .filter(|c| c.2 > 0.0)
                    .min_by(better);
                if let Some((k, _, _)) = inner {
                    hidden[k] = true;
                    let (i, j) = self.at[k];
                    cells.push((i, col_node(j), Kind::Count, value[k]));
                    changed = true;
                    continue;
                }
                // No inner cell helps: a margin is hidden too (a page showing the margins must
                // then take them from here).
                let row = (0..n)
                    .filter(|&i| !row_hidden[i])
                    .map(|i| {
                        (
                            i,
                            row_total[i],
                            across(i, col_node(m), Kind::Margin, row_total[i]),
                        )
                    })
                    .filter(|c| c.2 > 0.0)
                    .min_by(better);
                let col = (0..m)
                    .filter(|&j| !col_hidden[j])
                    .map(|j| {
                        (
                            j,
                            col_total[j],
                            across(n, col_node(j), Kind::Margin, col_total[j]),
                        )
                    })
                    .filter(|c| c.2 > 0.0)
                    .min_by(better);
                if let Some((i, v, _)) = row {
                    row_hidden[i] = true;
                    cells.push((i, col_node(m), Kind::Margin, v));
                    changed = true;
                } else if let Some((j, v, _)) = col {
                    col_hidden[j] = true;
                    cells.push((n, col_node(j), Kind::Margin, v));
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let publish = |hidden: &[bool], total: &[f64]| {
            total
                .iter()
                .zip(hidden)
                .map(|(&x, &h)| (!h).then_some(x))
                .collect()
        };
        (
            publish(&row_hidden, &row_total),
            publish(&col_hidden, &col_total),
        )
    }
}

/// How much hidden cell `p` can grow, up to `need`, while every line of the grid keeps its
/// published total and no count goes negative: a maximum flow over the other hidden cells.
/// Returns the flow and the nodes reachable from the source in the residual network (one side
/// of a minimum cut).
fn max_increase(cells: &[GridCell], p: GridCell, nodes: usize, need: f64) -> (f64, Vec<bool>) {
    // A change d of a cell's signed value is a flow d from its row to its column; a count may
    // fall by at most its value (flow column → row), a margin (signed negative) may rise by at
    // most its value (flow row → column).
    let mut net = Net::new(nodes);
    for c in cells {
        if (c.0, c.1) == (p.0, p.1) {
            continue;
        }
        let (col_to_row, row_to_col) = match c.2 {
            Kind::Count => (c.3, f64::INFINITY),
            Kind::Margin => (f64::INFINITY, c.3),
        };
        net.add(c.1, c.0, col_to_row);
        net.add(c.0, c.1, row_to_col);
    }
    // Raising a count sends flow row → column through it, to come back column → row; raising a
    // margin the other way round.
    let (source, sink) = match p.2 {
        Kind::Count => (p.1, p.0),
        Kind::Margin => (p.0, p.1),
    };
    let flow = net.flow(source, sink, need);
    (flow, net.reach(source))
}

/// A small residual network (Edmonds–Karp).
struct Net {
    out: Vec<Vec<usize>>,
    to: Vec<usize>,
    cap: Vec<f64>,
}

impl Net {
    fn new(nodes: usize) -> Net {
        Net {
            out: vec![Vec::new(); nodes],
            to: Vec::new(),
            cap: Vec::new(),
        }
    }

    fn add(&mut self, a: usize, b: usize, cap: f64) {
        self.out[a].push(self.to.len());
        self.to.push(b);
        self.cap.push(cap);
        self.out[b].push(self.to.len());
        self.to.push(a);
        self.cap.push(0.0);
    }

    /// Pushes up to `need` from `s` to `t`; returns what went through.
    fn flow(&mut self, s: usize, t: usize, need: f64) -> f64 {
        let mut total = 0.0;
        while total < need - 1e-9 {
            let mut prev: Vec<Option<usize>> = vec![None; self.out.len()];
            let mut seen = vec![false; self.out.len()];
            seen[s] = true;
            let mut queue = std::collections::VecDeque::from([s]);
            while let Some(a) = queue.pop_front() {
                if a == t {
                    break;
                }
                for &e in &self.out[a] {
                    let b = self.to[e];
                    if !seen[b] && self.cap[e] > 1e-9 {
                        seen[b] = true;
                        prev[b] = Some(e);
                        queue.push_back(b);
                    }
                }
            }
            if !seen[t] {
                break;
            }
            let mut push = need - total;
            let mut v = t;
            while let Some(e) = prev[v] {
                push = push.min(self.cap[e]);
                v = self.to[e ^ 1];
            }
            let mut v = t;
            while let Some(e) = prev[v] {
                self.cap[e] -= push;
                self.cap[e ^ 1] += push;
                v = self.to[e ^ 1];
            }
            total += push;
        }
        total
    }

    fn reach(&self, s: usize) -> Vec<bool> {
        let mut seen = vec![false; self.out.len()];
        seen[s] = true;
        let mut stack = vec![s];
        while let Some(a) = stack.pop() {
            for &e in &self.out[a] {
                let b = self.to[e];
                if !seen[b] && self.cap[e] > 1e-9 {
                    seen[b] = true;
                    stack.push(b);
                }
            }
        }
        seen
    }
}

/// Whether a suppressed table is safe: no published cell is small, and no line has exactly one
/// hidden cell (which its margin would give away). Used by the tests and by exports as a check.
pub fn is_protected(t: &Table, threshold: f64) -> bool {
    let nkeys = t.rows.first().map_or(0, |r| r.keys.len());
    let ncols = t.rows.first().map_or(0, |r| r.values.len());
    for r in &t.rows {
        if r.values
            .iter()
            .any(|v| v.is_some_and(|x| x > 0.0 && x < threshold))
        {
            return false;
        }
    }
    for c in 0..ncols {
        let positions: Vec<Option<usize>> = if nkeys <= 1 {
            vec![None]
        } else {
            (0..nkeys).map(Some).collect()
        };
        for j in positions {
            let mut groups: FxHashMap<Vec<&str>, (usize, usize)> = FxHashMap::default();
            for r in &t.rows {
                let key: Vec<&str> = match j {
                    None => Vec::new(),
                    Some(j) => r
                        .keys
                        .iter()
                        .enumerate()
                        .filter(|(k, _)| *k != j)
                        .map(|(_, k)| k.code.as_str())
                        .collect(),
                };
                let e = groups.entry(key).or_default();
                e.0 += 1;
                if r.values[c].is_none() {
                    e.1 += 1;
                }
            }
            if groups
                .values()
                .any(|&(cells, hidden)| cells > 1 && hidden == 1)
            {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::{Key, TableRow};

    fn table(keys: usize, cells: &[(&[&str], f64)]) -> Table {
        Table {
            id: "t".into(),
            title: "t".into(),
            key_headers: (0..keys).map(|k| format!("k{k}")).collect(),
            value_headers: vec!["n".into()],
            rows: cells
                .iter()
                .map(|(k, v)| TableRow {
                    keys: k.iter().map(|c| Key::new(c, c)).collect(),
                    values: vec![Some(*v)],
                })
                .collect(),
            unit: "records".into(),
            suppressed: false,
            drill: None,
        }
    }

    #[test]
    fn one_small_cell_takes_the_next_smallest_with_it() {
        let t = table(1, &[(&["F"], 120.0), (&["M"], 40.0), (&["X"], 3.0)]);
        let s = suppress(&t, 5.0);
        assert_eq!(s.get(&["F"]), Some(120.0));
        assert_eq!(s.get(&["M"]), None, "secondary: else 163 - 120 - 40 = 3");
        assert_eq!(s.get(&["X"]), None);
        assert!(is_protected(&s, 5.0));
        assert!(!is_protected(
            &{
                let mut only_primary = t.clone();
                only_primary.rows[2].values[0] = None;
                only_primary
            },
            5.0
        ));
    }

    #[test]
    fn the_threshold_setting_is_a_whole_number_of_at_least_two() {
        assert_eq!(parse_threshold(" 10 ").unwrap(), 10.0);
        for bad in ["1", "0", "-3", "4.5", "five", ""] {
            assert!(parse_threshold(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_rounding("0").unwrap(), 0);
        assert_eq!(parse_rounding(" 5 ").unwrap(), 5);
        for bad in ["1", "101", "-5", "2.5", "ten", ""] {
            assert!(parse_rounding(bad).is_err(), "{bad}");
        }
        let d = Disclosure::new(5.0).with_rounding(10);
        assert_eq!(
            (d.round(14.0), d.round(15.0), d.round(0.0)),
            (10.0, 20.0, 0.0)
        );
        assert_eq!(
            (d.count(4.0), d.count(0.0), d.count(26.0)),
            (None, Some(0.0), Some(30.0))
        );
    }

    #[test]
    fn nothing_small_nothing_hidden() {
        let t = table(1, &[(&["F"], 12.0), (&["M"], 5.0), (&["X"], 0.0)]);
        assert_eq!(suppress(&t, 5.0).rows, t.rows);
    }

    #[test]
    fn two_way_tables_are_protected_along_rows_and_columns() {
        let mut cells = Vec::new();
        let regions = ["A", "B", "C", "D"];
        let sexes = ["F", "M", "U"];
        let values = [
            [50.0, 30.0, 2.0],
            [20.0, 1.0, 9.0],
            [40.0, 35.0, 11.0],
            [7.0, 60.0, 0.0],
        ];
        let keys: Vec<[&str; 2]> = regions
            .iter()
            .flat_map(|r| sexes.iter().map(move |s| [*r, *s]))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            cells.push((&k[..], values[i / 3][i % 3]));
        }
        let t = table(2, &cells);
        let s = suppress(&t, 5.0);
        assert!(is_protected(&s, 5.0), "{:?}", s.rows);
        assert_eq!(s.get(&["A", "U"]), None);
        assert_eq!(s.get(&["B", "M"]), None);
        // Large cells off the protected lines stay.
        assert_eq!(s.get(&["C", "F"]), Some(40.0));
    }

    #[test]
    fn suppression_is_always_protected_on_random_tables() {
        // A small deterministic generator: many shapes of tables, all must come out protected.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let names = ["a", "b", "c", "d", "e", "f"];
        for _ in 0..300 {
            let (nr, nc) = (1 + next() as usize % 6, 1 + next() as usize % 5);
            let mut cells = Vec::new();
            let keys: Vec<[&str; 2]> = (0..nr)
                .flat_map(|r| (0..nc).map(move |c| [names[r], names[c]]))
                .collect();
            for k in &keys {
                let v = match next() % 4 {
                    0 => (next() % 5) as f64,
                    _ => (next() % 80) as f64,
                };
                cells.push((&k[..], v));
            }
            let t = table(2, &cells);
            let s = suppress(&t, 5.0);
            assert!(is_protected(&s, 5.0), "{:?}", s.rows);
            for (a, b) in t.rows.iter().zip(&s.rows) {
                if let Some(v) = b.values[0] {
                    assert_eq!(Some(v), a.values[0]);
                }
            }
        }
    }
}
