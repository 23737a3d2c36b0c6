//! Charts as SVG text, drawn on the server: they print, work without JavaScript and go into
//! reports as they are. Each is a few kilobytes of plain elements, carries a `<title>` and a
//! `<desc>` (referenced by `aria-labelledby`), writes every value as text next to its mark (so
//! colour is never the only carrier of meaning), and comes paired with its [`Table`] and CSV in
//! a [`Chart`]. Colours are the Okabe–Ito palette, distinguishable with colour-vision deficiency;
//! heat maps use one hue in five steps.
//!
//! Charts stay legible with real data: labels are written in full, wrapped onto several lines
//! rather than cut (a category's name is text of class `lbl`, a value of class `val`); bar
//! charts draw the largest [`TOP_N`] rows and add up the rest as "Others"; more than
//! [`MAX_LINES`] series become small multiples; the labels of a flow diagram's column are moved
//! apart until none overlaps; completeness is a provider × variable [`heatmap`].

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
    open_class(out, t, w, h, desc, "");
}

/// Width of the charts that a page scales to its column: narrow enough to stay legible when
/// a phone scales them down. Flow diagrams and heat maps are wider and marked `wide` (a page
/// shows them at their size, in a container that scrolls).
pub const WIDTH: f64 = 440.0;

fn open_class(out: &mut String, t: &Table, w: u32, h: u32, desc: &str, class: &str) {
    let id = id_of(t);
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\"{class} viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" {FONT}><title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
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

/// Approximate advance width of `s` in pixels at font size `size` (a sans-serif face). The
/// server has no font metrics: the estimate errs wide, so a label never runs into its neighbour.
pub fn text_width(s: &str, size: f64) -> f64 {
    s.chars()
        .map(|c| match c {
            'i' | 'l' | 'j' | '.' | ',' | '\'' | ':' | ';' | '|' | '!' | 'í' | 'ì' | 'ï' | 'î' => {
                0.3
            }
            ' ' | 'f' | 't' | 'r' | '(' | ')' | '-' | '/' | '[' | ']' => 0.38,
            'm' | 'w' | 'M' | 'W' | '—' | '%' | '@' | '…' => 0.9,
            c if c.is_uppercase() => 0.72,
            c if c.is_ascii_digit() => 0.6,
            _ => 0.6,
        })
        .sum::<f64>()
        * size
}

/// `s` broken into lines of at most `max` pixels at `size`, at spaces; a word longer than a
/// line is split between characters. Nothing is cut off: the lines hold the whole text.
pub fn wrap(s: &str, max: f64, size: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_whitespace() {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if text_width(&candidate, size) <= max {
            cur = candidate;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if text_width(word, size) <= max {
            cur = word.to_string();
        } else {
            for ch in word.chars() {
                let mut next = cur.clone();
                next.push(ch);
                if !cur.is_empty() && text_width(&next, size) > max {
                    lines.push(std::mem::take(&mut cur));
                    cur.push(ch);
                } else {
                    cur = next;
                }
            }
        }
    }
    if !cur.is_empty() || lines.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Height of one line of text at `size`.
fn line_height(size: f64) -> f64 {
    (size * 1.25).round()
}

/// A text of one or more lines, the first line's baseline at `y`. `class` is `lbl` for a
/// category's name (axis, bar, legend, node) and `val` for a value.
#[allow(clippy::too_many_arguments)]
fn text_lines(
    out: &mut String,
    x: f64,
    y: f64,
    lines: &[String],
    anchor: &str,
    size: f64,
    class: &str,
    extra: &str,
) {
    let _ = write!(
        out,
        "<text class=\"{class}\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"{anchor}\"{}{extra}>",
        if size == 12.0 {
            String::new()
        } else {
            format!(" font-size=\"{size}\"")
        }
    );
    if let [one] = lines {
        out.push_str(&esc(one));
    } else {
        for (i, l) in lines.iter().enumerate() {
            let _ = write!(
                out,
                "<tspan x=\"{x:.1}\" dy=\"{}\">{}</tspan>",
                if i == 0 { 0.0 } else { line_height(size) },
                esc(l)
            );
        }
    }
    out.push_str("</text>");
}

/// The chart's title, wrapped to the chart's width; returns the y below it.
fn heading(out: &mut String, title: &str, w: f64) -> f64 {
    let lines = wrap(title, w - 4.0, 13.0);
    text_lines(
        out,
        0.0,
        16.0,
        &lines,
        "start",
        13.0,
        "title",
        " font-weight=\"bold\"",
    );
    16.0 + line_height(13.0) * (lines.len() as f64 - 1.0) + 12.0
}

fn heading_height(title: &str, w: f64) -> f64 {
    16.0 + line_height(13.0) * (wrap(title, w - 4.0, 13.0).len() as f64 - 1.0) + 12.0
}

fn tr<'a>(lang: &str, en: &'a str, fr: &'a str) -> &'a str {
    if lang == "fr" { fr } else { en }
}

/// Bars a bar chart draws at most: the largest rows, then "Others" adding up the rest.
pub const TOP_N: usize = 15;

/// One bar.
struct Bar {
    label: String,
    value: Option<f64>,
    /// "Others" that adds up published cells only, some being hidden.
    partial: bool,
    /// The bar adding up the rows not drawn.
    others: bool,
}

/// The rows a bar chart draws: all of them up to `top`, else the largest `top - 1` (by value)
/// and one "Others" bar adding up the rest. "Not recorded" keeps its own bar either way.
fn top_rows(t: &Table, top: usize, lang: &str) -> Vec<Bar> {
    let label = |r: &crate::table::TableRow| {
        r.keys
            .iter()
            .map(|k| k.label.as_str())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let bar = |r: &crate::table::TableRow| Bar {
        label: label(r),
        value: r.values.first().copied().flatten(),
        partial: false,
        others: false,
    };
    if t.rows.len() <= top.max(2) {
        return t.rows.iter().map(bar).collect();
    }
    let unknown = |r: &&crate::table::TableRow| r.keys.iter().all(|k| k.code.is_empty());
    let (nr, mut rest): (Vec<_>, Vec<_>) = t.rows.iter().partition(unknown);
    rest.sort_by(|a, b| {
        let v = |r: &crate::table::TableRow| r.values.first().copied().flatten().unwrap_or(-1.0);
        v(b).total_cmp(&v(a))
    });
    let keep = top.saturating_sub(1 + nr.len()).max(1).min(rest.len());
    let mut out: Vec<Bar> = rest[..keep].iter().map(|r| bar(r)).collect();
    let others = &rest[keep..];
    if !others.is_empty() {
        let values: Vec<Option<f64>> = others
            .iter()
            .map(|r| r.values.first().copied().flatten())
            .collect();
        out.push(Bar {
            label: format!(
                "{} ({})",
                tr(lang, "Others", "Autres"),
                format_number(others.len() as f64)
            ),
            value: Some(values.iter().flatten().sum()),
            partial: values.iter().any(Option::is_none),
            others: true,
        });
    }
    out.extend(nr.iter().map(|r| bar(r)));
    out
}

/// Horizontal bars, one per row (first value), labels written in full (wrapped); past
/// [`TOP_N`] rows the largest are drawn and the rest added up as "Others" (the table keeps
/// every row). Suppressed cells are labelled `c`.
pub fn bar(t: &Table, lang: &str) -> Chart {
    bar_top(t, TOP_N, lang)
}

/// [`bar`] with at most `top` bars.
pub fn bar_top(t: &Table, top: usize, lang: &str) -> Chart {
    let bars = top_rows(t, top, lang);
    let (w, label_w) = (WIDTH, 160.0f64);
    let lines: Vec<Vec<String>> = bars
        .iter()
        .map(|b| wrap(&b.label, label_w - 12.0, 12.0))
        .collect();
    let heights: Vec<f64> = lines
        .iter()
        .map(|l| (line_height(12.0) * l.len() as f64 + 7.0).max(22.0))
        .collect();
    let top_y = heading_height(&t.title, w);
    let h = top_y + heights.iter().sum::<f64>() + 10.0;
    let max = bars
        .iter()
        .filter_map(|b| b.value)
        .fold(0.0f64, f64::max)
        .max(1.0);
    let plot = w - label_w - 62.0;
    let mut s = String::with_capacity(512 + 220 * bars.len());
    let mut desc = describe(t, ("Bar chart", "Diagramme en barres"), lang);
    if bars.len() < t.rows.len() {
        desc.push(' ');
        desc.push_str(tr(
            lang,
            "The smallest rows are added up as Others; the table gives every row.",
            "Les plus petites lignes sont regroupées dans Autres ; le tableau donne chaque ligne.",
        ));
    }
    open(&mut s, t, w as u32, h.ceil() as u32, &desc);
    heading(&mut s, &t.title, w);
    let mut y = top_y;
    for ((b, l), rh) in bars.iter().zip(&lines).zip(&heights) {
        let mid = y + rh / 2.0;
        let first = mid - line_height(12.0) * (l.len() as f64 - 1.0) / 2.0 + 4.0;
        text_lines(&mut s, label_w - 8.0, first, l, "end", 12.0, "lbl", "");
        let bw = b.value.map_or(0.0, |v| {
            (v / max * plot).max(if v > 0.0 { 1.0 } else { 0.0 })
        });
        let _ = write!(
            s,
            "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"16\" fill=\"{}\"/>",
            mid - 8.0,
            if b.others { "#8a94a3" } else { PALETTE[0] },
        );
        let value = if b.partial {
            format!("{} + c", value_text(b.value))
        } else {
            value_text(b.value)
        };
        text_lines(
            &mut s,
            label_w + bw + 4.0,
            mid + 4.0,
            &[value],
            "start",
            12.0,
            "val",
            "",
        );
        y += rh;
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

/// Where a legend puts each item (x, y of the first line, lines), and the height it takes.
fn legend_layout(ser: &[(String, String)], width: f64) -> (Vec<(f64, f64, Vec<String>)>, f64) {
    let (mut x, mut y, mut row_h) = (0.0, 0.0, line_height(12.0));
    let mut out = Vec::new();
    for (_, label) in ser {
        let lines = wrap(label, width - 20.0, 12.0);
        let tw = lines
            .iter()
            .map(|l| text_width(l, 12.0))
            .fold(0.0, f64::max);
        let item_w = 14.0 + tw + 14.0;
        let item_h = line_height(12.0) * lines.len() as f64;
        if x > 0.0 && x + item_w > width {
            x = 0.0;
            y += row_h + 3.0;
            row_h = line_height(12.0);
        }
        row_h = f64::max(row_h, item_h);
        out.push((x, y, lines));
        x += item_w;
    }
    (out, if ser.is_empty() { 0.0 } else { y + row_h + 6.0 })
}

/// A legend from `top`, each item's colour its index in the palette.
fn legend(s: &mut String, ser: &[(String, String)], top: f64, width: f64) {
    let (items, _) = legend_layout(ser, width);
    for (i, (x, y, lines)) in items.iter().enumerate() {
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{}\"/>",
            top + y + 2.0,
            PALETTE[i % PALETTE.len()],
        );
        text_lines(s, x + 14.0, top + y + 11.0, lines, "start", 12.0, "lbl", "");
    }
}

/// Stacked horizontal bars: first key = bar, second key = segment (with a legend and the
/// bar's total written at its end; segments wide enough carry their value).
pub fn stacked_bar(t: &Table, lang: &str) -> Chart {
    let cats = categories(t);
    let ser = series(t);
    let (w, label_w) = (WIDTH, 120.0f64);
    let title_h = heading_height(&t.title, w);
    let (_, legend_h) = legend_layout(&ser, w);
    let top = title_h + legend_h;
    let lines: Vec<Vec<String>> = cats
        .iter()
        .map(|(_, l)| wrap(l, label_w - 12.0, 12.0))
        .collect();
    let heights: Vec<f64> = lines
        .iter()
        .map(|l| (line_height(12.0) * l.len() as f64 + 9.0).max(24.0))
        .collect();
    let h = top + heights.iter().sum::<f64>() + 10.0;
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
    let plot = w - label_w - 50.0;
    let mut s = String::new();
    open(
        &mut s,
        t,
        w as u32,
        h.ceil() as u32,
        &describe(
            t,
            ("Stacked bar chart", "Diagramme en barres empilées"),
            lang,
        ),
    );
    heading(&mut s, &t.title, w);
    legend(&mut s, &ser, title_h, w);
    let mut y = top;
    for (i, ((code, _), l)) in cats.iter().zip(&lines).enumerate() {
        let rh = heights[i];
        let mid = y + rh / 2.0;
        let first = mid - line_height(12.0) * (l.len() as f64 - 1.0) / 2.0 + 4.0;
        text_lines(&mut s, label_w - 8.0, first, l, "end", 12.0, "lbl", "");
        let mut x = label_w;
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
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"18\" fill=\"{}\"><title>{}: {}</title></rect>",
                mid - 9.0,
                PALETTE[j % PALETTE.len()],
                esc(sl),
                format_number(v)
            );
            let txt = format_number(v);
            if bw > text_width(&txt, 11.0) + 6.0 {
                let _ = write!(
                    s,
                    "<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{}\">{txt}</text>",
                    x + bw / 2.0,
                    mid + 4.0,
                    if matches!(j % PALETTE.len(), 0 | 5 | 7) {
                        "#fff"
                    } else {
                        "#000"
                    },
                );
            }
            x += bw;
        }
        text_lines(
            &mut s,
            x + 4.0,
            mid + 4.0,
            &[format_number(totals[i])],
            "start",
            12.0,
            "val",
            "",
        );
        y += rh;
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// Lines a trend draws in one plot; with more series it draws small multiples.
pub const MAX_LINES: usize = 4;

/// Which x labels to write so that none runs into the next: every `step`-th.
fn x_step(xs: &[(String, String)], plot_w: f64, size: f64) -> usize {
    let widest = xs
        .iter()
        .map(|(_, l)| text_width(l, size))
        .fold(0.0, f64::max)
        + 8.0;
    let per = plot_w / xs.len().max(1) as f64;
    ((widest / per).ceil() as usize).max(1)
}

/// A trend: first key on the x axis (years, periods), one line per second key (or one line).
/// More than [`MAX_LINES`] series are drawn as small multiples, one small plot per series on a
/// shared scale, rather than as a tangle of lines in reused colours.
pub fn line(t: &Table, lang: &str) -> Chart {
    let xs = categories(t);
    let multi = t.rows.first().is_some_and(|r| r.keys.len() > 1);
    let ser = if multi {
        series(t)
    } else {
        vec![(
            String::new(),
            t.value_headers.first().cloned().unwrap_or_default(),
        )]
    };
    if ser.len() > MAX_LINES {
        return small_multiples(t, &xs, &ser, lang);
    }
    let (w, left, right, bottom) = (WIDTH, 50.0, 24.0, 40.0);
    let title_h = heading_height(&t.title, w);
    let legend_h = if ser.len() > 1 {
        legend_layout(&ser, w).1
    } else {
        0.0
    };
    let top = title_h + legend_h + 8.0;
    let h = top + 200.0 + bottom;
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
    let pw = w - left - right;
    let ph = h - top - bottom;
    // The first and last points stand off the axes, so their values clear the axis labels.
    let inset = 18.0;
    let px = |i: usize| {
        left + inset
            + if xs.len() > 1 {
                (pw - 2.0 * inset) * i as f64 / (xs.len() - 1) as f64
            } else {
                pw / 2.0 - inset
            }
    };
    let py = |v: f64| top + ph - v / max * ph;
    let mut s = String::new();
    open(
        &mut s,
        t,
        w as u32,
        h.ceil() as u32,
        &describe(t, ("Line chart", "Graphique linéaire"), lang),
    );
    heading(&mut s, &t.title, w);
    if ser.len() > 1 {
        legend(&mut s, &ser, title_h, w);
    }
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#666\"/><line x1=\"{left}\" y1=\"{top:.1}\" x2=\"{left}\" y2=\"{:.1}\" stroke=\"#666\"/><text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text><text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">0</text>",
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
    let step = x_step(&xs, pw, 12.0);
    for (i, (_, label)) in xs.iter().enumerate() {
        if i % step != 0 {
            continue;
        }
        text_lines(
            &mut s,
            px(i),
            top + ph + 16.0,
            std::slice::from_ref(label),
            "middle",
            12.0,
            "lbl",
            "",
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
        let labelled = ser.len() <= 2 && xs.len() <= 16;
        for (x, y, v) in pts {
            let _ = write!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3\" fill=\"{color}\"><title>{}</title></circle>",
                format_number(v)
            );
            if labelled {
                let _ = write!(
                    s,
                    "<text class=\"val\" x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{}</text>",
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

/// One small plot per series, three to a row, on a shared scale: the series' name above its
/// plot, the first and last x labels under it, its last value at the end of its line.
fn small_multiples(
    t: &Table,
    xs: &[(String, String)],
    ser: &[(String, String)],
    lang: &str,
) -> Chart {
    const COLS: usize = 2;
    let w = WIDTH;
    let cell_w = w / COLS as f64;
    let (left, right, plot_h, below) = (34.0, 40.0, 60.0, 30.0);
    let pw = cell_w - left - right;
    let title_h = heading_height(&t.title, w);
    let what = t.value_headers.first().cloned().unwrap_or_default();
    let top = title_h + line_height(12.0) + 4.0;
    let headers: Vec<Vec<String>> = ser
        .iter()
        .map(|(_, l)| wrap(l, cell_w - 12.0, 11.0))
        .collect();
    let rows = ser.len().div_ceil(COLS);
    let header_h: Vec<f64> = (0..rows)
        .map(|r| {
            headers[r * COLS..((r + 1) * COLS).min(ser.len())]
                .iter()
                .map(|l| l.len())
                .max()
                .unwrap_or(1) as f64
                * line_height(11.0)
                + 6.0
        })
        .collect();
    let h = top + header_h.iter().map(|hh| hh + plot_h + below).sum::<f64>() + 4.0;
    let max = t
        .rows
        .iter()
        .filter_map(|r| r.values[0])
        .fold(0.0f64, f64::max)
        .max(1.0);
    let mut s = String::new();
    let desc = format!(
        "{} {}",
        describe(t, ("Small multiples", "Petits multiples"), lang),
        tr(
            lang,
            "One small line chart per series, on a shared scale.",
            "Un petit graphique linéaire par série, sur une échelle commune.",
        )
    );
    open(&mut s, t, w as u32, h.ceil() as u32, &desc);
    heading(&mut s, &t.title, w);
    text_lines(
        &mut s,
        0.0,
        title_h,
        std::slice::from_ref(&what),
        "start",
        12.0,
        "lbl",
        " fill=\"#444\"",
    );
    let mut y0 = top;
    for (r, row_h) in header_h.iter().enumerate().take(rows) {
        for c in 0..COLS {
            let k = r * COLS + c;
            let Some((sc, _)) = ser.get(k) else { break };
            let x0 = c as f64 * cell_w;
            // One group per plot: its labels belong together.
            s.push_str("<g>");
            text_lines(
                &mut s,
                x0 + 4.0,
                y0 + 11.0,
                &headers[k],
                "start",
                11.0,
                "lbl",
                " font-weight=\"bold\"",
            );
            let top_p = y0 + row_h;
            let (l, b) = (x0 + left, top_p + plot_h);
            let _ = write!(
                s,
                "<path d=\"M{l:.1},{top_p:.1}V{b:.1}H{:.1}\" fill=\"none\" stroke=\"#888\"/><text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">{}</text><text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">0</text>",
                l + pw,
                l - 3.0,
                top_p + 8.0,
                format_number(max.round()),
                l - 3.0,
                b + 3.0,
            );
            let px = |i: usize| {
                l + if xs.len() > 1 {
                    pw * i as f64 / (xs.len() - 1) as f64
                } else {
                    pw / 2.0
                }
            };
            let pts: Vec<(f64, f64, f64)> = xs
                .iter()
                .enumerate()
                .filter_map(|(i, (x, _))| {
                    t.rows
                        .iter()
                        .find(|row| row.keys[0].code == *x && row.keys[1].code == *sc)
                        .and_then(|row| row.values[0])
                        .map(|v| (px(i), b - v / max * plot_h, v))
                })
                .collect();
            let d: Vec<String> = pts
                .iter()
                .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                s,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
                d.join(" "),
                PALETTE[0]
            );
            for (x, y, v) in &pts {
                let _ = write!(
                    s,
                    "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2.5\" fill=\"{}\"><title>{}</title></circle>",
                    PALETTE[0],
                    format_number(*v)
                );
            }
            if let Some((x, y, v)) = pts.last() {
                text_lines(
                    &mut s,
                    x + 4.0,
                    y + 4.0,
                    &[format_number(*v)],
                    "start",
                    10.0,
                    "val",
                    "",
                );
            }
            // The first and last x labels (distinct categories, so never the same text).
            if let Some((_, first)) = xs.first() {
                text_lines(
                    &mut s,
                    l,
                    b + 13.0,
                    std::slice::from_ref(first),
                    "start",
                    10.0,
                    "tick",
                    "",
                );
            }
            if xs.len() > 1
                && let Some((_, last)) = xs.last()
            {
                text_lines(
                    &mut s,
                    l + pw,
                    b + 13.0,
                    std::slice::from_ref(last),
                    "end",
                    10.0,
                    "tick",
                    "",
                );
            }
            s.push_str("</g>");
        }
        y0 += row_h + plot_h + below;
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
    let w = WIDTH;
    let (row_h, top) = (40.0f64, heading_height(&t.title, w));
    let h = top + rows.len().max(1) as f64 * row_h + 6.0;
    let max = rows
        .iter()
        .filter_map(|r| r.values[0])
        .fold(0.0f64, f64::max)
        .max(1.0);
    let mut s = String::new();
    open(
        &mut s,
        t,
        w as u32,
        h.ceil() as u32,
        &describe(t, ("Funnel chart", "Diagramme en entonnoir"), lang),
    );
    heading(&mut s, &t.title, w);
    let (cx, widest) = (120.0, 230.0);
    for (i, r) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let v = r.values[0];
        let bw = v.map_or(0.0, |v| (v / max * widest).max(2.0));
        let stage = r.keys.last().map(|k| k.label.as_str()).unwrap_or("");
        let share = r.values.get(1).copied().flatten();
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{}\" fill=\"{}\"/>",
            cx - bw / 2.0,
            y + 2.0,
            row_h - 8.0,
            PALETTE[i % PALETTE.len()],
        );
        let text = format!(
            "{stage}: {}{}",
            value_text(v),
            share
                .map(|p| format!(" ({}%)", format_number(p)))
                .unwrap_or_default()
        );
        let tx = cx + widest / 2.0 + 8.0;
        let lines = wrap(&text, w - tx - 4.0, 12.0);
        let first_y = y + 22.0 - line_height(12.0) * (lines.len() as f64 - 1.0) / 2.0;
        text_lines(&mut s, tx, first_y, &lines, "start", 12.0, "lbl", "");
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// Places labels of heights `hs` as near as may be to the centres `want`, in order, without
/// overlap (`gap` between two) and within `[lo, hi]`; returns each label's top.
fn place_labels(want: &[f64], hs: &[f64], gap: f64, lo: f64, hi: f64) -> Vec<f64> {
    let mut tops: Vec<f64> = want.iter().zip(hs).map(|(c, h)| c - h / 2.0).collect();
    // Down: each below the previous.
    let mut floor = lo;
    for (t, h) in tops.iter_mut().zip(hs) {
        *t = t.max(floor);
        floor = *t + h + gap;
    }
    // Up: the last within the bottom, each above the next.
    let mut ceil = hi;
    for (t, h) in tops.iter_mut().zip(hs).rev() {
        *t = t.min(ceil - h);
        ceil = *t - gap;
    }
    tops
}

/// A flow diagram (Sankey-like): origins on the left, transit in the middle, destinations on
/// the right; each band's width is proportional to its value, and every node is labelled with
/// its total, in full (wrapped), the labels of a column moved apart so that none overlaps
/// another (a thin line leads to its node when moved). At most `max_nodes` nodes per column
/// (the rest grouped as "Other").
pub fn flow(title: &str, links: &[FlowLink], table: &Table, max_nodes: usize, lang: &str) -> Chart {
    let other = tr(lang, "Other", "Autres");
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
    // Labels: "name (total)", wrapped.
    const SIZE: f64 = 11.0;
    let labels: [Vec<Vec<String>>; 3] = std::array::from_fn(|c| {
        cols[c]
            .iter()
            .map(|(_, label, v)| wrap(&format!("{label} ({})", format_number(*v)), 170.0, SIZE))
            .collect()
    });
    let widest = |c: usize| {
        labels[c]
            .iter()
            .flatten()
            .map(|l| text_width(l, SIZE))
            .fold(0.0, f64::max)
    };
    let lh = line_height(SIZE);
    let label_h =
        |c: usize| -> Vec<f64> { labels[c].iter().map(|l| l.len() as f64 * lh).collect() };
    let total: f64 = cols[0].iter().map(|n| n.2).sum::<f64>().max(1.0);
    let (top, gap, node_w) = (heading_height(title, 740.0), 6.0, 12.0);
    let needed = (0..3)
        .map(|c| label_h(c).iter().map(|h| h + 3.0).sum::<f64>())
        .fold(0.0, f64::max);
    let h = (top + 10.0 + needed).max(360.0);
    let x0 = widest(0) + 10.0;
    let x1 = x0 + node_w + 170.0;
    let x2 = x1 + node_w + f64::max(170.0, widest(1) + 40.0);
    let xs = [x0, x1, x2];
    let w = (x2 + node_w + 6.0 + widest(2) + 4.0).max(WIDTH);
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
    open_class(
        &mut s,
        &tbl,
        w.ceil() as u32,
        h.ceil() as u32,
        &desc,
        "wide",
    );
    heading(&mut s, title, w);
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
        let (xa, xb) = (xs[fc] + node_w, xs[tc]);
        let mx = (xa + xb) / 2.0;
        let _ = write!(
            s,
            "<path d=\"M{xa:.1},{y0:.1}C{mx:.1},{y0:.1} {mx:.1},{y1:.1} {xb:.1},{y1:.1}\" fill=\"none\" stroke=\"{}\" stroke-opacity=\"0.45\" stroke-width=\"{:.1}\"/>",
            PALETTE[fi % PALETTE.len()],
            bw.max(0.5)
        );
    }
    for c in 0..3 {
        let hs = label_h(c);
        let want: Vec<f64> = pos[c].iter().map(|(_, y, hh)| y + hh / 2.0).collect();
        let tops = place_labels(&want, &hs, 3.0, top, h - 4.0);
        for (i, (_, y, hgt)) in pos[c].iter().enumerate() {
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{y:.1}\" width=\"{node_w}\" height=\"{:.1}\" fill=\"{}\"/>",
                xs[c],
                hgt.max(1.0),
                if c == 0 {
                    PALETTE[i % PALETTE.len()]
                } else {
                    "#555"
                },
            );
            let (tx, anchor, edge) = match c {
                0 => (xs[0] - 5.0, "end", xs[0]),
                _ => (xs[c] + node_w + 5.0, "start", xs[c] + node_w),
            };
            let centre = tops[i] + hs[i] / 2.0;
            if (centre - want[i]).abs() > 2.0 {
                let lx = if c == 0 { tx + 2.0 } else { tx - 2.0 };
                let _ = write!(
                    s,
                    "<line x1=\"{edge:.1}\" y1=\"{:.1}\" x2=\"{lx:.1}\" y2=\"{centre:.1}\" stroke=\"#999\" stroke-width=\"0.8\"/>",
                    want[i]
                );
            }
            text_lines(
                &mut s,
                tx,
                tops[i] + SIZE - 1.0,
                &labels[c][i],
                anchor,
                SIZE,
                "lbl",
                if c == 1 {
                    " paint-order=\"stroke\" stroke=\"#fff\" stroke-width=\"3\""
                } else {
                    ""
                },
            );
        }
    }
    s.push_str("</svg>");
    Chart { svg: s, table: tbl }
}

/// A sequential blue scale in five steps, light to dark (one hue: read in grey and with any
/// colour-vision deficiency), with the text colour each step needs.
const BLUES: [(&str, &str); 5] = [
    ("#eff3ff", "#000"),
    ("#bdd7e7", "#000"),
    ("#6baed6", "#000"),
    ("#3182bd", "#fff"),
    ("#08519c", "#fff"),
];

fn blue(pct: f64) -> (&'static str, &'static str) {
    BLUES[((pct / 20.0).floor() as usize).min(4)]
}

/// A heat map of a percentage: columns from the first key (providers), rows from the second
/// (variables as `entity.variable`), grouped by the code's part before the dot under the
/// group labels given (`(entity, label)`, from the dictionary). Each cell carries its value as
/// text; a blank grey cell is a combination the table has no row for (the provider sent no
/// records of that entity). Column names are written in full, slanted; rows are in label order.
pub fn heatmap(t: &Table, groups: &[(String, String)], lang: &str) -> Chart {
    let cols = categories(t);
    // Rows per group, groups in first-seen order.
    let mut grouped: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for r in &t.rows {
        let Some(k) = r.keys.get(1) else { continue };
        let g = k.code.split_once('.').map_or("", |(g, _)| g).to_string();
        let idx = match grouped.iter().position(|x| x.0 == g) {
            Some(i) => i,
            None => {
                grouped.push((g, Vec::new()));
                grouped.len() - 1
            }
        };
        if !grouped[idx].1.iter().any(|(c, _)| *c == k.code) {
            grouped[idx].1.push((k.code.clone(), k.label.clone()));
        }
    }
    for (_, rows) in &mut grouped {
        rows.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    }
    let value: rustc_hash::FxHashMap<(&str, &str), Option<f64>> = t
        .rows
        .iter()
        .filter(|r| r.keys.len() >= 2)
        .map(|r| {
            (
                (r.keys[0].code.as_str(), r.keys[1].code.as_str()),
                r.values.first().copied().flatten(),
            )
        })
        .collect();
    const SIZE: f64 = 11.0;
    let (cell_w, cell_h) = (40.0f64, 18.0f64);
    let lh = line_height(SIZE);
    let row_lines: Vec<Vec<Vec<String>>> = grouped
        .iter()
        .map(|(_, rows)| rows.iter().map(|(_, l)| wrap(l, 210.0, SIZE)).collect())
        .collect();
    let label_w = row_lines
        .iter()
        .flatten()
        .flatten()
        .map(|l| text_width(l, SIZE))
        .fold(120.0, f64::max)
        + 10.0;
    // Column names, slanted at 60°, in as many lines as fit between two columns (two): their
    // height decides where the grid starts.
    let (sin, cos) = (60f64.to_radians().sin(), 60f64.to_radians().cos());
    let max_lines = ((cell_w * sin) / lh).floor().max(1.0) as usize;
    let col_lines: Vec<Vec<String>> = cols
        .iter()
        .map(|(_, l)| {
            let mut width = 200.0;
            loop {
                let lines = wrap(l, width, SIZE);
                if lines.len() <= max_lines {
                    break lines;
                }
                width += 20.0;
            }
        })
        .collect();
    let col_extent = |l: &Vec<String>| {
        let tw = l.iter().map(|x| text_width(x, SIZE)).fold(0.0, f64::max);
        (tw * sin + l.len() as f64 * lh * cos, tw * cos)
    };
    let header_h = col_lines
        .iter()
        .map(|l| col_extent(l).0)
        .fold(0.0, f64::max)
        + 8.0;
    let grid_w = cols.len() as f64 * cell_w;
    let w = (label_w + grid_w + col_lines.last().map_or(0.0, |l| col_extent(l).1) + 10.0)
        .max(label_w + grid_w + 20.0)
        .max(400.0);
    let title_h = heading_height(&t.title, w);
    let legend_y = title_h;
    let grid_top = legend_y + 26.0 + header_h;
    let row_h = |l: &Vec<String>| (l.len() as f64 * lh + 5.0).max(cell_h);
    let h = grid_top
        + grouped
            .iter()
            .zip(&row_lines)
            .map(|(_, rows)| 22.0 + rows.iter().map(row_h).sum::<f64>())
            .sum::<f64>()
        + 10.0;
    let mut s = String::with_capacity(1024 + 90 * t.rows.len());
    let desc = format!(
        "{} {}",
        describe(t, ("Heat map", "Carte de chaleur"), lang),
        tr(
            lang,
            "Darker cells are higher percentages; each cell writes its value.",
            "Plus une cellule est foncée, plus le pourcentage est élevé ; chaque cellule écrit sa valeur.",
        )
    );
    open_class(&mut s, t, w.ceil() as u32, h.ceil() as u32, &desc, "wide");
    heading(&mut s, &t.title, w);
    // Legend: the five steps, then "no records".
    let mut lx = 0.0;
    let what = t.value_headers.first().cloned().unwrap_or_default();
    text_lines(
        &mut s,
        lx,
        legend_y + 12.0,
        std::slice::from_ref(&what),
        "start",
        SIZE,
        "lbl",
        "",
    );
    lx += text_width(&what, SIZE) + 10.0;
    for (i, (fill, ink)) in BLUES.iter().enumerate() {
        let range = if i == 4 {
            "80–100".to_string()
        } else {
            format!("{}–{}", i * 20, i * 20 + 19)
        };
        let bw = text_width(&range, 10.0) + 10.0;
        let _ = write!(
            s,
            "<rect x=\"{lx:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"16\" fill=\"{fill}\"/><text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\" fill=\"{ink}\">{range}</text>",
            legend_y,
            lx + bw / 2.0,
            legend_y + 12.0
        );
        lx += bw + 2.0;
    }
    let none = tr(lang, "no records", "aucune fiche");
    let _ = write!(
        s,
        "<rect x=\"{:.1}\" y=\"{legend_y:.1}\" width=\"16\" height=\"16\" fill=\"#f2f2f2\" stroke=\"#ccc\"/>",
        lx + 8.0
    );
    text_lines(
        &mut s,
        lx + 28.0,
        legend_y + 12.0,
        &[none.to_string()],
        "start",
        SIZE,
        "lbl",
        "",
    );
    // Column names, slanted up and to the right from the top of the grid.
    for (i, l) in col_lines.iter().enumerate() {
        let cx = label_w + i as f64 * cell_w + cell_w / 2.0;
        let by = grid_top - 6.0;
        let _ = write!(
            s,
            "<g transform=\"translate({cx:.1},{by:.1}) rotate(-60)\">"
        );
        // The last line nearest the grid.
        let first = -(l.len() as f64 - 1.0) * lh;
        text_lines(&mut s, 0.0, first, l, "start", SIZE, "lbl", "");
        s.push_str("</g>");
    }
    let mut y = grid_top;
    for ((g, rows), lines) in grouped.iter().zip(&row_lines) {
        // One group per entity: its variables' names belong together.
        s.push_str("<g>");
        let glabel = groups
            .iter()
            .find(|(code, _)| code == g)
            .map_or(g.as_str(), |(_, l)| l.as_str());
        text_lines(
            &mut s,
            0.0,
            y + 15.0,
            &[glabel.to_string()],
            "start",
            12.0,
            "lbl",
            " font-weight=\"bold\"",
        );
        y += 22.0;
        for ((code, _), l) in rows.iter().zip(lines) {
            let rh = row_h(l);
            let first = y + rh / 2.0 - lh * (l.len() as f64 - 1.0) / 2.0 + 4.0;
            text_lines(&mut s, label_w - 8.0, first, l, "end", SIZE, "lbl", "");
            let _ = write!(
                s,
                "<g transform=\"translate({label_w:.1},{:.1})\" font-size=\"10\" text-anchor=\"middle\">",
                y + (rh - cell_h) / 2.0
            );
            for (i, (col, _)) in cols.iter().enumerate() {
                let x = i as f64 * cell_w;
                match value.get(&(col.as_str(), code.as_str())) {
                    None => {
                        let _ = write!(
                            s,
                            "<rect x=\"{x:.0}\" width=\"{}\" height=\"{}\" fill=\"#f2f2f2\"/>",
                            cell_w - 1.0,
                            cell_h - 1.0
                        );
                    }
                    Some(v) => {
                        let (fill, ink) = v.map_or(("#f2f2f2", "#000"), blue);
                        let _ = write!(
                            s,
                            "<rect x=\"{x:.0}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"/><text x=\"{:.0}\" y=\"13\" fill=\"{ink}\">{}</text>",
                            cell_w - 1.0,
                            cell_h - 1.0,
                            x + cell_w / 2.0,
                            v.map_or("c".to_string(), |p| format_number(p.round()))
                        );
                    }
                }
            }
            s.push_str("</g>");
            y += rh;
        }
        s.push_str("</g>");
    }
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}

/// Estimates with their intervals beside what was observed: one row per estimate (`label`,
/// observed, estimate, low, high), a dot for the estimate on a line from low to high, and the
/// observed count as a bar underneath — what a multiple systems estimate says at a glance.
pub fn interval(t: &Table, lang: &str) -> Chart {
    let w = WIDTH;
    let label_w = 140.0;
    let top = heading_height(&t.title, w);
    let rows: Vec<(Vec<String>, [Option<f64>; 4])> = t
        .rows
        .iter()
        .map(|r| {
            let label = r
                .keys
                .iter()
                .map(|k| k.label.as_str())
                .collect::<Vec<_>>()
                .join(" · ");
            let v = |i: usize| r.values.get(i).copied().flatten();
            (wrap(&label, label_w - 12.0, 12.0), [v(0), v(1), v(2), v(3)])
        })
        .collect();
    let heights: Vec<f64> = rows
        .iter()
        .map(|(l, _)| (line_height(12.0) * l.len() as f64 + 26.0).max(46.0))
        .collect();
    let h = top + heights.iter().sum::<f64>() + 40.0;
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(0.0f64, f64::max)
        .max(1.0);
    let plot = w - label_w - 60.0;
    let x = |v: f64| label_w + v / max * plot;
    let mut s = String::new();
    let desc = describe(
        t,
        ("Estimates with intervals", "Estimations et intervalles"),
        lang,
    );
    open(&mut s, t, w as u32, h.ceil() as u32, &desc);
    heading(&mut s, &t.title, w);
    let mut y = top;
    for ((l, [obs, est, lo, hi]), rh) in rows.iter().zip(&heights) {
        let mid = y + rh / 2.0;
        let first = mid - line_height(12.0) * (l.len() as f64 - 1.0) / 2.0 + 4.0;
        text_lines(&mut s, label_w - 8.0, first, l, "end", 12.0, "lbl", "");
        if let Some(o) = obs {
            let _ = write!(
                s,
                "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"8\" fill=\"#bbb\"><title>{}</title></rect>",
                mid + 6.0,
                x(*o) - label_w,
                format_number(*o)
            );
        }
        if let (Some(lo), Some(hi)) = (lo, hi) {
            let _ = write!(
                s,
                "<path d=\"M{:.1},{:.1}H{:.1}M{:.1},{:.1}v8M{:.1},{:.1}v8\" stroke=\"{}\" stroke-width=\"2\" fill=\"none\"/>",
                x(*lo),
                mid - 4.0,
                x(*hi),
                x(*lo),
                mid - 8.0,
                x(*hi),
                mid - 8.0,
                PALETTE[0]
            );
        }
        if let Some(e) = est {
            let _ = write!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/>",
                x(*e),
                mid - 4.0,
                PALETTE[5]
            );
            text_lines(
                &mut s,
                x(hi.unwrap_or(*e)) + 6.0,
                mid,
                &[format_number(e.round())],
                "start",
                12.0,
                "val",
                "",
            );
        }
        y += rh;
    }
    // Key: what the marks are (the headers of the table's columns), one per line.
    let key = |i: usize| t.value_headers.get(i).cloned().unwrap_or_default();
    let _ = write!(
        s,
        "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"14\" height=\"8\" fill=\"#bbb\"/><circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/>",
        y + 6.0,
        label_w + 7.0,
        y + 26.0,
        PALETTE[5]
    );
    text_lines(
        &mut s,
        label_w + 18.0,
        y + 14.0,
        &[key(0)],
        "start",
        11.0,
        "lbl",
        "",
    );
    text_lines(
        &mut s,
        label_w + 18.0,
        y + 30.0,
        &[format!("{} [{} – {}]", key(1), key(2), key(3))],
        "start",
        11.0,
        "lbl",
        "",
    );
    s.push_str("</svg>");
    Chart {
        svg: s,
        table: t.clone(),
    }
}
