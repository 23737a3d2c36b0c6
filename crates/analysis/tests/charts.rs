//! Charts are well-formed XML (parsed with quick-xml), accessible (title and desc referenced by
//! aria-labelledby, every value as text), light, and escape whatever labels they are given.

use quick_xml::Reader;
use quick_xml::events::Event;
use tessera_analysis::dashboard::FlowLink;
use tessera_analysis::svg;
use tessera_analysis::{Key, Table, TableRow};

fn table(id: &str, keys: &[&str], rows: &[(&[&str], f64)]) -> Table {
    Table {
        id: id.into(),
        title: format!("Victims by <{id}> & \"more\""),
        key_headers: keys.iter().map(|k| k.to_string()).collect(),
        value_headers: vec!["Records".into()],
        rows: rows
            .iter()
            .map(|(k, v)| TableRow {
                keys: k
                    .iter()
                    .map(|c| Key::new(c, &format!("{c} <&> 'x'")))
                    .collect(),
                values: vec![Some(*v)],
            })
            .collect(),
        unit: "records".into(),
        suppressed: false,
        drill: None,
    }
}

/// Parses the whole document; returns (element names, text content).
fn parse(svg: &str) -> (Vec<String>, String) {
    let mut r = Reader::from_str(svg);
    r.config_mut().check_end_names = true;
    let mut names = Vec::new();
    let mut text = String::new();
    let mut depth = 0i32;
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                names.push(e.name().as_ref().to_string());
                for a in e.attributes() {
                    a.expect("well-formed attribute");
                }
            }
            Ok(Event::Empty(e)) => {
                names.push(e.name().as_ref().to_string());
                for a in e.attributes() {
                    a.expect("well-formed attribute");
                }
            }
            Ok(Event::End(_)) => {
                depth -= 1;
                text.push(' ');
            }
            Ok(Event::Text(t)) => {
                text.push_str(&t);
            }
            Ok(Event::GeneralRef(g)) => {
                let name = g.to_string();
                assert!(
                    ["amp", "lt", "gt", "quot", "#39"].contains(&name.as_str()),
                    "unknown entity {name}"
                );
                text.push_str(match name.as_str() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    _ => "'",
                });
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}\n{svg}", r.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
    (names, text)
}

fn check(c: &svg::Chart) {
    let (names, text) = parse(&c.svg);
    assert_eq!(names[0], "svg");
    assert_eq!(names[1], "title");
    assert_eq!(names[2], "desc");
    assert!(c.svg.contains("role=\"img\""));
    let id: String = c
        .table
        .id
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' })
        .collect();
    assert!(
        c.svg
            .contains(&format!("aria-labelledby=\"{id}-t {id}-d\""))
    );
    assert!(c.svg.contains(&format!("<title id=\"{id}-t\">")));
    assert!(c.svg.contains(&format!("<desc id=\"{id}-d\">")));
    assert!(!c.svg.contains("<script"), "no script");
    assert!(c.svg.len() < 8_000, "{} bytes", c.svg.len());
    assert!(text.contains(&c.table.title), "title as text: {text}");
    let csv = c.csv();
    assert_eq!(csv.lines().count(), c.table.rows.len() + 1);
}

#[test]
fn bar_stacked_line_funnel_and_flow_are_well_formed_and_labelled() {
    let by_region = table(
        "by_region",
        &["Region"],
        &[
            (&["CF-BGF"], 1200.0),
            (&["CF-KG"], 300.0),
            (&[""], 12.0),
            (&["CF-OP"], 0.5),
        ],
    );
    let c = svg::bar(&by_region, "en");
    check(&c);
    let (_, text) = parse(&c.svg);
    for v in ["1200", "300", "12", "0.5"] {
        assert!(text.contains(v), "value {v} written as text");
    }
    assert!(
        text.contains("CF-BGF <&> 'x'"),
        "labels escaped and restored: {text}"
    );

    let year_sex = table(
        "year-sex",
        &["Year", "Sex"],
        &[
            (&["2021", "F"], 40.0),
            (&["2021", "M"], 20.0),
            (&["2022", "F"], 55.0),
            (&["2022", "M"], 31.0),
            (&["2023", "F"], 61.0),
        ],
    );
    check(&svg::stacked_bar(&year_sex, "en"));
    check(&svg::line(&year_sex, "en"));
    check(&svg::line(
        &table("trend", &["Year"], &[(&["2021"], 4.0), (&["2022"], 9.0)]),
        "fr",
    ));

    let mut funnel = table(
        "funnel",
        &["Offence", "Stage"],
        &[
            (&["TIP", "INVESTIGATED"], 1000.0),
            (&["TIP", "PROSECUTED"], 500.0),
            (&["TIP", "CONVICTED"], 170.0),
            (&["SOM", "INVESTIGATED"], 10.0),
        ],
    );
    for r in &mut funnel.rows {
        r.values.push(Some(50.0));
    }
    let f = svg::funnel(&funnel, "en");
    check(&f);
    assert_eq!(f.svg.matches("<rect").count(), 3, "one offence per funnel");

    let k = |c: &str| Key::new(c, c);
    let links: Vec<FlowLink> = (0..12)
        .flat_map(|i| {
            let o = format!("O{i}");
            [
                FlowLink {
                    stage: 0,
                    from: k(&o),
                    to: k(if i % 2 == 0 { "CF" } else { "" }),
                    value: 10.0 + i as f64,
                },
                FlowLink {
                    stage: 1,
                    from: k(if i % 2 == 0 { "CF" } else { "" }),
                    to: k(&format!("D{}", i % 3)),
                    value: 10.0 + i as f64,
                },
            ]
        })
        .collect();
    let flow = svg::flow(
        "Flows & routes",
        &links,
        &table("routes", &["Origin"], &[(&["O1"], 1.0)]),
        6,
        "en",
    );
    check(&flow);
    let (_, text) = parse(&flow.svg);
    assert!(text.contains("Other"), "small origins grouped");
    assert_eq!(
        flow.svg.matches("<path").count(),
        7 + 6,
        "bands after grouping"
    );
}

#[test]
fn suppressed_cells_are_marked_not_drawn_as_zero() {
    let mut t = table(
        "sup",
        &["Sex"],
        &[(&["F"], 40.0), (&["M"], 3.0), (&["X"], 2.0)],
    );
    t = tessera_analysis::suppress(&t, 5.0);
    let c = svg::bar(&t, "en");
    check(&c);
    let (_, text) = parse(&c.svg);
    assert!(text.contains(" c "), "suppressed cells labelled c: {text}");
    assert!(c.svg.contains("suppressed to protect privacy"));
    let fr = svg::bar(&t, "fr");
    check(&fr);
    assert!(fr.svg.contains("masquées pour protéger la vie privée"));
    assert!(c.csv().contains(",c\r\n"));
}

#[test]
fn empty_tables_still_make_valid_charts() {
    let t = table("empty", &["Sex"], &[]);
    for c in [
        svg::bar(&t, "en"),
        svg::stacked_bar(&t, "en"),
        svg::line(&t, "en"),
        svg::funnel(&t, "en"),
        svg::flow("x", &[], &t, 5, "en"),
    ] {
        parse(&c.svg);
    }
}

/// The labels (`class="lbl"`) of a chart: each text element's x, y, line count and whole text.
fn labels(svg: &str) -> Vec<(f64, f64, usize, String)> {
    let mut r = Reader::from_str(svg);
    let mut out = Vec::new();
    let mut cur: Option<(f64, f64, usize, String)> = None;
    let mut depth_in_label = 0;
    loop {
        match r.read_event().unwrap() {
            Event::Start(e) => {
                let attr = |k: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k)
                        .map(|a| a.value.to_string())
                };
                if e.name().as_ref() == "text" && attr("class").as_deref() == Some("lbl") {
                    let num = |k: &str| attr(k).and_then(|v| v.parse().ok()).unwrap_or(0.0);
                    cur = Some((num("x"), num("y"), 1, String::new()));
                    depth_in_label = 1;
                } else if cur.is_some() {
                    depth_in_label += 1;
                    if e.name().as_ref() == "tspan"
                        && let Some(c) = cur.as_mut()
                        && !c.3.is_empty()
                    {
                        c.2 += 1;
                        c.3.push(' ');
                    }
                }
            }
            Event::Text(t) => {
                if let Some(c) = cur.as_mut() {
                    c.3.push_str(&t);
                }
            }
            Event::GeneralRef(g) => {
                if let Some(c) = cur.as_mut() {
                    c.3.push(match g.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        _ => '\'',
                    });
                }
            }
            Event::End(_) if cur.is_some() => {
                depth_in_label -= 1;
                if depth_in_label == 0
                    && let Some(c) = cur.take()
                {
                    out.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

fn long_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("République démocratique du Congo, province numéro {i}"))
        .collect()
}

#[test]
fn bars_write_every_label_in_full_and_add_up_the_rest_as_others() {
    let names = long_names(40);
    let mut rows: Vec<(Vec<&str>, f64)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (vec![n.as_str()], 1000.0 - i as f64 * 10.0))
        .collect();
    rows.push((vec![""], 7.0));
    let t = Table {
        id: "by_origin".into(),
        title: "Victims by country of origin".into(),
        key_headers: vec!["Origin".into()],
        value_headers: vec!["Records".into()],
        rows: rows
            .iter()
            .map(|(k, v)| TableRow {
                keys: k
                    .iter()
                    .map(|c| {
                        Key::new(
                            if c.is_empty() { "" } else { c },
                            if c.is_empty() { "Not recorded" } else { c },
                        )
                    })
                    .collect(),
                values: vec![Some(*v)],
            })
            .collect(),
        unit: "records".into(),
        suppressed: false,
        drill: None,
    };
    let c = svg::bar(&t, "en");
    parse(&c.svg);
    let l = labels(&c.svg);
    let texts: Vec<&str> = l.iter().map(|x| x.3.as_str()).collect();
    assert_eq!(texts.len(), svg::TOP_N, "{texts:?}");
    assert!(!c.svg.contains('…'), "nothing is cut off");
    for name in &names[..svg::TOP_N - 2] {
        assert!(texts.contains(&name.as_str()), "{name} in full: {texts:?}");
    }
    let mut sorted = texts.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), texts.len(), "no two labels alike");
    // The largest rows, then Others adding up the rest, then Not recorded.
    let others: f64 = rows[svg::TOP_N - 2..40].iter().map(|r| r.1).sum();
    assert_eq!(
        texts[svg::TOP_N - 2],
        format!("Others ({})", 40 - (svg::TOP_N - 2))
    );
    assert!(c.svg.contains(&format!(">{}<", others)), "{others}");
    assert_eq!(texts[svg::TOP_N - 1], "Not recorded");
    assert_eq!(c.table.rows.len(), 41, "the table keeps every row");
    assert!(c.svg.contains("the table gives every row"));
    // Long labels wrap onto several lines, within the label column.
    assert!(l.iter().any(|x| x.2 > 1), "wrapped");
    for (x, _, _, text) in &l {
        assert!(*x > 0.0 && svg::text_width(text, 12.0) / 2.0 < *x + 220.0);
    }
    // Few rows: all drawn, in the table's order.
    let short = table("s", &["Sex"], &[(&["F"], 3.0), (&["M"], 9.0)]);
    let texts: Vec<String> = labels(&svg::bar(&short, "fr").svg)
        .into_iter()
        .map(|x| x.3)
        .collect();
    assert_eq!(texts, ["F <&> 'x'", "M <&> 'x'"]);
}

#[test]
fn a_word_longer_than_a_line_is_split_not_cut() {
    let lines = svg::wrap(
        "Supercalifragilisticexpialidocious-and-more-words",
        60.0,
        12.0,
    );
    assert!(lines.len() > 2);
    assert_eq!(
        lines.concat(),
        "Supercalifragilisticexpialidocious-and-more-words"
    );
    for l in &lines {
        assert!(svg::text_width(l, 12.0) <= 60.0, "{l}");
    }
    assert_eq!(svg::wrap("", 60.0, 12.0), [""]);
    assert_eq!(svg::wrap("a b", 600.0, 12.0), ["a b"]);
}

#[test]
fn many_series_are_small_multiples_not_a_tangle() {
    let providers = long_names(13);
    let mut rows = Vec::new();
    for (i, p) in providers.iter().enumerate() {
        for y in ["2021", "2022", "2023"] {
            rows.push(TableRow {
                keys: vec![Key::new(y, y), Key::new(&format!("p{i}"), p)],
                values: vec![Some(50.0 + i as f64)],
            });
        }
    }
    let t = Table {
        id: "quality_trend".into(),
        title: "Data quality by period".into(),
        key_headers: vec!["Period".into(), "Provider".into()],
        value_headers: vec!["Completeness (%)".into()],
        rows,
        unit: "records".into(),
        suppressed: false,
        drill: None,
    };
    let c = svg::line(&t, "en");
    parse(&c.svg);
    assert_eq!(
        c.svg.matches("<polyline").count(),
        13,
        "one plot per series"
    );
    assert!(c.svg.contains("Small multiples"));
    let texts: Vec<String> = labels(&c.svg).into_iter().map(|x| x.3).collect();
    for p in &providers {
        assert!(texts.contains(p), "{p} named in full");
    }
    // One colour: series are told apart by their place, not by reused colours.
    let strokes: std::collections::HashSet<&str> = c
        .svg
        .match_indices("<polyline")
        .map(|(i, _)| {
            let s = &c.svg[i..];
            let at = s.find("stroke=\"").unwrap() + 8;
            &s[at..at + 7]
        })
        .collect();
    assert_eq!(strokes.len(), 1);
    // Few series: one plot with a legend.
    let few = table(
        "few",
        &["Year", "Sex"],
        &[
            (&["2021", "F"], 1.0),
            (&["2021", "M"], 2.0),
            (&["2022", "F"], 3.0),
        ],
    );
    assert_eq!(svg::line(&few, "en").svg.matches("<polyline").count(), 2);
}

#[test]
fn flow_labels_do_not_collide() {
    let k = |c: &str| Key::new(c, c);
    let names = long_names(9);
    let mut links = Vec::new();
    // One large origin, many tiny ones: their nodes are thinner than a line of text.
    for (i, n) in names.iter().enumerate() {
        let v = if i == 0 { 5000.0 } else { 3.0 + i as f64 };
        links.push(FlowLink {
            stage: 0,
            from: k(n),
            to: k("Direct"),
            value: v,
        });
        links.push(FlowLink {
            stage: 1,
            from: k("Direct"),
            to: k(&format!("Destination {i} with a long name")),
            value: v,
        });
    }
    let t = table("routes", &["Origin"], &[(&["x"], 1.0)]);
    let c = svg::flow("Routes", &links, &t, 10, "en");
    parse(&c.svg);
    assert!(!c.svg.contains('…'));
    let l = labels(&c.svg);
    // Per column (same x), the label boxes do not overlap.
    let mut by_x: std::collections::BTreeMap<i64, Vec<(f64, f64)>> = Default::default();
    for (x, y, lines, _) in &l {
        let lh = 14.0;
        by_x.entry(*x as i64)
            .or_default()
            .push((y - 11.0, y - 11.0 + lh * *lines as f64));
    }
    for (x, mut boxes) in by_x {
        boxes.sort_by(|a, b| a.0.total_cmp(&b.0));
        for w in boxes.windows(2) {
            assert!(w[1].0 >= w[0].1 - 0.5, "column {x}: {w:?}");
        }
    }
    for n in &names {
        assert!(
            l.iter().any(|x| x.3.starts_with(n.as_str())),
            "{n} written in full"
        );
    }
}

#[test]
fn completeness_is_a_heat_map_of_providers_by_variable() {
    let mut rows = Vec::new();
    let providers = long_names(13);
    for (i, p) in providers.iter().enumerate() {
        for (v, label) in [
            ("victim.sex", "Sex"),
            ("victim.age", "Age at identification"),
        ] {
            rows.push(TableRow {
                keys: vec![Key::new(&format!("p{i}"), p), Key::new(v, label)],
                values: vec![Some(7.0 * i as f64), Some(100.0)],
            });
        }
        if i % 2 == 0 {
            rows.push(TableRow {
                keys: vec![
                    Key::new(&format!("p{i}"), p),
                    Key::new("cj_case.verdict", "Verdict"),
                ],
                values: vec![Some(55.0), None],
            });
        }
    }
    let t = Table {
        id: "quality_variables".into(),
        title: "Completeness and validity by variable".into(),
        key_headers: vec!["Provider".into(), "Variable".into()],
        value_headers: vec!["Completeness (%)".into(), "Validity (%)".into()],
        rows,
        unit: "records".into(),
        suppressed: false,
        drill: None,
    };
    let groups = vec![
        ("victim".to_string(), "Victim of trafficking".to_string()),
        ("cj_case".to_string(), "Criminal-justice case".to_string()),
    ];
    let c = svg::heatmap(&t, &groups, "en");
    parse(&c.svg);
    // One cell per provider and variable: 3 variables × 13 providers, and the legend.
    assert_eq!(c.svg.matches("<rect").count(), 3 * 13 + 6);
    let texts: Vec<String> = labels(&c.svg).into_iter().map(|x| x.3).collect();
    for p in &providers {
        assert!(texts.iter().any(|x| x == p), "{p} named in full: {texts:?}");
    }
    for g in [
        "Victim of trafficking",
        "Criminal-justice case",
        "Sex",
        "Verdict",
    ] {
        assert!(texts.iter().any(|x| x == g), "{g}");
    }
    // Values as text in their cells, colour on a single-hue scale.
    assert!(c.svg.contains(">84</text>"));
    assert!(c.svg.contains("#08519c") && c.svg.contains("#eff3ff"));
    assert!(c.svg.len() < 20_000, "{} bytes", c.svg.len());
}

#[test]
fn the_estimate_is_a_figure_with_its_interval() {
    let t = Table {
        id: "victim_hidden_estimates".into(),
        title: "Hidden victims".into(),
        key_headers: vec!["Model".into()],
        value_headers: vec![
            "Observed".into(),
            "Estimate".into(),
            "low".into(),
            "high".into(),
        ],
        rows: vec![TableRow {
            keys: vec![Key::new("stepwise", "Stepwise")],
            values: vec![Some(1200.0), Some(2450.0), Some(1900.0), Some(3300.0)],
        }],
        unit: "persons".into(),
        suppressed: false,
        drill: None,
    };
    let c = svg::interval(&t, "en");
    check(&c);
    assert!(c.svg.contains(">2450</text>"));
    assert!(c.svg.contains("Estimate [low – high]"));
}
