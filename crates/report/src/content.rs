//! The report's content, independent of how it is rendered.

use std::collections::BTreeSet;

use tessera_analysis::dashboard::{Filters, Scope};
use tessera_analysis::nap::NapReport;
use tessera_analysis::table::format_number;
use tessera_analysis::{
    Expr, Facts, Measure, NapPlan, Table, Unit, aggregate, nap_progress, suppress, svg,
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
    /// The disclosure control applied, as a sentence in the report's language.
    pub protection: String,
    pub preface: String,
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
/// threshold, the National Action Plan if one is loaded, and the approved fingerprint.
pub async fn from_store(
    store: &Store,
    dict: &Dictionary,
    year: i32,
    lang: &str,
    config: &Config,
) -> Result<Report, ReportError> {
    let threshold = tessera_analysis::deployment_threshold(store).await?;
    let facts = Facts::build(store, dict).await?;
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
    build(&facts, dict, year, lang, threshold, nap.as_ref(), config)
}

/// A table as partners get it: primary and complementary suppression at `threshold`, then the
/// rows left with no published value dropped (as [`Scope::Partner`] publishes).
fn publish(t: &Table, threshold: f64) -> Table {
    let mut t = suppress(t, threshold);
    t.rows.retain(|r| r.values.iter().any(Option::is_some));
    t
}

/// A total as published: hidden from 1 to under the threshold.
fn publish_total(v: f64, threshold: f64) -> Option<f64> {
    (v == 0.0 || v >= threshold).then_some(v)
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
        });
    }

    /// Adds a published table (already suppressed) to the current section.
    fn table(&mut self, t: &Table) {
        let section = self.current().id.clone();
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
        let rows_for_numeric = rows.clone();
        self.current().tables.push(t.id.clone());
        self.r.tables.push(ReportTable {
            id: t.id.clone(),
            section,
            title: t.title.clone(),
            headers,
            rows,
            cells,
            keys: t.key_headers.len(),
            numeric: numeric(&rows_for_numeric),
            note: self.protection_note.clone(),
        });
    }

    fn figure(&mut self, chart: svg::Chart) {
        let section = self.current().id.clone();
        let id = format!("fig_{}", chart.table.id);
        self.current().figures.push(id.clone());
        self.r.figures.push(Figure {
            id,
            section,
            title: chart.table.title.clone(),
            svg: chart.svg,
        });
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
    let v = publish_total(value, b.threshold);
    KeyFigure {
        id: id.into(),
        label: label.into(),
        value: v,
        previous: publish_total(previous, b.threshold),
        text: v.map_or_else(|| "c".to_string(), |v| b.lang.number(v)),
    }
}

/// Builds the report for `year` in `lang` from `facts` (approved records only are counted).
pub fn build(
    facts: &Facts,
    dict: &Dictionary,
    year: i32,
    lang: &str,
    threshold: f64,
    nap: Option<&NapReport>,
    config: &Config,
) -> Result<Report, ReportError> {
    if !matches!(lang, "en" | "fr") {
        return Err(ReportError::Options(format!(
            "the report's language \"{lang}\" is not en or fr"
        )));
    }
    let l = Lang::of(lang);
    let opts = Options::new(dict, year, threshold)?.lang(lang);
    let protection = tessera_outputs::Protection { threshold }.statement(lang);
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
        protection: protection.clone(),
        preface: config.preface.get(lang).to_string(),
    };
    let mut b = Builder {
        lang: l,
        threshold,
        protection_note: match lang {
            "fr" => format!(
                "Protection : suppression primaire et complémentaire des cellules, seuil {}.",
                format_number(threshold)
            ),
            _ => format!(
                "Protection: primary and complementary cell suppression, threshold {}.",
                format_number(threshold)
            ),
        },
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
                let series = publish(&victims_series.by_year, threshold);
                b.figure(svg::line(&series, lang));
                for t in [
                    &victims.by_sex,
                    &victims.by_age_band,
                    &victims.children,
                    &victims.by_exploitation,
                    &victims.vulnerable_groups,
                    &victims.cross_border,
                ] {
                    let p = publish(t, threshold);
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
                    b.table(&publish(&t, threshold));
                }
                let mut stages = first_values(funnel.stages.clone(), 1);
                stages.rows.retain(|r| r.keys[0].code == "ALL");
                let stages = publish(&stages, threshold);
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
                    b.table(&publish(t, threshold));
                }
            }
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
            "quality" => quality_section(&mut b, facts, dict, year)?,
            "annex" => {
                let title = b.tr("Annex tables", "Tableaux annexes").to_string();
                b.section("annex", &title);
                b.table(&publish(&victims.by_region, threshold));
                b.table(&publish(&victims.by_citizenship, threshold));
                b.table(&publish(&victims.by_identification_status, threshold));
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

fn nap_section(b: &mut Builder, n: &NapReport, year: i32) {
    let l = b.lang;
    let threshold = b.threshold;
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
            let value = value.and_then(|v| publish_total(v, threshold));
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
    let protection = b.r.meta.protection.clone();
    b.say("quality_protection", protection);
    Ok(())
}
