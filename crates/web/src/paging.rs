//! Lists a page at a time: the "previous / next" links under a list and the sentence saying
//! which rows are shown, keeping the rest of the query string (filters, tab, language).
//! Numbered pages (`?page=`) for lists the store counts; keyset pages (`?after=`, `?before=`)
//! for the long ones (records, the audit log), where only "next" and "first" make sense.

use crate::auth::urlencode;
use crate::i18n::{Arg, number, tr};

/// Rows on a page of a list, unless the list says otherwise.
pub const PAGE_SIZE: usize = 50;

/// A query string of `params` (`k=v&…`), percent-encoded, leaving out `drop`.
pub fn query(params: &[(String, String)], drop: &[&str]) -> String {
    params
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path?query` with `extra` appended (`path` alone when both are empty).
pub fn href(path: &str, query: &str, extra: &str) -> String {
    match (query.is_empty(), extra.is_empty()) {
        (true, true) => path.to_string(),
        (false, true) => format!("{path}?{query}"),
        (true, false) => format!("{path}?{extra}"),
        (false, false) => format!("{path}?{query}&{extra}"),
    }
}

/// The page asked for (1-based), from `?page=`.
pub fn page_number(params: &[(String, String)]) -> usize {
    params
        .iter()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1)
}

/// A numbered page of `total` rows: (offset of its first row, the pager to show under it).
pub fn numbered(
    lang: &str,
    path: &str,
    params: &[(String, String)],
    size: usize,
    total: usize,
) -> (usize, minijinja::Value) {
    let pages = total.div_ceil(size).max(1);
    let page = page_number(params).min(pages);
    let offset = (page - 1) * size;
    let q = query(params, &["page"]);
    let link = |p: usize| {
        if p == 1 {
            href(path, &q, "")
        } else {
            href(path, &q, &format!("page={p}"))
        }
    };
    let summary = rows_summary(lang, offset, (offset + size).min(total), total);
    let ctx = minijinja::context! {
        summary,
        prev => (page > 1).then(|| link(page - 1)),
        next => (page < pages).then(|| link(page + 1)),
        first => (page > 2).then(|| link(1)),
        last => (page + 1 < pages).then(|| link(pages)),
        page_label => tr(lang, "page-of", &[("page", Arg::Num(page as i64)), ("pages", Arg::Num(pages as i64))]),
        show => pages > 1,
    };
    (offset, ctx)
}

/// A keyset page: links to the next rows (after the last shown) and back to the first.
pub fn keyset(
    lang: &str,
    path: &str,
    params: &[(String, String)],
    key: &str,
    next: Option<i64>,
    shown: usize,
    total: Option<usize>,
) -> minijinja::Value {
    let q = query(params, &[key, "page"]);
    let at_start = !params.iter().any(|(k, _)| k == key);
    let summary = match total {
        Some(t) => tr(
            lang,
            "rows-shown-of",
            &[
                ("shown", Arg::Str(number(shown as i64, lang))),
                ("total", Arg::Str(number(t as i64, lang))),
            ],
        ),
        None => tr(
            lang,
            "rows-shown",
            &[("shown", Arg::Str(number(shown as i64, lang)))],
        ),
    };
    minijinja::context! {
        summary,
        first => (!at_start).then(|| href(path, &q, "")),
        next => next.map(|n| href(path, &q, &format!("{key}={n}"))),
        show => next.is_some() || !at_start,
    }
}

/// "Rows 51–100 of 1,234".
fn rows_summary(lang: &str, offset: usize, end: usize, total: usize) -> String {
    if total == 0 {
        return String::new();
    }
    tr(
        lang,
        "rows-range",
        &[
            ("from", Arg::Str(number(offset as i64 + 1, lang))),
            ("to", Arg::Str(number(end as i64, lang))),
            ("total", Arg::Str(number(total as i64, lang))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn numbered_pages_keep_the_filters_and_stop_at_the_ends() {
        let p = params(&[("status", "submitted"), ("page", "2"), ("q", "a b")]);
        let (offset, ctx) = numbered("en", "/submissions", &p, 50, 120);
        assert_eq!(offset, 50);
        assert_eq!(
            ctx.get_attr("prev").unwrap().as_str(),
            Some("/submissions?status=submitted&q=a%20b")
        );
        assert_eq!(
            ctx.get_attr("next").unwrap().as_str(),
            Some("/submissions?status=submitted&q=a%20b&page=3")
        );
        let (offset, ctx) = numbered("en", "/x", &params(&[("page", "99")]), 50, 120);
        assert_eq!(offset, 100, "past the end is the last page");
        assert!(ctx.get_attr("next").unwrap().is_none());
        let (_, ctx) = numbered("en", "/x", &[], 50, 10);
        assert!(!ctx.get_attr("show").unwrap().is_true());
    }

    #[test]
    fn keyset_pages_link_forward_and_back_to_the_start() {
        let p = params(&[("entity", "victim"), ("after", "40")]);
        let ctx = keyset("en", "/records", &p, "after", Some(90), 50, None);
        assert_eq!(
            ctx.get_attr("next").unwrap().as_str(),
            Some("/records?entity=victim&after=90")
        );
        assert_eq!(
            ctx.get_attr("first").unwrap().as_str(),
            Some("/records?entity=victim")
        );
    }
}
