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
