//! The GLOTIP and Eurostat returns: who is counted (populations) and by what (tables).
//!
//! * Victims: approved victim records whose date of identification falls in the year, except
//!   those assessed as not a victim (`NOT_VICTIM`).
//! * Persons suspected: approved suspect records (formal contact with the police: suspected,
//!   arrested or cautioned) for a trafficking offence — an offence whose `protocol` mapping is
//!   `TIP` — recorded in the year.
//! * Persons prosecuted: approved criminal-justice cases for a trafficking offence with a
//!   prosecution date or a stage mapped to the scheme's "prosecuted", in the year of the
//!   prosecution date (else of the judgment, else of the investigation).
//! * Persons convicted: cases whose verdict maps to the scheme's "convicted", in the year of the
//!   judgment.
//!
//! A case's sex, age and citizenship are those of its suspect record at the same provider
//! ([`tessera_analysis::facts::EntityFacts::suspect_row`]); a case without an approved suspect
//! record counts under "unknown".

use tessera_analysis::facts::{ColumnData, EntityFacts, MISSING, year_of};
use tessera_analysis::{Facts, Key, PersonMap};
use tessera_dictionary::{CodeList, Dictionary};

use crate::cube::{Axis, Dimension, Member, Population, count, tr};
use crate::{OutputError, Protection, Return, ReturnTable};

/// What the builders share.
struct Ctx<'a> {
    facts: &'a Facts,
    dict: &'a Dictionary,
    opts: &'a crate::Options,
    persons: Option<&'a PersonMap>,
    scheme: &'static str,
}

impl<'a> Ctx<'a> {
    fn lang(&self) -> &str {
        &self.opts.lang
    }

    fn tr(&self, en: &'static str, fr: &'static str) -> &'static str {
        tr(self.lang(), en, fr)
    }

    fn list(&self, id: &str) -> Result<&'a CodeList, OutputError> {
        self.dict
            .codelist(id)
            .ok_or_else(|| OutputError::Dictionary(format!("there is no code list \"{id}\"")))
    }

    /// The scheme's code for a base code (`cj_stage` `PROSECUTION` → `prosecuted`). These lists
    /// are international and closed: a missing mapping is a broken dictionary, refused.
    fn base_map(&self, list: &str, code: &str) -> Result<String, OutputError> {
        self.list(list)?
            .get(code)
            .and_then(|c| c.map.get(self.scheme))
            .cloned()
            .ok_or_else(|| {
                OutputError::Dictionary(format!(
                    "code {code} of code list {list} has no mapping in scheme {}",
                    self.scheme
                ))
            })
    }

    fn unit(&self, record_id: i64) -> u64 {
        match self.persons {
            Some(p) => p.person(record_id),
            None => record_id as u64,
        }
    }

    fn unit_name(&self) -> &'static str {
        if self.persons.is_some() {
            "persons"
        } else {
            "records"
        }
    }

    /// Counts `pop` by `axes`, then protects the table and its totals.
    fn table(
        &self,
        id: &str,
        (en, fr): (&str, &str),
        pop: &Population,
        axes: Vec<Axis>,
        extra_notes: &[&str],
    ) -> ReturnTable {
        let title = tr(self.lang(), en, fr);
        let value_header = match (self.persons.is_some(), self.lang()) {
            (true, "fr") => "Personnes",
            (true, _) => "Persons",
            (false, "fr") => "Enregistrements",
            (false, _) => "Records",
        };
        let c = count(
            id,
            title,
            self.unit_name(),
            value_header,
            pop,
            axes,
            self.lang(),
        );
        let disclosure = self.opts.disclosure();
        let mut notes = c.notes;
        notes.extend(extra_notes.iter().map(|s| s.to_string()));
        ReturnTable {
            id: id.to_string(),
            title: title.to_string(),
            dims: c.axes_dims,
            table: disclosure.table(&c.table),
            // A total is a table of one cell: hidden when small, like any cell.
            totals: c
                .totals
                .into_iter()
                .map(|(k, v)| (k, disclosure.count(v)))
                .collect(),
            notes,
        }
    }

    fn unit_note(&self) -> &'static str {
        if self.persons.is_some() {
            self.tr(
                "Counted as persons: records that record linkage finds to be one person count once.",
                "Décompte en personnes : les enregistrements que le couplage reconnaît comme une même personne comptent une fois.",
            )
        } else {
            self.tr(
                "Counted as records: a person reported by several providers counts once per provider.",
                "Décompte en enregistrements : une personne signalée par plusieurs fournisseurs compte une fois par fournisseur.",
            )
        }
    }

    /// Victims of the year. `statuses`: one legal status for all (`Some`), or each victim's
    /// identification status mapped through the scheme (`None`).
    fn victims(&self, status: Option<Key>) -> Result<Population<'a>, OutputError> {
        let v = self.facts.entity("victim")?;
        let ids = code_column(v, "identification_status");
        let mut statuses: Vec<Key> = Vec::new();
        // Identification status value → status index (`None`: left out).
        let mut by_value: Vec<Option<usize>> = Vec::new();
        let mut notes = vec![match self.lang() {
            "fr" => format!(
                "Victimes : enregistrements approuvés de victimes identifiées en {} (date d'identification) ; les personnes évaluées comme n'étant pas victimes (NOT_VICTIM) sont exclues.",
                self.opts.year
            ),
            _ => format!(
                "Victims: approved victim records identified in {} (date of identification); persons assessed as not a victim (NOT_VICTIM) are left out.",
                self.opts.year
            ),
        }];
        if let Some((_, Some(cs))) = ids {
            by_value.push(status.as_ref().map(|_| 0));
            let list = self.list("identification_status")?;
            for code in &cs.codes {
                by_value.push(if code == "NOT_VICTIM" {
                    None
                } else if status.is_some() {
                    Some(0)
                } else {
                    let label = list.get(code).map(|c| c.label.get(self.lang()));
                    let (intl, label) = match list.get(code).and_then(|c| c.map.get(self.scheme))
                    {
                        Some(v) => (v.clone(), label.unwrap_or(code).to_string()),
                        None => {
                            notes.push(format!(
                                "{}: {code} {}",
                                list.label.get(self.lang()),
                                self.tr(
                                    "has no mapping in this scheme; these victims are counted under UNMAPPED.",
                                    "n'a pas de correspondance dans ce schéma ; ces victimes sont comptées sous UNMAPPED."
                                )
                            ));
                            (crate::UNMAPPED.to_string(), crate::UNMAPPED.to_string())
                        }
                    };
                    Some(match statuses.iter().position(|k| k.code == intl) {
                        Some(i) => i,
                        None => {
                            statuses.push(Key::new(&intl, &label));
                            statuses.len() - 1
                        }
                    })
                });
            }
        }
        if let Some(k) = status {
            statuses = vec![k];
        } else if by_value.first() == Some(&None) {
            // Identification status not recorded (it is required: only invalid old records).
            statuses.push(Key::new(
                crate::UNKNOWN,
                self.tr("Status not recorded", "Statut non renseigné"),
            ));
            by_value[0] = Some(statuses.len() - 1);
        }
        let mut members = Vec::new();
        for i in 0..v.len() {
            if !v.approved[i] || i32::from(v.year[i]) != self.opts.year {
                continue;
            }
            let value = match ids {
                Some((vals, _)) => vals[i] as usize,
                None => 0,
            };
            let Some(s) = by_value.get(value).copied().unwrap_or(Some(0)) else {
                continue;
            };
            members.push(Member {
                attrs: Some((v, i)),
                status: s,
                unit: self.unit(v.record_id[i]),
            });
        }
        if statuses.is_empty() {
            statuses.push(Key::new("VICTIMS", "Victims"));
        }
        notes.push(self.unit_note().to_string());
        Ok(Population {
            members,
            statuses,
            notes,
        })
    }

    /// Persons suspected, prosecuted and convicted for trafficking in the year.
    fn justice(&self) -> Result<Population<'a>, OutputError> {
        let suspected = self.base_map("cj_stage", "INVESTIGATION")?;
        let prosecuted = self.base_map("cj_stage", "PROSECUTION")?;
        let convicted = self.base_map("verdict", "CONVICTED")?;
        let statuses = vec![
            Key::new(
                &suspected,
                self.tr(
                    "Persons suspected (formal contact: suspected, arrested or cautioned)",
                    "Personnes soupçonnées (contact formel : soupçonnées, arrêtées ou mises en garde)",
                ),
            ),
            Key::new(
                &prosecuted,
                self.tr("Persons prosecuted", "Personnes poursuivies"),
            ),
            Key::new(
                &convicted,
                self.tr("Persons convicted", "Personnes condamnées"),
            ),
        ];
        let offences = self.list("offence")?;
        let tip = |ent: &EntityFacts| -> Vec<bool> {
            match code_column(ent, "offence") {
                Some((vals, Some(cs))) => {
                    let per: Vec<bool> = std::iter::once(false)
                        .chain(cs.codes.iter().map(|c| {
                            offences
                                .get(c)
                                .and_then(|c| c.map.get("protocol"))
                                .is_some_and(|p| p == "TIP")
                        }))
                        .collect();
                    vals.iter().map(|&k| per[k as usize]).collect()
                }
                _ => vec![false; ent.len()],
            }
        };
        let year = self.opts.year;
        let mut members = Vec::new();
        let s = self.facts.entity("suspect")?;
        for (i, is_tip) in tip(s).into_iter().enumerate() {
            if is_tip && s.approved[i] && i32::from(s.year[i]) == year {
                members.push(Member {
                    attrs: Some((s, i)),
                    status: 0,
                    unit: self.unit(s.record_id[i]),
                });
            }
        }
        let c = self.facts.entity("cj_case")?;
        let stage_is = |code: &str| -> Vec<bool> {
            match code_column(c, "stage") {
                Some((vals, Some(cs))) => {
                    let list = self.dict.codelist("cj_stage");
                    let per: Vec<bool> = std::iter::once(false)
                        .chain(cs.codes.iter().map(|k| {
                            list.and_then(|l| l.get(k))
                                .and_then(|k| k.map.get(self.scheme))
                                .is_some_and(|m| m == code)
                        }))
                        .collect();
                    vals.iter().map(|&k| per[k as usize]).collect()
                }
                _ => vec![false; c.len()],
            }
        };
        let verdict_is = |code: &str| -> Vec<bool> {
            match code_column(c, "verdict") {
                Some((vals, Some(cs))) => {
                    let list = self.dict.codelist("verdict");
                    let per: Vec<bool> = std::iter::once(false)
                        .chain(cs.codes.iter().map(|k| {
                            list.and_then(|l| l.get(k))
                                .and_then(|k| k.map.get(self.scheme))
                                .is_some_and(|m| m == code)
                        }))
                        .collect();
                    vals.iter().map(|&k| per[k as usize]).collect()
                }
                _ => vec![false; c.len()],
            }
        };
        let at_prosecution = stage_is(&prosecuted);
        let is_convicted = verdict_is(&convicted);
        let prosecution = date_column(c, "prosecution_date");
        let judgment = date_column(c, "judgment_date");
        let investigation = date_column(c, "investigation_date");
        let day = |col: Option<&Vec<i32>>, i: usize| {
            col.and_then(|d| Some(d[i]).filter(|&x| x != MISSING))
        };
        let in_year = |d: Option<i32>, i: usize| match d {
            Some(d) => year_of(d) == year,
            None => i32::from(c.year[i]) == year,
        };
        let suspects_rows = &c.suspect_row;
        for (i, is_tip) in tip(c).into_iter().enumerate() {
            if !is_tip || !c.approved[i] {
                continue;
            }
            let suspect = suspects_rows
                .get(i)
                .copied()
                .flatten()
                .map(|r| r as usize)
                .filter(|&r| s.approved.get(r).copied().unwrap_or(false));
            let attrs = suspect.map(|r| (s, r));
            let unit = match (self.persons, suspect) {
                (Some(p), Some(r)) => p.person(s.record_id[r]),
                (Some(_), None) => (1u64 << 62) | c.record_id[i] as u64,
                (None, _) => c.record_id[i] as u64,
            };
            let prosecuted_here = at_prosecution[i] || day(prosecution, i).is_some();
            if prosecuted_here {
                let d = day(prosecution, i)
                    .or_else(|| day(judgment, i))
                    .or_else(|| day(investigation, i));
                if in_year(d, i) {
                    members.push(Member {
                        attrs,
                        status: 1,
                        unit,
                    });
                }
            }
            if is_convicted[i] && in_year(day(judgment, i), i) {
                members.push(Member {
                    attrs,
                    status: 2,
                    unit,
                });
            }
        }
        let notes = vec![
            match self.lang() {
                "fr" => format!(
                    "Personnes soupçonnées : enregistrements approuvés de suspects pour une infraction de traite (infractions dont la correspondance protocol est TIP), enregistrés en {year}."
                ),
                _ => format!(
                    "Persons suspected: approved suspect records for a trafficking offence (offences whose protocol mapping is TIP) recorded in {year}."
                ),
            },
            match self.lang() {
                "fr" => format!(
                    "Personnes poursuivies : affaires pénales approuvées pour traite avec une date de poursuites ou une étape correspondant à {prosecuted}, l'année de la date des poursuites (à défaut du jugement, à défaut de l'enquête) ; personnes condamnées : affaires dont la décision correspond à {convicted}, l'année du jugement."
                ),
                _ => format!(
                    "Persons prosecuted: approved criminal-justice cases for trafficking with a prosecution date or a stage mapped to {prosecuted}, in the year of the prosecution date (else of the judgment, else of the investigation); persons convicted: cases whose verdict maps to {convicted}, in the year of the judgment."
                ),
            },
            self.tr(
                "A case's sex, age and citizenship are those of its suspect record at the same provider (suspect reference or person–case link); a case without an approved suspect record counts as unknown.",
                "Le sexe, l'âge et la nationalité d'une affaire sont ceux de son suspect chez le même fournisseur (référence du suspect ou lien personne–affaire) ; une affaire sans suspect approuvé compte comme inconnue.",
            )
            .to_string(),
            self.unit_note().to_string(),
        ];
        Ok(Population {
            members,
            statuses,
            notes,
        })
    }

    fn sex(&self) -> Result<Axis, OutputError> {
        Ok(Axis::mapped(
            Dimension::Sex,
            self.list("sex")?,
            self.scheme,
            "sex",
            false,
            self.lang(),
        ))
    }

    fn age(&self) -> Result<Axis, OutputError> {
        Ok(Axis::mapped(
            Dimension::Age,
            self.list("age_band")?,
            self.scheme,
            "age_band",
            false,
            self.lang(),
        ))
    }

    fn exploitation(&self) -> Result<Axis, OutputError> {
        let mut a = Axis::mapped(
            Dimension::Exploitation,
            self.list("exploitation_form")?,
            self.scheme,
            "exploitation",
            false,
            self.lang(),
        );
        a.notes.push(
            self.tr(
                "A victim of several forms of exploitation counts under each international form once; the total counts each victim once.",
                "Une victime de plusieurs formes d'exploitation compte une fois sous chaque forme internationale ; le total compte chaque victime une fois.",
            )
            .to_string(),
        );
        Ok(a)
    }

    fn citizenship(&self) -> Result<Axis, OutputError> {
        Ok(Axis::citizenship(
            self.list("country")?,
            "alpha3",
            self.opts.threshold,
            self.lang(),
        ))
    }

    fn group(&self, eu: bool) -> Axis {
        Axis::group(&self.opts.country, eu, self.lang())
    }

    fn finish(&self, id: &str, title: &str, ref_area: String, tables: Vec<ReturnTable>) -> Return {
        let mut notes: Vec<String> = Vec::new();
        for t in &tables {
            for n in t.notes.iter().filter(|n| n.contains(crate::UNMAPPED)) {
                if !notes.contains(n) {
                    notes.push(n.clone());
                }
            }
        }
        Return {
            id: id.to_string(),
            title: title.to_string(),
            year: self.opts.year,
            country: self.opts.country.clone(),
            ref_area,
            lang: self.opts.lang.clone(),
            unit: self.unit_name().to_string(),
            dictionary_version: self.dict.full_version(),
            protection: Protection::from(self.opts.disclosure()),
            tables,
            notes,
        }
    }
}

fn code_column<'e>(
    ent: &'e EntityFacts,
    var: &str,
) -> Option<(&'e Vec<u16>, Option<&'e tessera_analysis::facts::CodeSet>)> {
    let col = ent.column(var)?;
    match &col.data {
        ColumnData::Code(v) => Some((v, col.codes.as_deref())),
        _ => None,
    }
}

fn date_column<'e>(ent: &'e EntityFacts, var: &str) -> Option<&'e Vec<i32>> {
    match &ent.column(var)?.data {
        ColumnData::Date(v) => Some(v),
        _ => None,
    }
}

/// The UNODC GLOTIP questionnaire's tables: detected victims by sex and age group (women, men,
/// girls, boys), by form of exploitation, by citizenship and as nationals or foreigners; persons
/// suspected, prosecuted and convicted by sex, age group and citizenship. Codes: the `glotip`
/// scheme of the dictionary (ages: child under 18 / adult, as GLOTIP publishes them); countries
/// in ISO 3166-1 alpha-3, as UNODC's data.
pub fn glotip(
    facts: &Facts,
    dict: &Dictionary,
    opts: &crate::Options,
    persons: Option<&PersonMap>,
) -> Result<Return, OutputError> {
    let cx = Ctx {
        facts,
        dict,
        opts,
        persons,
        scheme: "glotip",
    };
    let victims = cx.victims(Some(Key::new(
        "detected_victims",
        cx.tr("Detected victims", "Victimes détectées"),
    )))?;
    let justice = cx.justice()?;
    let tables = vec![
        cx.table(
            "victims_sex_age",
            (
                "Detected victims by sex and age group",
                "Victimes détectées par sexe et groupe d'âge",
            ),
            &victims,
            vec![cx.sex()?, cx.age()?],
            &[],
        ),
        cx.table(
            "victims_exploitation",
            (
                "Detected victims by form of exploitation, sex and age group",
                "Victimes détectées par forme d'exploitation, sexe et groupe d'âge",
            ),
            &victims,
            vec![cx.exploitation()?, cx.sex()?, cx.age()?],
            &[],
        ),
        cx.table(
            "victims_citizenship",
            (
                "Detected victims by citizenship",
                "Victimes détectées par nationalité",
            ),
            &victims,
            vec![cx.citizenship()?],
            &[],
        ),
        cx.table(
            "victims_national_foreign",
            (
                "Detected victims: nationals and foreigners, by sex and age group",
                "Victimes détectées : nationaux et étrangers, par sexe et groupe d'âge",
            ),
            &victims,
            vec![cx.group(false), cx.sex()?, cx.age()?],
            &[],
        ),
        cx.table(
            "justice_sex_age",
            (
                "Persons suspected, prosecuted and convicted by sex and age group",
                "Personnes soupçonnées, poursuivies et condamnées par sexe et groupe d'âge",
            ),
            &justice,
            vec![Axis::status(&justice.statuses), cx.sex()?, cx.age()?],
            &[],
        ),
        cx.table(
            "justice_national_foreign",
            (
                "Persons suspected, prosecuted and convicted: nationals and foreigners",
                "Personnes soupçonnées, poursuivies et condamnées : nationaux et étrangers",
            ),
            &justice,
            vec![Axis::status(&justice.statuses), cx.group(false)],
            &[],
        ),
        cx.table(
            "justice_citizenship",
            (
                "Persons suspected, prosecuted and convicted by citizenship",
                "Personnes soupçonnées, poursuivies et condamnées par nationalité",
            ),
            &justice,
            vec![Axis::status(&justice.statuses), cx.citizenship()?],
            &[],
        ),
    ];
    let ref_area = dict
        .codelist("country")
        .and_then(|l| l.get(&opts.country))
        .and_then(|c| c.map.get("alpha3"))
        .cloned()
        .unwrap_or_else(|| opts.country.clone());
    let mut ret = cx.finish(
        "glotip",
        cx.tr(
            "UNODC Global Report on Trafficking in Persons (GLOTIP) questionnaire",
            "Questionnaire de l'ONUDC pour le Rapport mondial sur la traite des personnes (GLOTIP)",
        ),
        ref_area,
        tables,
    );
    ret.notes.push(
        cx.tr(
            "Codes are the dictionary's glotip mappings; the current questionnaire's table layout and age groups are not verified (GLOTIP publishes children under 18 and adults): check against the form UNODC sends.",
            "Les codes sont les correspondances glotip du dictionnaire ; la présentation et les groupes d'âge du questionnaire actuel ne sont pas vérifiés (GLOTIP publie enfants de moins de 18 ans et adultes) : à vérifier sur le formulaire de l'ONUDC.",
        )
        .to_string(),
    );
    Ok(ret)
}

/// Eurostat's trafficking-in-human-beings tables: persons involved by legal status and sex
/// (`crim_thb_sex`: identified and presumed victims, suspected, prosecuted, convicted),
/// registered victims by sex and age (`crim_thb_vsage`), by form of exploitation
/// (`crim_thb_vexp`) and by citizenship group (`crim_thb_vctz`: nationals, other EU, non-EU),
/// and traffickers by sex, age and citizenship group. Codes: the `eurostat` scheme.
pub fn eurostat(
    facts: &Facts,
    dict: &Dictionary,
    opts: &crate::Options,
    persons: Option<&PersonMap>,
) -> Result<Return, OutputError> {
    let cx = Ctx {
        facts,
        dict,
        opts,
        persons,
        scheme: "eurostat",
    };
    let registered = Key::new(
        "VICT",
        cx.tr(
            "Registered victims (identified and presumed)",
            "Victimes enregistrées (identifiées et présumées)",
        ),
    );
    let victims = cx.victims(Some(registered))?;
    let by_status = cx.victims(None)?;
    let justice = cx.justice()?;
    // Everyone involved: victims by identification status, then the criminal-justice stages.
    let involved = Population {
        members: by_status
            .members
            .iter()
            .copied()
            .chain(justice.members.iter().map(|m| Member {
                status: m.status + by_status.statuses.len(),
                ..*m
            }))
            .collect(),
        statuses: by_status
            .statuses
            .iter()
            .chain(&justice.statuses)
            .cloned()
            .collect(),
        notes: {
            let mut notes: Vec<String> = Vec::new();
            for n in by_status.notes.iter().chain(&justice.notes) {
                if !notes.contains(n) {
                    notes.push(n.clone());
                }
            }
            notes
        },
    };
    let tables = vec![
        cx.table(
            "crim_thb_sex",
            (
                "Persons involved in trafficking in human beings by legal status and sex",
                "Personnes impliquées dans la traite des êtres humains par statut et sexe",
            ),
            &involved,
            vec![Axis::status(&involved.statuses), cx.sex()?],
            &[],
        ),
        cx.table(
            "crim_thb_vsage",
            (
                "Registered victims by sex and age",
                "Victimes enregistrées par sexe et âge",
            ),
            &victims,
            vec![cx.sex()?, cx.age()?],
            &[cx.tr(
                "Y_LT18 and Y_GE18 hold victims whose exact age is not known, only whether they are children or adults.",
                "Y_LT18 et Y_GE18 regroupent les victimes dont l'âge exact n'est pas connu, seulement si elles sont mineures ou majeures.",
            )],
        ),
        cx.table(
            "crim_thb_vexp",
            (
                "Registered victims by form of exploitation and sex",
                "Victimes enregistrées par forme d'exploitation et sexe",
            ),
            &victims,
            vec![cx.exploitation()?, cx.sex()?],
            &[],
        ),
        cx.table(
            "crim_thb_vctz",
            (
                "Registered victims by citizenship and sex",
                "Victimes enregistrées par nationalité et sexe",
            ),
            &victims,
            vec![cx.group(true), cx.sex()?],
            &[],
        ),
        cx.table(
            "thb_traffickers_sex_age",
            (
                "Suspected, prosecuted and convicted traffickers by sex and age",
                "Trafiquants soupçonnés, poursuivis et condamnés par sexe et âge",
            ),
            &justice,
            vec![Axis::status(&justice.statuses), cx.sex()?, cx.age()?],
            &[],
        ),
        cx.table(
            "thb_traffickers_ctz",
            (
                "Suspected, prosecuted and convicted traffickers by citizenship",
                "Trafiquants soupçonnés, poursuivis et condamnés par nationalité",
            ),
            &justice,
            vec![Axis::status(&justice.statuses), cx.group(true)],
            &[],
        ),
    ];
    // Eurostat's geo codes are ISO alpha-2 but for Greece (EL) and the United Kingdom (UK).
    let ref_area = match opts.country.as_str() {
        "GR" => "EL".to_string(),
        "GB" => "UK".to_string(),
        c => c.to_string(),
    };
    let mut ret = cx.finish(
        "eurostat",
        cx.tr(
            "Eurostat trafficking in human beings (crim_thb)",
            "Eurostat, traite des êtres humains (crim_thb)",
        ),
        ref_area,
        tables,
    );
    ret.notes.push(
        cx.tr(
            "Table ids follow Eurostat's dataset codes where one exists (crim_thb_sex, crim_thb_vsage, crim_thb_vexp, crim_thb_vctz); category codes are the dictionary's eurostat mappings and the legal statuses VICT, SUSP, PROS, CONV are Tessera's: Eurostat's own codes are not verified, check them against its data structure before sending.",
            "Les identifiants de tableaux reprennent les codes de jeux de données d'Eurostat quand il en existe ; les codes de catégories sont les correspondances eurostat du dictionnaire et les statuts VICT, SUSP, PROS, CONV sont ceux de Tessera : les codes d'Eurostat ne sont pas vérifiés, à contrôler avant l'envoi.",
        )
        .to_string(),
    );
    Ok(ret)
}
