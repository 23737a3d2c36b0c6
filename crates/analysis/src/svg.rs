//! Charts as SVG text, drawn on the server: they print, work without JavaScript and go into
//! reports as they are. Each is a few kilobytes of plain elements, carries a `<title>` and a
//! `<desc>` (referenced by `aria-labelledby`), writes every value as text next to its mark (so
//! colour is never the only carrier of meaning), and comes paired with its [`Table`] and CSV in
//! a [`Chart`]. Colours are the Okabe–Ito palette, distinguishable with colour-vision deficiency.

use std::fmt::Write;

use crate::dashboard::FlowLink;
use crate::table::{Table, format_number};

const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];
const FONT: &str = "font-family=\"sans-serif\" font-size=\"12\"";

/// A chart and the data it draws.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Chart {
    pub svg: String,
    pub table: Table,
}

impl Chart {
    /// The chart's data as CSV (the download next to every chart).
    pub fn csv(&self) -> String {
        self.table.to_csv()
    }
}

/// Escapes text for XML content and attributes.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => o.push(c),
        }
    }
    o
}

fn id_of(t: &Table) -> String {
    let s: String =
        t.id.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
    if s.is_empty() { "chart".into() } else { s }
}

fn open(out: &mut String, t: &Table, w: u32, h: u32, desc: &str) {
    let id = id_of(t);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" {FONT}><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(&t.title),
        esc(desc)
    );
}

fn value_text(v: Option<f64>) -> String {
    match v {
        Some(x) => format_number(x),
        None => "c".into(),
    }
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn describe(t: &Table, kind: (&str, &str), lang: &str) -> String {
    let fr = lang == "fr";
    let mut rows: Vec<(String, f64)> = t
        .rows
        .iter()
        .filter_map(|r| {
            let label = r
                .keys
                .iter()
                .map(|k| k.label.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            Some((label, r.values.first().copied().flatten()?))
        })
        .collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top: Vec<String> = rows
        .iter()
        .take(3)
        .map(|(l, v)| format!("{l}: {}", format_number(*v)))
        .collect();
    let what = t.value_headers.first().map(String::as_str).unwrap_or("");
    let mut d = if fr {
        format!(
            "{}, {} lignes ({what}). Plus grandes valeurs : {}.",
            kind.1,
            t.rows.len(),
            top.join(" ; ")
        )
    } else {
        format!(
            "{}, {} rows of {what}. Largest: {}.",
            kind.0,
            t.rows.len(),
            top.join("; ")
        )
    };
    if t.suppressed {
        d.push_str(if fr {
            " Les cellules marquées c sont masquées pour protéger la vie privée."
        } else {
            " Cells marked c are suppressed to protect privacy."
        });
    }
    d
}

/// Horizontal bars, one per row (first key, first value); suppressed cells are labelled `c`.
pub fn bar(t: &Table, lang: &str) -> Chart {
    let n = t.rows.len().max(1) as u32;
    let (w, label_w, row_h, top) = (640u32, 200u32, 22u32, 28u32);
    let h = top + n * row_h + 10;
    let max = t
        .rows
        .iter()
        .filter_map(|r| r.values.first().copied().flatten())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let plot = (w - label_w - 70) as f64;
    let mut s = String::with_capacity(256 + 180 * n as usize);
    open(
        &mut s,
        t,
        w,
        h,
        &describe(t, ("Bar chart", "Diagramme en barres"), lang),
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        esc(&t.title)
    );
    for (i, r) in t.rows.iter().enumerate() {
        let y = top + i as u32 * row_h;
        let label = r
            .keys
            .iter()
            .map(|k| k.label.as_str())
            .collect::<Vec<_>>()
            .join(" · ");
        let v = r.values.first().copied().flatten();
        let bw = v.map_or(0.0, |v| {
            (v / max * plot).max(if v > 0.0 { 1.0 } else { 0.0 })
        });
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect x=\"{label_w}\" y=\"{}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            label_w - 6,
            y + 15,
            esc(&trunc(&label, 30)),
            y + 3,
            bw,
            row_h - 6,
            PALETTE[0],
            label_w as f64 + bw + 4.0,
            y + 15,
            value_text(v)
        );
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// Distinct second-key series of a two-key table, in first-seen order.
fn series(t: &Table) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in &t.rows {
        if let Some(k) = r.keys.get(1)
            && !out.iter().any(|s| s.0 == k.code)
        {
            out.push((k.code.clone(), k.label.clone()));
        }
    }
    out
}

fn categories(t: &Table) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in &t.rows {
        if let Some(k) = r.keys.first()
            && !out.iter().any(|s| s.0 == k.code)
        {
            out.push((k.code.clone(), k.label.clone()));
        }
    }
    out
}

/// Lines a legend takes at `width` (items wrap).
fn legend_lines(ser: &[(String, String)], width: u32) -> u32 {
    let mut x = 0;
    let mut lines = 1;
    for (_, label) in ser {
        let w = 24 + 7 * trunc(label, 18).chars().count() as u32;
        if x > 0 && x + w > width {
            lines += 1;
            x = 0;
        }
        x += w;
    }
    lines
}

/// A legend from `y` down, wrapping at `width`.
fn legend(s: &mut String, ser: &[(String, String)], y: u32, width: u32) {
    let (mut x, mut y) = (0, y);
    for (i, (_, label)) in ser.iter().enumerate() {
        let text = trunc(label, 18);
        let w = 24 + 7 * text.chars().count() as u32;
        if x > 0 && x + w > width {
            x = 0;
            y += 16;
        }
        let _ = write!(
            s,
            "<rect x=\"{x}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}</text>",
            y - 9,
            PALETTE[i % PALETTE.len()],
            x + 14,
            y,
            esc(&text)
        );
        x += w;
    }
}

/// Stacked horizontal bars: first key = bar, second key = segment (with a legend and the
/// bar's total written at its end; segments wide enough carry their value).
pub fn stacked_bar(t: &Table, lang: &str) -> Chart {
    let cats = categories(t);
    let ser = series(t);
    let (w, label_w, row_h) = (640u32, 160u32, 24u32);
    let top = 32 + 16 * legend_lines(&ser, w);
    let h = top + cats.len().max(1) as u32 * row_h + 10;
    let totals: Vec<f64> = cats
        .iter()
        .map(|(c, _)| {
            t.rows
                .iter()
                .filter(|r| r.keys[0].code == *c)
                .filter_map(|r| r.values[0])
                .sum()
        })
        .collect();
    let max = totals.iter().copied().fold(0.0, f64::max).max(1.0);
    let plot = (w - label_w - 70) as f64;
    let mut s = String::new();
    open(
        &mut s,
        t,
        w,
        h,
        &describe(
            t,
            ("Stacked bar chart", "Diagramme en barres empilées"),
            lang,
        ),
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        esc(&t.title)
    );
    legend(&mut s, &ser, 36, w);
    for (i, (code, label)) in cats.iter().enumerate() {
        let y = top + i as u32 * row_h;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            label_w - 6,
            y + 16,
            esc(&trunc(label, 24))
        );
        let mut x = label_w as f64;
        for (j, (sc, sl)) in ser.iter().enumerate() {
            let Some(v) = t
                .rows
                .iter()
                .find(|r| r.keys[0].code == *code && r.keys[1].code == *sc)
                .and_then(|r| r.values[0])
            else {
                continue;
            };
            let bw = v / max * plot;
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"{}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{}\"><title>{}: {}</title></rect>",
                y + 3,
                row_h - 6,
                PALETTE[j % PALETTE.len()],
                esc(sl),
                format_number(v)
            );
            if bw > 34.0 {
                let _ = write!(
                    s,
                    "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text>",
                    x + bw / 2.0,
                    y + 16,
                    if j % PALETTE.len() == 7 || j % PALETTE.len() == 0 {
                        "#fff"
                    } else {
                        "#000"
                    },
                    format_number(v)
                );
            }
            x += bw;
        }
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\">{}</text>",
            x + 4.0,
            y + 16,
            format_number(totals[i])
        );
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// A trend: first key on the x axis (years, periods), one line per second key (or one line).
pub fn line(t: &Table, lang: &str) -> Chart {
    let xs = categories(t);
    let ser = if t.rows.first().is_some_and(|r| r.keys.len() > 1) {
        series(t)
    } else {
        vec![(
            String::new(),
            t.value_headers.first().cloned().unwrap_or_default(),
        )]
    };
    let (w, left, right, bottom) = (640u32, 50.0, 24.0, 40.0);
    let top = if ser.len() > 1 {
        24.0 + 16.0 * legend_lines(&ser, w) as f64
    } else {
        32.0
    };
    let h = (top + 220.0 + bottom) as u32;
    let value = |x: &str, sc: &str| -> Option<f64> {
        t.rows
            .iter()
            .find(|r| {
                r.keys[0].code == x
                    && (sc.is_empty() || r.keys.get(1).is_some_and(|k| k.code == sc))
            })
            .and_then(|r| r.values[0])
    };
    let max = t
        .rows
        .iter()
        .filter_map(|r| r.values[0])
        .fold(0.0f64, f64::max)
        .max(1.0);
    let pw = w as f64 - left - right;
    let ph = h as f64 - top - bottom;
    let px = |i: usize| {
        left + if xs.len() > 1 {
            pw * i as f64 / (xs.len() - 1) as f64
        } else {
            pw / 2.0
        }
    };
    let py = |v: f64| top + ph - v / max * ph;
    let mut s = String::new();
    open(
        &mut s,
        t,
        w,
        h,
        &describe(t, ("Line chart", "Graphique linéaire"), lang),
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        esc(&t.title)
    );
    if ser.len() > 1 {
        legend(&mut s, &ser, 36, w);
    }
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#666\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#666\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">0</text>",
        top + ph,
        left + pw,
        top + ph,
        top + ph,
        left - 4.0,
        top + 4.0,
        format_number(max.round()),
        left - 4.0,
        top + ph + 4.0
    );
    for (i, (_, label)) in xs.iter().enumerate() {
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            px(i),
            top + ph + 16.0,
            esc(&trunc(label, 12))
        );
    }
    for (j, (sc, _)) in ser.iter().enumerate() {
        let color = PALETTE[j % PALETTE.len()];
        let pts: Vec<(f64, f64, f64)> = xs
            .iter()
            .enumerate()
            .filter_map(|(i, (x, _))| value(x, sc).map(|v| (px(i), py(v), v)))
            .collect();
        let d: Vec<String> = pts
            .iter()
            .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>",
            d.join(" ")
        );
        // Values as text when they can be read; with many lines the table carries them.
        let labelled = ser.len() <= 3;
        for (x, y, v) in pts {
            let _ = write!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{color}\"><title>{}</title></circle>",
                format_number(v)
            );
            if labelled {
                let _ = write!(
                    s,
                    "<text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
                    y - 6.0,
                    format_number(v)
                );
            }
        }
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// A funnel: one centred bar per row, narrowing with the value, labelled with the stage, the
/// count and (when the table has it) the share of the first stage. Rows of the first key value
/// only (e.g. one offence) — filter the table for another.
pub fn funnel(t: &Table, lang: &str) -> Chart {
    let first = t
        .rows
        .first()
        .and_then(|r| r.keys.first())
        .map(|k| k.code.clone());
    let rows: Vec<_> = t
        .rows
        .iter()
        .filter(|r| r.keys.len() < 2 || Some(&r.keys[0].code) == first.as_ref())
        .collect();
    let (w, row_h, top) = (640u32, 40u32, 30u32);
    let h = top + rows.len().max(1) as u32 * row_h + 6;
    let max = rows
        .iter()
        .filter_map(|r| r.values[0])
        .fold(0.0f64, f64::max)
        .max(1.0);
    let mut s = String::new();
    open(
        &mut s,
        t,
        w,
        h,
        &describe(t, ("Funnel chart", "Diagramme en entonnoir"), lang),
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        esc(&t.title)
    );
    let cx = 190.0;
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as u32 * row_h;
        let v = r.values[0];
        let bw = v.map_or(0.0, |v| (v / max * 340.0).max(2.0));
        let stage = r.keys.last().map(|k| k.label.as_str()).unwrap_or("");
        let share = r.values.get(1).copied().flatten();
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\">{}: {}{}</text>",
            cx - bw / 2.0,
            y + 2,
            row_h - 8,
            PALETTE[i % PALETTE.len()],
            cx + 180.0,
            y + 22,
            esc(&trunc(stage, 24)),
            value_text(v),
            share
                .map(|p| format!(" ({}%)", format_number(p)))
                .unwrap_or_default()
        );
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// A flow diagram (Sankey-like): origins on the left, transit in the middle, destinations on
/// the right; each band's width is proportional to its value, and every node is labelled with
/// its total. At most `max_nodes` nodes per column (the rest grouped as "Other").
pub fn flow(title: &str, links: &[FlowLink], table: &Table, max_nodes: usize, lang: &str) -> Chart {
    let other = if lang == "fr" { "Autres" } else { "Other" };
    let max_nodes = max_nodes.max(2);
    // Node totals per column.
    let mut cols: [Vec<(String, String, f64)>; 3] = Default::default();
    let mut add = |col: usize, code: &str, label: &str, v: f64| match cols[col]
        .iter_mut()
        .find(|n| n.0 == code)
    {
        Some(n) => n.2 += v,
        None => cols[col].push((code.to_string(), label.to_string(), v)),
    };
    for l in links {
        if l.stage == 0 {
            add(0, &l.from.code, &l.from.label, l.value);
            add(1, &l.to.code, &l.to.label, l.value);
        } else {
            add(2, &l.to.code, &l.to.label, l.value);
        }
    }
    const OTHER: &str = "\u{0}other";
    let mut keep: [Vec<String>; 3] = Default::default();
    for (c, col) in cols.iter_mut().enumerate() {
        col.sort_by(|a, b| b.2.total_cmp(&a.2));
        if col.len() > max_nodes {
            let rest: f64 = col[max_nodes - 1..].iter().map(|n| n.2).sum();
            col.truncate(max_nodes - 1);
            col.push((OTHER.into(), other.into(), rest));
        }
        keep[c] = col.iter().map(|n| n.0.clone()).collect();
    }
    let node = |c: usize, code: &str| -> String {
        if keep[c].iter().any(|k| k == code) {
            code.to_string()
        } else {
            OTHER.to_string()
        }
    };
    let total: f64 = cols[0].iter().map(|n| n.2).sum::<f64>().max(1.0);
    let (w, h, top, gap, node_w) = (740.0f64, 360.0f64, 30.0, 6.0, 12.0);
    let xs = [170.0, 350.0, 540.0];
    let avail = h - top - 10.0 - gap * max_nodes as f64;
    let scale = avail / total;
    // Node positions: y of each node's top.
    let mut pos: [Vec<(String, f64, f64)>; 3] = Default::default();
    for c in 0..3 {
        let mut y = top;
        for (code, _, v) in &cols[c] {
            pos[c].push((code.clone(), y, v * scale));
            y += v * scale + gap;
        }
    }
    let mut s = String::new();
    let tbl = Table {
        title: title.to_string(),
        ..table.clone()
    };
    let desc = if lang == "fr" {
        format!(
            "Diagramme de flux : {} origines, {} points de transit, {} destinations, {} au total. Le tableau donne chaque itinéraire.",
            cols[0].len(),
            cols[1].len(),
            cols[2].len(),
            format_number(total)
        )
    } else {
        format!(
            "Flow diagram from {} origins through {} transit points to {} destinations, {} in all. The table gives every route.",
            cols[0].len(),
            cols[1].len(),
            cols[2].len(),
            format_number(total)
        )
    };
    open(&mut s, &tbl, w as u32, h as u32, &desc);
    let _ = write!(
        s,
        "<text x=\"0\" y=\"16\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    // Bands, in the order of the links, stacked at both ends.
    let mut out_off: [Vec<f64>; 3] = [
        vec![0.0; pos[0].len()],
        vec![0.0; pos[1].len()],
        vec![0.0; pos[2].len()],
    ];
    let mut in_off = out_off.clone();
    let mut merged: Vec<(u8, String, String, f64)> = Vec::new();
    for l in links {
        let (fc, tc) = (l.stage as usize, l.stage as usize + 1);
        let (f, t) = (node(fc, &l.from.code), node(tc, &l.to.code));
        match merged
            .iter_mut()
            .find(|m| m.0 == l.stage && m.1 == f && m.2 == t)
        {
            Some(m) => m.3 += l.value,
            None => merged.push((l.stage, f, t, l.value)),
        }
    }
    for (stage, f, t, v) in &merged {
        let (fc, tc) = (*stage as usize, *stage as usize + 1);
        let (Some(fi), Some(ti)) = (
            pos[fc].iter().position(|p| p.0 == *f),
            pos[tc].iter().position(|p| p.0 == *t),
        ) else {
            continue;
        };
        let bw = v * scale;
        let y0 = pos[fc][fi].1 + out_off[fc][fi] + bw / 2.0;
        let y1 = pos[tc][ti].1 + in_off[tc][ti] + bw / 2.0;
        out_off[fc][fi] += bw;
        in_off[tc][ti] += bw;
        let (x0, x1) = (xs[fc] + node_w, xs[tc]);
        let mx = (x0 + x1) / 2.0;
        let _ = write!(
            s,
            "<path d=\"M{x0:.1},{y0:.1}C{mx:.1},{y0:.1} {mx:.1},{y1:.1} {x1:.1},{y1:.1}\" fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.45\" stroke-width=\"{:.1}\"/>",
            PALETTE[fi % PALETTE.len()],
            bw.max(0.5)
        );
    }
    for c in 0..3 {
        for (i, (code, y, hgt)) in pos[c].iter().enumerate() {
            let label = cols[c][i].1.clone();
            let v = cols[c][i].2;
            let (tx, anchor) = match c {
                0 => (xs[0] - 4.0, "end"),
                1 => (xs[1] + node_w + 4.0, "start"),
                _ => (xs[2] + node_w + 4.0, "start"),
            };
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{y:.1}\" width=\"{node_w}\" height=\"{:.1}\" fill=\"{}\"/><text x=\"{tx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\" font-size=\"11\">{} ({})</text>",
                xs[c],
                hgt.max(1.0),
                if c == 0 {
                    PALETTE[i % PALETTE.len()]
                } else {
                    "#555"
                },
                y + hgt / 2.0 + 4.0,
                esc(&trunc(if code == OTHER { other } else { &label }, 20)),
                format_number(v)
            );
        }
    }
    s.push_str("</svg>");
    Chart { svg: s, table: tbl }
}
