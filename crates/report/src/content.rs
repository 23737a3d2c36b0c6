//! The report's content, independent of how it is rendered.

use std::collections::BTreeSet;

use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::nap::NapReport;
use tessera_analysis::table::format_number;
use tessera_analysis::{
    Disclosure, Expr, Facts, Measure, NapPlan, PersonMap, Table, Unit, aggregate, nap_progress, svg,
};
use tessera_dictionary::Dictionary;
use tessera_outputs::{Kind, Options};
use tessera_store::{Access, Store};

use crate::sentences::{Lang, change_sentence};
use crate::{Config, ReportError};

/// Victims counted in the report: approved victim records of the year, except persons assessed
/// as not a victim — the GLOTIP return's definition.
pub const VICTIM_CONDITION: &str = "not (identification_status = \"NOT_VICTIM\")";

/// Where the report comes from: enough to re-run it and get the same figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Meta {
    pub title: String,
    pub country: String,
    pub country_name: String,
    pub year: i32,
    pub lang: String,
    /// The approved data the report was built from: approved submissions and the highest
    /// record and history ids (the store's approved fingerprint). Re-running on the same
    /// database gives the same figures.
    pub data_cutoff: String,
    pub dictionary_version: String,
    pub software_version: String,
    /// How records are counted and persons deduplicated.
    pub linkage: String,
    pub threshold: f64,
    /// Published counts are multiples of this (0: no rounding).
    pub rounding: u32,
    /// The disclosure control applied, as a sentence in the report's language.
    pub protection: String,
    pub preface: String,
    /// How many sentences were edited by hand, as a sentence in the report's language; empty
    /// when none ([`Report::apply_edits`]).
    pub edits: String,
}

/// A headline number with the previous year's, as the summary shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KeyFigure {
    pub id: String,
    pub label: String,
    /// `None`: hidden (from 1 to under the threshold).
    pub value: Option<f64>,
    pub previous: Option<f64>,
    /// The value as printed (`c` when hidden).
    pub text: String,
}

/// One generated sentence (the analyst may edit the text before publishing).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sentence {
    pub id: String,
    pub section: String,
    pub text: String,
    /// The text is the analyst's, not the generated one ([`Report::apply_edits`]).
    pub edited: bool,
}

/// A table cell: text (row labels) or a number (`None`: hidden by disclosure control).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Cell {
    Text(String),
    Num(Option<f64>),
}

impl Cell {
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(Some(v)) => format_number(*v),
            Cell::Num(None) => "c".into(),
        }
    }
}

/// A published table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportTable {
    pub id: String,
    pub section: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Printed cells (what the templates show).
    pub cells: Vec<Vec<String>>,
    /// How many leading columns are row labels.
    pub keys: usize,
    /// Per column, whether it holds numbers (right-aligned, checked by disclosure control).
    pub numeric: Vec<bool>,
    pub note: String,
}

/// A chart as SVG text, drawn from a published table.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Figure {
    pub id: String,
    pub section: String,
    pub title: String,
    pub svg: String,
    /// The published table the chart draws (what a format without SVG, such as DOCX, shows).
    pub data: ReportTable,
}

/// A chapter: its title, and the ids of its sentences, tables and figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub sentences: Vec<String>,
    pub tables: Vec<String>,
    pub figures: Vec<String>,
}

/// The annual report's content.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub meta: Meta,
    pub key_figures: Vec<KeyFigure>,
    pub sections: Vec<Section>,
    pub figures: Vec<Figure>,
    pub tables: Vec<ReportTable>,
    pub sentences: Vec<Sentence>,
}

impl Report {
    pub fn key_figure(&self, id: &str) -> Option<&KeyFigure> {
        self.key_figures.iter().find(|k| k.id == id)
    }

    pub fn table(&self, id: &str) -> Option<&ReportTable> {
        self.tables.iter().find(|t| t.id == id)
    }

    pub fn sentence(&self, id: &str) -> Option<&Sentence> {
        self.sentences.iter().find(|s| s.id == id)
    }
}

/// Reads what the report needs from the store and builds it: the facts, the deployment's
/// disclosure control, the National Action Plan if one is loaded, the persons behind the records
/// (record linkage) and the approved fingerprint.
pub async fn from_store(
    store: &Store,
    dict: &Dictionary,
    year: i32,
    lang: &str,
    config: &Config,
) -> Result<Report, ReportError> {
    let started = std::time::Instant::now();
    let disclosure = tessera_analysis::deployment_disclosure(store).await?;
    // The facts are read while the records are linked: the read waits on the database and
    // parses on one thread, linkage computes on the others.
    let timed = |start: std::time::Instant| move || start.elapsed().as_millis() as u64;
    let (facts, persons) = tokio::join!(
        async {
            let ms = timed(std::time::Instant::now());
            Facts::build(store, dict).await.map(|f| (f, ms()))
        },
        // Persons behind the records (record linkage of the stored pseudonyms, reviewers'
        // verdicts applied): the quality chapter counts them and estimates the hidden victims
        // from them. Victims and smuggled migrants linked together too: the smuggling chapter
        // counts who is both.
        async {
            let ms = timed(std::time::Instant::now());
            let persons = tessera_analysis::link_persons(store)
                .await?
                .with_across(tessera_analysis::link_across(store).await?);
            Ok::<_, ReportError>((persons, ms()))
        }
    );
    let ((facts, facts_ms), (persons, linkage_ms)) = (facts?, persons?);
    let read_ms = started.elapsed().as_millis() as u64;
    let nap = match store.setting("nap_plan").await? {
        Some(text) => {
            let plan = NapPlan::from_toml(&text, dict)?.with_entered(store.nap_values().await?)?;
            let timeliness = store.timeliness().await?;
            Some(nap_progress(
                &facts,
                &plan,
                &Access::National,
                &timeliness,
                lang,
            )?)
        }
        None => None,
    };
    let before_build = started.elapsed().as_millis() as u64;
    let report = build(
        &facts,
        dict,
        year,
        lang,
        disclosure,
        nap.as_ref(),
        Some(&persons),
        config,
    );
    tracing::info!(
        target: "tessera_report::timing",
        facts_ms,
        linkage_ms,
        together_ms = read_ms,
        nap_ms = before_build - read_ms,
        build_ms = started.elapsed().as_millis() as u64 - before_build,
        "report content"
    );
    report
}

/// A table as partners get it: the deployment's disclosure control (primary and complementary
/// suppression, then rounding), then the rows left with no published value dropped (as
/// [`Scope::Partner`] publishes).
fn publish(t: &Table, d: Disclosure) -> Table {
    let mut t = d.table(t);
    t.rows.retain(|r| r.values.iter().any(Option::is_some));
    t
}

/// A total as published: hidden from 1 to under the threshold, else rounded when the
/// deployment rounds.
fn publish_total(v: f64, d: Disclosure) -> Option<f64> {
    d.count(v)
}

/// Keeps the first `n` value columns of `t`.
fn first_values(mut t: Table, n: usize) -> Table {
    t.value_headers.truncate(n);
    for r in &mut t.rows {
        r.values.truncate(n);
    }
    t
}

struct Builder<'a> {
    lang: Lang,
    threshold: f64,
    /// The deployment's disclosure control (`threshold` is its threshold).
    disclosure: Disclosure,
    protection_note: String,
    r: Report,
    _facts: &'a Facts,
}

impl Builder<'_> {
    fn tr<'s>(&self, en: &'s str, fr: &'s str) -> &'s str {
        self.lang.tr(en, fr)
    }

    fn section(&mut self, id: &str, title: &str) {
        self.r.sections.push(Section {
            id: id.into(),
            title: title.into(),
            sentences: vec![],
            tables: vec![],
            figures: vec![],
        });
    }

    fn current(&mut self) -> &mut Section {
        self.r.sections.last_mut().expect("a section is open")
    }

    fn say(&mut self, id: &str, text: String) {
        let section = self.current().id.clone();
        self.current().sentences.push(id.into());
        self.r.sentences.push(Sentence {
            id: id.into(),
            section,
            text,
            edited: false,
        });
    }

    /// Adds a published table (already suppressed) to the current section.
    fn table(&mut self, t: &Table) {
        let section = self.current().id.clone();
        let table = report_table(t, &section, &self.protection_note);
        self.current().tables.push(t.id.clone());
        self.r.tables.push(table);
    }

    fn figure(&mut self, chart: svg::Chart) {
        let section = self.current().id.clone();
        let id = format!("fig_{}", chart.table.id);
        self.current().figures.push(id.clone());
        let data = report_table(&chart.table, &section, &self.protection_note);
        self.r.figures.push(Figure {
            id,
            section,
            title: chart.table.title.clone(),
            svg: chart.svg,
            data,
        });
    }
}

/// A published table (already suppressed) as the report prints it.
fn report_table(t: &Table, section: &str, note: &str) -> ReportTable {
    let mut headers = t.key_headers.clone();
    headers.extend(t.value_headers.iter().cloned());
    let rows: Vec<Vec<Cell>> = t
        .rows
        .iter()
        .map(|r| {
            r.keys
                .iter()
                .map(|k| Cell::Text(k.label.clone()))
                .chain(r.values.iter().map(|v| Cell::Num(*v)))
                .collect()
        })
        .collect();
    let cells = rows
        .iter()
        .map(|r| r.iter().map(Cell::text).collect())
        .collect();
    ReportTable {
        id: t.id.clone(),
        section: section.into(),
        title: t.title.clone(),
        headers,
        numeric: numeric(&rows),
        rows,
        cells,
        keys: t.key_headers.len(),
        note: note.into(),
    }
}

/// Per column, whether every row holds a number there.
fn numeric(rows: &[Vec<Cell>]) -> Vec<bool> {
    let n = rows.first().map_or(0, Vec::len);
    (0..n)
        .map(|i| rows.iter().all(|r| matches!(r.get(i), Some(Cell::Num(_)))))
        .collect()
}

fn key(b: &Builder, id: &str, label: &str, value: f64, previous: f64) -> KeyFigure {
    let v = publish_total(value, b.disclosure);
    KeyFigure {
        id: id.into(),
        label: label.into(),
        value: v,
        previous: publish_total(previous, b.disclosure),
        text: v.map_or_else(|| "c".to_string(), |v| b.lang.number(v)),
    }
}

/// Builds the report for `year` in `lang` from `facts` (approved records only are counted),
/// under the deployment's disclosure control, with the National Action Plan's progress and the
/// linked persons (record → person) when there are (`None`: the report says so).
#[allow(clippy::too_many_arguments)]
pub fn build(
    facts: &Facts,
    dict: &Dictionary,
    year: i32,
    lang: &str,
    disclosure: Disclosure,
    nap: Option<&NapReport>,
    persons: Option<&PersonMap>,
    config: &Config,
) -> Result<Report, ReportError> {
    let (threshold, d) = (disclosure.threshold, disclosure);
    if !matches!(lang, "en" | "fr") {
        return Err(ReportError::Options(format!(
            "the report's language \"{lang}\" is not en or fr"
        )));
    }
    let l = Lang::of(lang);
    let opts = Options::new(dict, year, threshold)?
        .rounding(disclosure.rounding)
        .lang(lang);
    let protection = tessera_outputs::Protection::from(disclosure).statement(lang);
    let country_name = dict
        .codelists
        .get("country")
        .and_then(|cl| cl.get(&opts.country))
        .map(|c| c.label.get(lang).to_string())
        .unwrap_or_else(|| opts.country.clone());
    let cutoff = match &facts.fingerprint {
        Some(f) => l
            .tr(
                "approved submissions: {s}; last record: #{r}; last record version: #{h}",
                "soumissions approuvées : {s} ; dernier enregistrement : n° {r} ; dernière version : n° {h}",
            )
            .replace("{s}", &f.approved_submissions.to_string())
            .replace("{r}", &f.max_record_id.to_string())
            .replace("{h}", &f.max_history_id.to_string()),
        None => l.tr("records given in memory", "enregistrements fournis en mémoire").into(),
    };
    let meta = Meta {
        title: config.title.get(lang).to_string(),
        country: opts.country.clone(),
        country_name: country_name.clone(),
        year,
        lang: lang.into(),
        data_cutoff: cutoff,
        dictionary_version: dict.version.clone(),
        software_version: format!("tessera-report {}", env!("CARGO_PKG_VERSION")),
        linkage: l
            .tr(
                "Counted as records: a person reported by several providers counts once per provider (record linkage is not applied to this edition's figures).",
                "Décompte en enregistrements : une personne signalée par plusieurs fournisseurs compte une fois par fournisseur (le couplage des enregistrements n'est pas appliqué aux chiffres de cette édition).",
            )
            .into(),
        threshold,
        rounding: disclosure.rounding,
        protection: protection.clone(),
        preface: config.preface.get(lang).to_string(),
        edits: String::new(),
    };
    let mut b = Builder {
        lang: l,
        threshold,
        disclosure,
        protection_note: protection.clone(),
        r: Report {
            meta,
            key_figures: vec![],
            sections: vec![],
            figures: vec![],
            tables: vec![],
            sentences: vec![],
        },
        _facts: facts,
    };

    let national = Scope::Internal(Access::National);
    let of_year = |y: i32, expr: Option<&str>| Filters {
        year_from: Some(y),
        year_to: Some(y),
        expr: expr.map(str::to_string),
        ..Filters::default()
    };
    let victims = tessera_analysis::victims(
        facts,
        &national,
        &of_year(year, Some(VICTIM_CONDITION)),
        Unit::Records,
        lang,
    )?;
    let victims_prev = tessera_analysis::victims(
        facts,
        &national,
        &of_year(year - 1, Some(VICTIM_CONDITION)),
        Unit::Records,
        lang,
    )?;
    let victims_series = tessera_analysis::victims(
        facts,
        &national,
        &Filters {
            year_to: Some(year),
            expr: Some(VICTIM_CONDITION.into()),
            ..Filters::default()
        },
        Unit::Records,
        lang,
    )?;
    let count = |entity: &str, y: i32| -> Result<f64, ReportError> {
        Ok(aggregate(
            facts,
            entity,
            &Access::National,
            &Expr::parse(&format!("year = {y}"))?,
            &[],
            Measure::Count,
            Unit::Records,
            lang,
        )?
        .total())
    };
    let funnel = tessera_analysis::funnel(facts, &national, &of_year(year, None), lang)?;
    let funnel_prev = tessera_analysis::funnel(facts, &national, &of_year(year - 1, None), lang)?;
    let stage =
        |f: &tessera_analysis::FunnelDashboard, s: &str| f.stages.get(&["ALL", s]).unwrap_or(0.0);
    let smug =
        tessera_analysis::smuggling(facts, &national, &of_year(year, None), Unit::Records, lang)?;
    let smug_prev = tessera_analysis::smuggling(
        facts,
        &national,
        &of_year(year - 1, None),
        Unit::Records,
        lang,
    )?;

    // Key figures.
    let kf = vec![
        key(
            &b,
            "victims",
            l.tr("Victims identified", "Victimes identifiées"),
            victims.total.unwrap_or(0.0),
            victims_prev.total.unwrap_or(0.0),
        ),
        key(
            &b,
            "suspects",
            l.tr("Suspects recorded", "Suspects enregistrés"),
            count("suspect", year)?,
            count("suspect", year - 1)?,
        ),
        key(
            &b,
            "investigated",
            l.tr(
                "Cases investigated",
                "Affaires ayant fait l'objet d'une enquête",
            ),
            stage(&funnel, "INVESTIGATED"),
            stage(&funnel_prev, "INVESTIGATED"),
        ),
        key(
            &b,
            "convicted",
            l.tr(
                "Cases with a conviction",
                "Affaires ayant abouti à une condamnation",
            ),
            stage(&funnel, "CONVICTED"),
            stage(&funnel_prev, "CONVICTED"),
        ),
        key(
            &b,
            "smuggling_incidents",
            l.tr(
                "Smuggling incidents",
                "Incidents de trafic illicite de migrants",
            ),
            smug.incidents.unwrap_or(0.0),
            smug_prev.incidents.unwrap_or(0.0),
        ),
        key(
            &b,
            "smuggled_migrants",
            l.tr("Smuggled migrants", "Migrants objet d'un trafic illicite"),
            smug.migrants.unwrap_or(0.0),
            smug_prev.migrants.unwrap_or(0.0),
        ),
        key(
            &b,
            "assisted",
            l.tr(
                "Victims assisted (assistance records)",
                "Victimes assistées (enregistrements d'assistance)",
            ),
            count("assistance", year)?,
            count("assistance", year - 1)?,
        ),
    ];
    b.r.key_figures = kf.clone();

    for chapter in &config.chapters {
        match chapter.as_str() {
            "summary" => {
                let title = b.tr("Executive summary", "Résumé analytique").to_string();
                b.section("summary", &title);
                for k in &kf {
                    let s = change_sentence(l, &k.id, k.value, k.previous, year, threshold);
                    b.say(&format!("summary_{}", k.id), s);
                }
            }
            "victims" => {
                let title = b
                    .tr("Victims of trafficking", "Victimes de la traite")
                    .to_string();
                b.section("victims", &title);
                let s = change_sentence(l, "victims", kf[0].value, kf[0].previous, year, threshold);
                b.say("victims_total", s);
                let series = publish(&victims_series.by_year, d);
                b.figure(svg::line(&series, lang));
                for t in [
                    &victims.by_sex,
                    &victims.by_age_band,
                    &victims.children,
                    &victims.by_exploitation,
                    &victims.vulnerable_groups,
                    &victims.cross_border,
                ] {
                    let p = publish(t, d);
                    if p.id == "victims_by_exploitation" {
                        b.figure(svg::bar(&p, lang));
                    }
                    b.table(&p);
                }
            }
            "justice" => {
                let title = b
                    .tr(
                        "Offenders and the criminal-justice response",
                        "Auteurs et réponse de la justice pénale",
                    )
                    .to_string();
                b.section("justice", &title);
                let s =
                    change_sentence(l, "suspects", kf[1].value, kf[1].previous, year, threshold);
                b.say("justice_suspects", s);
                let s =
                    change_sentence(l, "convicted", kf[3].value, kf[3].previous, year, threshold);
                b.say("justice_convicted", s);
                let year_expr = Expr::parse(&format!("year = {year}"))?;
                for (dim, id, en, fr) in [
                    (
                        "sex",
                        "suspects_by_sex",
                        "Suspects by sex",
                        "Suspects par sexe",
                    ),
                    (
                        "age_band",
                        "suspects_by_age_band",
                        "Suspects by age band",
                        "Suspects par tranche d'âge",
                    ),
                ] {
                    let t = aggregate(
                        facts,
                        "suspect",
                        &Access::National,
                        &year_expr,
                        &[dim],
                        Measure::Count,
                        Unit::Records,
                        lang,
                    )?
                    .with_title(id, l.tr(en, fr));
                    b.table(&publish(&t, d));
                }
                let mut stages = first_values(funnel.stages.clone(), 1);
                stages.rows.retain(|r| r.keys[0].code == "ALL");
                let stages = publish(&stages, d);
                b.figure(svg::funnel(&stages, lang));
                b.table(&stages);
            }
            "smuggling" => {
                let title = b
                    .tr("Smuggling of migrants", "Trafic illicite de migrants")
                    .to_string();
                b.section("smuggling", &title);
                let s = change_sentence(
                    l,
                    "smuggling_incidents",
                    kf[4].value,
                    kf[4].previous,
                    year,
                    threshold,
                );
                b.say("smuggling_incidents", s);
                let s = change_sentence(
                    l,
                    "smuggled_migrants",
                    kf[5].value,
                    kf[5].previous,
                    year,
                    threshold,
                );
                b.say("smuggling_migrants", s);
                for t in [
                    &smug.by_transport,
                    &smug.migrants_by_sex,
                    &smug.migrants_by_age_band,
                ] {
                    b.table(&publish(t, d));
                }
                tip_and_som(&mut b, facts, year, persons)?;
            }
            "assistance" => assistance_section(&mut b, facts, year, &kf[6])?,
            "nap" => {
                let title = b
                    .tr(
                        "National Action Plan progress",
                        "Avancement du Plan d'action national",
                    )
                    .to_string();
                b.section("nap", &title);
                match nap {
                    None => b.say(
                        "nap_none",
                        l.tr(
                            "No National Action Plan is loaded in this deployment.",
                            "Aucun Plan d'action national n'est chargé dans ce déploiement.",
                        )
                        .into(),
                    ),
                    Some(n) => nap_section(&mut b, n, year),
                }
            }
            "quality" => quality_section(&mut b, facts, dict, year, persons)?,
            "annex" => {
                let title = b.tr("Annex tables", "Tableaux annexes").to_string();
                b.section("annex", &title);
                b.table(&publish(&victims.by_region, d));
                b.table(&publish(&victims.by_citizenship, d));
                b.table(&publish(&victims.by_identification_status, d));
                let glotip = tessera_outputs::build(Kind::Glotip, facts, dict, &opts, None)?;
                for rt in &glotip.tables {
                    // Already protected by the outputs crate at the same threshold.
                    let mut t = rt.table.clone();
                    t.title = format!("GLOTIP — {}", rt.title);
                    t.id = format!("glotip_{}", rt.id);
                    t.rows.retain(|r| r.values.iter().any(Option::is_some));
                    b.table(&t);
                }
            }
            _ => {}
        }
    }
    Ok(b.r)
}

/// Approved records of `entity` matching `condition` (national data).
fn records(facts: &Facts, entity: &str, condition: &str) -> Result<f64, ReportError> {
    Ok(aggregate(
        facts,
        entity,
        &Access::National,
        &Expr::parse(condition)?,
        &[],
        Measure::Count,
        Unit::Records,
        "en",
    )?
    .total())
}

/// A table of one key and one value column grouped by `dim`, as partners get it.
fn grouped(
    b: &Builder,
    facts: &Facts,
    entity: &str,
    condition: &str,
    dim: &str,
    (id, en, fr): (&str, &str, &str),
) -> Result<Table, ReportError> {
    let t = aggregate(
        facts,
        entity,
        &Access::National,
        &Expr::parse(condition)?,
        &[dim],
        Measure::Count,
        Unit::Records,
        b.lang.code(),
    )?
    .with_title(id, b.tr(en, fr));
    Ok(publish(&t, b.disclosure))
}

/// The published value of the row keyed `codes` in a suppressed table: `Some(0.0)` when the row
/// is absent (nothing counted), `None` when the cell is hidden.
fn published_cell(t: &Table, codes: &[&str]) -> Option<f64> {
    match t.rows.iter().find(|r| {
        r.keys.len() == codes.len() && r.keys.iter().zip(codes).all(|(k, c)| k.code == *c)
    }) {
        Some(r) => r.values.first().copied().flatten(),
        None => Some(0.0),
    }
}

/// A published total as a sentence prints it: the number, or "fewer than" the threshold when it
/// is hidden (a total is hidden only from 1 to under the threshold, see [`publish_total`]).
fn count_text(l: Lang, v: Option<f64>, threshold: f64) -> String {
    match v {
        Some(v) => l.number(v),
        None => l
            .tr("fewer than {t}", "moins de {t}")
            .replace("{t}", &l.number(threshold)),
    }
}

/// The smuggling chapter's part on how trafficking in persons (TIP) and smuggling of migrants
/// (SOM) relate: criminal-justice cases by offence (the ICCS code's protocol), smuggled migrants'
/// countries of departure beside cross-border victims' countries of origin, victims recorded as
/// migrants and smuggled migrants with a vulnerability recorded, and — when the persons were
/// linked across the two entities ([`tessera_analysis::tip_som_overlap`]) — how many of the
/// year's smuggled migrants were also recorded as victims.
fn tip_and_som(
    b: &mut Builder,
    facts: &Facts,
    year: i32,
    persons: Option<&PersonMap>,
) -> Result<(), ReportError> {
    let l = b.lang;
    let lang = l.code();
    let threshold = b.threshold;
    let d = b.disclosure;
    let of_year = format!("year = {year}");
    let victims_of_year = format!("year = {year} and {VICTIM_CONDITION}");

    // Criminal-justice cases investigated in the year, by the protocol of their offence.
    let cases = aggregate(
        facts,
        "cj_case",
        &Access::National,
        &Expr::parse(&of_year)?,
        &["offence_group"],
        Measure::Count,
        Unit::Records,
        lang,
    )?
    .with_title(
        "tip_som_cases",
        l.tr(
            "Criminal-justice cases investigated, by offence: trafficking in persons or smuggling of migrants",
            "Affaires pénales ayant fait l'objet d'une enquête, par infraction : traite des personnes ou trafic illicite de migrants",
        ),
    );
    let hidden = d.table(&cases);
    let (tip, som) = (
        published_cell(&hidden, &["TIP"]),
        published_cell(&hidden, &["SOM"]),
    );
    // A hidden cell may be a complement (at or above the threshold): say neither number then.
    let text = match (tip, som) {
        (Some(t), Some(s)) => l.tr(
            "In {y}, {t} criminal-justice cases investigated concerned trafficking in persons and {s} smuggling of migrants.",
            "En {y}, {t} affaires pénales ayant fait l'objet d'une enquête concernaient la traite des personnes et {s} le trafic illicite de migrants.",
        )
        .replace("{t}", &l.number(t))
        .replace("{s}", &l.number(s)),
        _ => l.tr(
            "In {y}, how the criminal-justice cases investigated divide between trafficking in persons and smuggling of migrants is not published: one of the counts is under the threshold of {n}.",
            "En {y}, la répartition des affaires pénales ayant fait l'objet d'une enquête entre traite des personnes et trafic illicite de migrants n'est pas publiée : l'un des effectifs est inférieur au seuil de {n}.",
        )
        .replace("{n}", &l.number(threshold)),
    }
    .replace("{y}", &year.to_string());
    b.say("tip_som_cases", text);
    b.table(&publish(&cases, d));

    // Where smuggled migrants departed from, beside where cross-border victims came from.
    let migrants = aggregate(
        facts,
        "smuggled_migrant",
        &Access::National,
        &Expr::parse(&of_year)?,
        &["country_of_origin"],
        Measure::Count,
        Unit::Records,
        lang,
    )?;
    let victims = aggregate(
        facts,
        "victim",
        &Access::National,
        &Expr::parse(&format!("{victims_of_year} and cross_border = true"))?,
        &["country_of_origin"],
        Measure::Count,
        Unit::Records,
        lang,
    )?;
    let mut origins = tessera_analysis::dashboard::merge_values(
        vec![migrants, victims],
        vec![
            l.tr(
                "Smuggled migrants (records)",
                "Migrants objets de trafic illicite (enregistrements)",
            )
            .into(),
            l.tr(
                "Victims of cross-border trafficking",
                "Victimes de traite transfrontalière",
            )
            .into(),
        ],
    )
    .with_title(
        "tip_som_origins",
        l.tr(
            "Smuggled migrants by country of departure and victims of cross-border trafficking by country of origin",
            "Migrants objets de trafic illicite par pays de départ et victimes de traite transfrontalière par pays d'origine",
        ),
    );
    origins.key_headers = vec![
        l.tr(
            "Country of departure or origin",
            "Pays de départ ou d'origine",
        )
        .into(),
    ];
    let sum = |r: &tessera_analysis::TableRow| r.values.iter().flatten().sum::<f64>();
    origins.rows.sort_by(|a, b| {
        sum(b)
            .total_cmp(&sum(a))
            .then_with(|| a.keys[0].label.cmp(&b.keys[0].label))
    });
    let origins = publish(&origins, d);
    let shared: Vec<&str> = origins
        .rows
        .iter()
        .filter(|r| {
            !r.keys[0].code.is_empty() && r.values.iter().all(|v| v.is_some_and(|v| v > 0.0))
        })
        .map(|r| r.keys[0].label.as_str())
        .collect();
    let text = if shared.is_empty() {
        l.tr(
            "In {y}, no country appears in the published figures both as a country of departure of smuggled migrants and as a country of origin of victims of cross-border trafficking.",
            "En {y}, aucun pays n'apparaît dans les chiffres publiés à la fois comme pays de départ de migrants objets de trafic illicite et comme pays d'origine de victimes de traite transfrontalière.",
        )
        .replace("{y}", &year.to_string())
    } else {
        let mut names = shared
            .iter()
            .take(5)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        if shared.len() > 5 {
            names.push_str(
                &l.tr(" and {n} others", " et {n} autres")
                    .replace("{n}", &(shared.len() - 5).to_string()),
            );
        }
        if shared.len() == 1 {
            l.tr(
                "In {y}, one country was both a country of departure of smuggled migrants and a country of origin of victims of cross-border trafficking: {names}.",
                "En {y}, un pays était à la fois un pays de départ de migrants objets de trafic illicite et un pays d'origine de victimes de traite transfrontalière : {names}.",
            )
        } else {
            l.tr(
                "In {y}, {k} countries were both a country of departure of smuggled migrants and a country of origin of victims of cross-border trafficking: {names}.",
                "En {y}, {k} pays étaient à la fois un pays de départ de migrants objets de trafic illicite et un pays d'origine de victimes de traite transfrontalière : {names}.",
            )
        }
        .replace("{y}", &year.to_string())
        .replace("{k}", &shared.len().to_string())
        .replace("{names}", &names)
    };
    b.say("tip_som_origins", text);
    b.table(&origins);

    // Victims recorded as migrants; smuggled migrants with a vulnerability recorded.
    let victims_total = publish_total(records(facts, "victim", &victims_of_year)?, d);
    let migrant_victims = publish_total(
        records(
            facts,
            "victim",
            &format!("{victims_of_year} and vulnerabilities = \"MIGRANT\""),
        )?,
        d,
    );
    b.say(
        "tip_som_migrant_victims",
        l.tr(
            "{a} of the {v} victims identified in {y} were recorded as migrants.",
            "{a} des {v} victimes identifiées en {y} étaient enregistrées comme migrantes.",
        )
        .replace("{a}", &count_text(l, migrant_victims, threshold))
        .replace("{v}", &count_text(l, victims_total, threshold))
        .replace("{y}", &year.to_string()),
    );
    let migrants_raw = records(facts, "smuggled_migrant", &of_year)?;
    let vulnerable_raw = records(
        facts,
        "smuggled_migrant",
        &format!("{of_year} and vulnerabilities is known"),
    )?;
    let (migrants, vulnerable) = (
        publish_total(migrants_raw, d),
        publish_total(vulnerable_raw, d),
    );
    let text = if vulnerable_raw == 0.0 {
        l.tr(
            "No vulnerability is recorded in any of the {n} records of smuggled migrants of {y}: they cannot show which of these migrants may also be victims of trafficking.",
            "Aucune vulnérabilité n'est enregistrée dans les {n} enregistrements de migrants objets de trafic illicite de {y} : ils ne permettent pas de savoir lesquels de ces migrants pourraient aussi être victimes de la traite.",
        )
    } else {
        l.tr(
            "{k} of the {n} records of smuggled migrants of {y} note at least one vulnerability (such as unaccompanied children), a reason to screen these migrants as possible victims of trafficking.",
            "{k} des {n} enregistrements de migrants objets de trafic illicite de {y} notent au moins une vulnérabilité (enfants non accompagnés, par exemple), ce qui justifie d'examiner ces migrants comme victimes possibles de la traite.",
        )
    }
    .replace("{k}", &count_text(l, vulnerable, threshold))
    .replace("{n}", &count_text(l, migrants, threshold))
    .replace("{y}", &year.to_string());
    b.say("tip_som_vulnerable_migrants", text);
    let victims = Filters {
        expr: Some(VICTIM_CONDITION.into()),
        ..Filters::default()
    };
    let overlap = match persons {
        Some(map) => tessera_analysis::tip_som_overlap(facts, map, &victims)?,
        None => None,
    };
    let text = match overlap {
        Some(years) => {
            let of_year = years.iter().find(|o| o.year == year);
            let (m, k) = of_year.map_or((0.0, 0.0), |o| (o.migrants as f64, o.also_victims as f64));
            l.tr(
                "Linking the records of the two entities from their pseudonyms, {k} of the {m} smuggled migrants (persons) recorded in {y} were also recorded as victims of trafficking, in {y} or another year.",
                "Le couplage des enregistrements des deux entités à partir de leurs pseudonymes montre que {k} des {m} migrants objets de trafic illicite (personnes) enregistrés en {y} ont aussi été enregistrés comme victimes de la traite, en {y} ou une autre année.",
            )
            .replace("{k}", &count_text(l, d.count(k), threshold))
            .replace("{m}", &count_text(l, d.count(m), threshold))
            .replace("{y}", &year.to_string())
        }
        None => l
            .tr(
                "These figures compare counts, not persons: whether the same persons were recorded both as victims of trafficking and as smuggled migrants is known only by linking records across the two entities, which was not run for this edition.",
                "Ces chiffres comparent des effectifs, non des personnes : savoir si les mêmes personnes ont été enregistrées à la fois comme victimes de la traite et comme migrants objets de trafic illicite exige de coupler les enregistrements des deux entités, ce qui n'a pas été fait pour cette édition.",
            )
            .into(),
    };
    b.say("tip_som_linkage", text);
    Ok(())
}

/// The assistance and referral chapter: assistance records started in the year (approved), by
/// service and by the type of organisation that referred the victim, with the change on the
/// previous year and the share of the year's victims referred to assistance.
fn assistance_section(
    b: &mut Builder,
    facts: &Facts,
    year: i32,
    assisted: &KeyFigure,
) -> Result<(), ReportError> {
    let l = b.lang;
    let lang = l.code();
    let threshold = b.threshold;
    let d = b.disclosure;
    let title = l
        .tr("Assistance and referral", "Assistance et orientation")
        .to_string();
    b.section("assistance", &title);
    let s = change_sentence(
        l,
        "assisted",
        assisted.value,
        assisted.previous,
        year,
        threshold,
    );
    b.say("assistance_total", s);

    // Assistance that followed a referral by another organisation.
    let referrals = |y: i32| -> Result<Option<f64>, ReportError> {
        Ok(publish_total(
            records(
                facts,
                "assistance",
                &format!("year = {y} and referred_by is known"),
            )?,
            d,
        ))
    };
    let s = change_sentence(
        l,
        "referrals",
        referrals(year)?,
        referrals(year - 1)?,
        year,
        threshold,
    );
    b.say("assistance_referrals", s);

    // The year's victims referred to assistance by the provider that identified them.
    let victims_of_year = format!("year = {year} and {VICTIM_CONDITION}");
    let identified = publish_total(records(facts, "victim", &victims_of_year)?, d);
    let referred = publish_total(
        records(
            facts,
            "victim",
            &format!("{victims_of_year} and referred_to_assistance = true"),
        )?,
        d,
    );
    let share = match (referred, identified) {
        (Some(k), Some(n)) if n > 0.0 => l
            .tr(" ({p}%)", " ({p}\u{a0}%)")
            .replace("{p}", &l.number((k / n * 100.0).round())),
        _ => String::new(),
    };
    b.say(
        "assistance_victims_referred",
        l.tr(
            "{k} of the {n} victims identified in {y}{share} were referred to assistance by the provider that identified them.",
            "{k} des {n} victimes identifiées en {y}{share} ont été orientées vers une assistance par le fournisseur qui les a identifiées.",
        )
        .replace("{k}", &count_text(l, referred, threshold))
        .replace("{n}", &count_text(l, identified, threshold))
        .replace("{y}", &year.to_string())
        .replace("{share}", &share),
    );

    // Services by type (a record with several services counts under each).
    let of_year = format!("year = {year}");
    let by_service = grouped(
        b,
        facts,
        "assistance",
        &of_year,
        "services",
        (
            "assistance_services",
            "Services provided, by type",
            "Services fournis, par type",
        ),
    )?;
    let top = by_service
        .rows
        .iter()
        .filter(|r| !r.keys[0].code.is_empty())
        .filter_map(|r| r.values.first().copied().flatten().map(|v| (r, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((row, v)) = top {
        b.say(
            "assistance_top_service",
            l.tr(
                "The service most often provided in {y} was \u{201c}{s}\u{201d} ({n} assistance records; a victim receiving several services counts under each).",
                "Le service le plus souvent fourni en {y} a été «\u{a0}{s}\u{a0}» ({n} enregistrements d'assistance ; une victime recevant plusieurs services est comptée pour chacun).",
            )
            .replace("{y}", &year.to_string())
            .replace("{s}", &row.keys[0].label)
            .replace("{n}", &l.number(v)),
        );
    }
    b.figure(svg::bar(&by_service, lang));
    b.table(&by_service);

    // Who referred the victims, and where they were referred onward.
    let by_referrer = grouped(
        b,
        facts,
        "assistance",
        &of_year,
        "referred_by",
        (
            "assistance_referred_by",
            "Assistance by type of referring organisation",
            "Assistance par type d'organisation ayant orienté la victime",
        ),
    )?;
    let top = by_referrer
        .rows
        .iter()
        .filter(|r| !r.keys[0].code.is_empty())
        .filter_map(|r| r.values.first().copied().flatten().map(|v| (r, v)))
        .max_by(|a, b| a.1.total_cmp(&b.1));
    if let Some((row, v)) = top {
        b.say(
            "assistance_top_referrer",
            l.tr(
                "Referrals came most often from organisations of the type \u{201c}{s}\u{201d} ({n}).",
                "Les orientations provenaient le plus souvent d'organisations du type «\u{a0}{s}\u{a0}» ({n}).",
            )
            .replace("{s}", &row.keys[0].label)
            .replace("{n}", &l.number(v)),
        );
    }
    b.table(&by_referrer);
    let onward = grouped(
        b,
        facts,
        "assistance",
        &of_year,
        "referred_to",
        (
            "assistance_referred_to",
            "Assistance by type of organisation the victim was referred onward to",
            "Assistance par type d'organisation vers laquelle la victime a été réorientée",
        ),
    )?;
    b.table(&onward);
    b.say(
        "assistance_definitions",
        l.tr(
            "Assistance is counted in the year it started, from the approved records of the providers that give it; a victim assisted by two providers counts once at each.",
            "L'assistance est comptée l'année de son début, à partir des enregistrements approuvés des fournisseurs qui la dispensent ; une victime assistée par deux fournisseurs est comptée une fois chez chacun.",
        )
        .into(),
    );
    Ok(())
}

fn nap_section(b: &mut Builder, n: &NapReport, year: i32) {
    let l = b.lang;
    let d = b.disclosure;
    let mut rows = Vec::new();
    let (mut on_track, mut total) = (0usize, 0usize);
    for p in &n.pillars {
        for i in &p.indicators {
            total += 1;
            let latest = i
                .years
                .iter()
                .rfind(|y| y.year <= year && y.value.is_some());
            let status = latest.map(|y| y.status).unwrap_or(i.status);
            if matches!(status.code(), "achieved" | "on_track") {
                on_track += 1;
            }
            let value = latest.and_then(|y| y.value);
            // A figure of the plan may itself be a small count: hidden like any other.
            let value = value.and_then(|v| publish_total(v, d));
            rows.push(vec![
                Cell::Text(p.label.clone()),
                Cell::Text(i.title.clone()),
                Cell::Text(latest.map_or_else(|| "—".into(), |y| y.year.to_string())),
                Cell::Num(value),
                Cell::Text(status.label(l.code()).to_string()),
            ]);
        }
    }
    b.say(
        "nap_status",
        l.tr(
            "{k} of the plan's {n} indicators are achieved or on track.",
            "{k} des {n} indicateurs du plan sont atteints ou en bonne voie.",
        )
        .replace("{k}", &on_track.to_string())
        .replace("{n}", &total.to_string()),
    );
    let cells = rows
        .iter()
        .map(|r| r.iter().map(Cell::text).collect())
        .collect();
    let section = b.current().id.clone();
    b.current().tables.push("nap_progress".into());
    b.r.tables.push(ReportTable {
        id: "nap_progress".into(),
        section,
        title: format!(
            "{} — {}",
            n.title,
            l.tr("progress by pillar", "avancement par pilier")
        ),
        headers: vec![
            l.tr("Pillar", "Pilier").into(),
            l.tr("Indicator", "Indicateur").into(),
            l.tr("Latest year", "Dernière année").into(),
            l.tr("Value", "Valeur").into(),
            l.tr("Status", "Statut").into(),
        ],
        rows,
        cells,
        keys: 2,
        numeric: vec![false, false, false, true, false],
        note: b.protection_note.clone(),
    });
}

fn quality_section(
    b: &mut Builder,
    facts: &Facts,
    dict: &Dictionary,
    year: i32,
    persons: Option<&PersonMap>,
) -> Result<(), ReportError> {
    let l = b.lang;
    let title = l
        .tr(
            "Data quality and methodology",
            "Qualité des données et méthodologie",
        )
        .to_string();
    b.section("quality", &title);
    let mut providers = BTreeSet::new();
    let mut records = 0usize;
    for ent in facts.entities.values() {
        for i in 0..ent.len() {
            if ent.approved[i] && i32::from(ent.year[i]) == year {
                providers.insert(ent.provider[i]);
                records += 1;
            }
        }
    }
    b.say(
        "quality_providers",
        l.tr(
            "{p} data providers contributed {r} approved records for {y}.",
            "{p} fournisseurs de données ont transmis {r} enregistrements approuvés pour {y}.",
        )
        .replace("{p}", &providers.len().to_string())
        .replace("{r}", &l.number(records as f64))
        .replace("{y}", &year.to_string()),
    );
    b.say(
        "quality_definitions",
        l.tr(
            "Definitions: a victim is counted in the year of identification (persons assessed as not a victim are left out); suspects in the year recorded; criminal-justice cases in the year of investigation; smuggling incidents in the year they occurred. Codes follow the harmonised data dictionary (version {v}), mapped to the UNODC and Eurostat categories.",
            "Définitions : une victime est comptée l'année de son identification (les personnes évaluées comme n'étant pas victimes sont exclues) ; les suspects l'année de leur enregistrement ; les affaires pénales l'année de l'enquête ; les incidents de trafic illicite l'année où ils ont eu lieu. Les codes suivent le dictionnaire de données harmonisé (version {v}), mis en correspondance avec les catégories de l'ONUDC et d'Eurostat.",
        )
        .replace("{v}", &dict.version),
    );
    b.say("quality_linkage", {
        let mut s = b.r.meta.linkage.clone();
        s.push(' ');
        s.push_str(l.tr(
            "Persons are deduplicated, where needed, from keyed pseudonyms of names, dates of birth and identifiers (no name is stored): blocking on exact keyed values, Fellegi–Sunter comparison weights and clustering, with reviewers' decisions applied first.",
            "Les personnes sont dédupliquées, le cas échéant, à partir de pseudonymes chiffrés des noms, dates de naissance et identifiants (aucun nom n'est conservé) : regroupement sur des valeurs chiffrées exactes, poids de comparaison de Fellegi–Sunter et agrégation, les décisions des vérificateurs s'appliquant d'abord.",
        ));
        s
    });
    persons_and_hidden_victims(b, facts, dict, year, persons)?;
    let protection = b.r.meta.protection.clone();
    b.say("quality_protection", protection);
    Ok(())
}

/// The linkage model's own count of the persons behind the victims `filters` selects, with its
/// 95% range ([`tessera_analysis::persons_range`]), as a sentence to follow the count of persons
/// (empty when the map has no model behind it or a bound is not published).
fn persons_range_text(
    l: Lang,
    d: Disclosure,
    facts: &Facts,
    map: &PersonMap,
    filters: &Filters,
) -> Result<String, ReportError> {
    let national = Scope::Internal(Access::National);
    let Some(r) = tessera_analysis::persons_range(facts, map, "victim", &national, filters)? else {
        return Ok(String::new());
    };
    let (Some(e), Some(lo), Some(hi)) = (d.count(r.expected), d.count(r.low), d.count(r.high))
    else {
        return Ok(String::new());
    };
    Ok(l.tr(
        " From its match probabilities rather than from the links it took, the linkage model expects {e} persons (95% range {lo} to {hi}).",
        " D'après ses probabilités de correspondance plutôt que d'après les liens retenus, le modèle de couplage en attend {e} (intervalle à 95 % : {lo} à {hi}).",
    )
    .replace("{e}", &l.number(e.round()))
    .replace("{lo}", &l.number(lo.round()))
    .replace("{hi}", &l.number(hi.round())))
}

/// The quality chapter's persons and hidden victims: how many distinct persons the year's
/// approved victim records are after record linkage, and the multiple systems estimate of the
/// victims no provider recorded, from the overlap of the provider types' lists
/// ([`tessera_analysis::hidden_victims`]: the largest lists kept, the model chosen by the Home
/// Office's stepwise procedure, else by minimum BIC), with its 95% interval and caveats. The
/// persons count passes disclosure control like any figure; an estimate is given only over a
/// published count of persons.
fn persons_and_hidden_victims(
    b: &mut Builder,
    facts: &Facts,
    dict: &Dictionary,
    year: i32,
    persons: Option<&PersonMap>,
) -> Result<(), ReportError> {
    let l = b.lang;
    let d = b.disclosure;
    let y = year.to_string();
    let Some(map) = persons else {
        b.say(
            "quality_persons",
            l.tr(
                "Record linkage was not run for this edition: the number of distinct persons behind the victim records of {y} is not given, and no estimate of hidden victims is made.",
                "Le couplage des enregistrements n'a pas été effectué pour cette édition : le nombre de personnes distinctes derrière les enregistrements de victimes de {y} n'est pas donné, et aucune estimation des victimes cachées n'est faite.",
            )
            .replace("{y}", &y),
        );
        return Ok(());
    };
    let filters = Filters {
        year_from: Some(year),
        year_to: Some(year),
        expr: Some(VICTIM_CONDITION.into()),
        ..Filters::default()
    };
    let national = Scope::Internal(Access::National);
    let count = |unit: Unit| -> Result<f64, ReportError> {
        Ok(
            tessera_analysis::victims(facts, &national, &filters, unit, l.code())?
                .total
                .unwrap_or(0.0),
        )
    };
    let records = d.count(count(Unit::Records)?);
    let people = d.count(count(Unit::Persons(map))?);
    b.say(
        "quality_persons",
        l.tr(
            "After record linkage, the {r} approved victim records of {y} correspond to {p} distinct persons: a person reported by several providers, or twice by one, counts once.",
            "Après couplage des enregistrements, les {r} enregistrements de victimes approuvés de {y} correspondent à {p} personnes distinctes : une personne signalée par plusieurs fournisseurs, ou deux fois par le même, compte une fois.",
        )
        .replace("{r}", &count_text(l, records, d.threshold))
        .replace("{p}", &count_text(l, people, d.threshold))
        .replace("{y}", &y)
            + &persons_range_text(l, d, facts, map, &filters)?,
    );
    // Too few persons to publish: no estimate either (it would be built from them).
    if people.is_none() {
        return Ok(());
    }
    let sentence = match tessera_analysis::hidden_victims(facts, "victim", &filters, map, "provider_type") {
        Err(e) => l
            .tr(
                "No estimate of hidden victims could be made for {y}: {e}.",
                "Aucune estimation des victimes cachées n'a pu être faite pour {y} : {e}.",
            )
            .replace("{e}", &e.to_string()),
        Ok(h) => match h.estimates.iter().find_map(|(m, r)| Some((m, r.as_ref().ok()?))) {
            None => l
                .tr(
                    "No estimate of hidden victims could be made for {y}: no log-linear model has an estimate for the overlap of the lists.",
                    "Aucune estimation des victimes cachées n'a pu être faite pour {y} : aucun modèle log-linéaire ne donne d'estimation pour le recoupement des listes.",
                )
                .to_string(),
            Some((method, e)) => {
                let chosen = match method.name() {
                    "min-bic" => l.tr("by minimum BIC", "par le critère BIC minimal"),
                    _ => l.tr(
                        "by the UK Home Office's stepwise procedure",
                        "par la procédure pas à pas du Home Office britannique",
                    ),
                };
                let whole = |v: f64| l.number(d.round(v.round()));
                // The lists by their provider type's name; the smaller ones pooled by folding.
                let lists: Vec<String> = h
                    .table
                    .lists
                    .iter()
                    .map(|code| match code.as_str() {
                        tessera_analysis::OTHER_LISTS => l
                            .tr("the others pooled", "les autres regroupés")
                            .to_string(),
                        _ => dict
                            .codelist("provider_type")
                            .and_then(|cl| cl.get(code))
                            .map_or_else(|| code.clone(), |c| c.label.get(l.code()).to_string()),
                    })
                    .collect();
                let model = match l {
                    Lang::Fr => e.model.replace("main effects", "effets principaux"),
                    Lang::En => e.model.clone(),
                };
                let mut text = l
                    .tr(
                        "Multiple systems estimation from the overlap of {k} lists of providers by type ({lists}): {o} persons were recorded in {y}; the log-linear model {model}, chosen {chosen}, estimates about {est} victims in all, so about {hidden} that no provider recorded, with a 95% interval from {low} to {high}.",
                        "Estimation par systèmes multiples à partir du recoupement de {k} listes de fournisseurs par type ({lists}) : {o} personnes ont été enregistrées en {y} ; le modèle log-linéaire {model}, choisi {chosen}, estime le total à environ {est} victimes, dont environ {hidden} qu'aucun fournisseur n'a enregistrées, avec un intervalle à 95 % de {low} à {high}.",
                    )
                    .replace("{k}", &h.table.k().to_string())
                    .replace("{lists}", &lists.join(", "))
                    .replace("{o}", &count_text(l, d.count(e.observed), d.threshold))
                    .replace("{model}", &model)
                    .replace("{chosen}", chosen)
                    .replace("{est}", &whole(e.estimate))
                    .replace("{hidden}", &whole(e.estimate - e.observed))
                    .replace("{low}", &whole(e.ci_low))
                    .replace("{high}", &whole(e.ci_high));
                let caveats: Vec<String> = e.caveats.iter().map(|c| c.text(l.code())).collect();
                text.push(' ');
                text.push_str(l.tr(
                    "The estimate assumes the model captures how the lists depend on each other; other reasonable models can give quite different figures.",
                    "L'estimation suppose que le modèle rend compte de la dépendance entre les listes ; d'autres modèles raisonnables peuvent donner des chiffres très différents.",
                ));
                if !caveats.is_empty() {
                    text.push(' ');
                    text.push_str(l.tr("Caveats: ", "Mises en garde : "));
                    text.push_str(&caveats.join("; "));
                    text.push('.');
                }
                text
            }
        },
    }
    .replace("{y}", &y);
    b.say("quality_hidden_victims", sentence);
    Ok(())
}
