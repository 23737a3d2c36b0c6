//! `tessera retention` and `tessera person delete`: retention rules per entity applied by a
//! command (a dry run unless told to delete), and deletion of a person's records on a lawful
//! request. Both are audited; the audit entry never holds a value of the records deleted.

use anyhow::{Result, bail};
use clap::Subcommand;
use tessera_store::Access;

use crate::common::{Global, dictionary_of, open_store, parse_day, today};

#[derive(Subcommand)]
pub enum RetentionCommand {
    /// Keep an entity's records this many years after the end of the reporting period they were
    /// sent for (records loaded outside any submission: after their last update).
    Set {
        #[arg(long)]
        entity: String,
        /// 1 to 100.
        #[arg(long)]
        years: u32,
    },
    /// Remove an entity's rule: its records are kept until a rule is set again.
    Clear {
        #[arg(long)]
        entity: String,
    },
    /// The rules in force.
    List,
    /// What the rules find past their time — and, with --execute, delete it (each record with its
    /// earlier versions and the reviewers' verdicts naming it), audited per entity.
    Apply {
        /// Delete. Without it nothing changes: the records that would go are counted.
        #[arg(long)]
        execute: bool,
        /// The day to apply the rules as of, YYYY-MM-DD (default: today); a dry run can look
        /// ahead, a deletion never can.
        #[arg(long)]
        as_of: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum PersonCommand {
    /// Delete a person's records on a lawful request (a data subject's request, a court order):
    /// the record given and every record linkage counts as the same person, with their earlier
    /// versions and the reviewers' verdicts naming them. A dry run unless --execute; the audit
    /// log keeps the request's reference, the ids and counts, never the records' values.
    Delete {
        /// A record of the person (repeat for records linkage did not join).
        #[arg(long = "record", required = true)]
        records: Vec<i64>,
        /// The request's reference (file number, court order), kept in the audit log.
        #[arg(long)]
        reference: String,
        /// Delete. Without it the records that would go are listed.
        #[arg(long)]
        execute: bool,
    },
}

pub async fn retention(g: &Global, what: RetentionCommand) -> Result<()> {
    let db = g.db();
    let store = open_store(&db).await?;
    let known = |entity: &str, dict: &tessera_dictionary::Dictionary| -> Result<()> {
        if dict.entity(entity).is_none() {
            bail!(
                "there is no entity \"{entity}\" in the dictionary; entities: {}",
                dict.entities.keys().cloned().collect::<Vec<_>>().join(", ")
            );
        }
        Ok(())
    };
    match what {
        RetentionCommand::Set { entity, years } => {
            known(&entity, &dictionary_of(&store).await?)?;
            store.set_retention(&entity, Some(years), "cli").await?;
            println!(
                "{entity} records are now kept {years} year{} after the end of their reporting period; `tessera retention apply` deletes what is past it.",
                if years == 1 { "" } else { "s" }
            );
        }
        RetentionCommand::Clear { entity } => {
            store.set_retention(&entity, None, "cli").await?;
            println!("{entity} records are now kept with no time limit.");
        }
        RetentionCommand::List => {
            let rules = store.retention_rules().await?;
            if rules.years.is_empty() {
                println!("No retention rule: every record is kept.");
            }
            for (entity, years) in rules.years {
                println!("{entity:<24} {years} years after the end of the reporting period");
            }
        }
        RetentionCommand::Apply { execute, as_of } => {
            let day = match as_of.as_deref() {
                Some(d) => parse_day("--as-of", d)?,
                None => today(),
            };
            if execute && day > today() {
                bail!(
                    "--as-of {day} is in the future: records are deleted only once past their time"
                );
            }
            let items = if execute {
                store.apply_retention(day, "cli").await?
            } else {
                store.retention_plan(day).await?
            };
            if items.is_empty() {
                println!("No retention rule: nothing to delete (`tessera retention set`).");
            }
            for i in &items {
                println!(
                    "{:<24} {:>8} record{} {} (kept {} years; period ended before {})",
                    i.entity,
                    i.records,
                    if i.records == 1 { "" } else { "s" },
                    if execute {
                        "deleted"
                    } else {
                        "past their time"
                    },
                    i.years,
                    i.cutoff
                );
            }
            if !execute && items.iter().any(|i| i.records > 0) {
                println!("Dry run: nothing was deleted. Add --execute to delete them (audited).");
            }
        }
    }
    store.close().await;
    Ok(())
}

pub async fn person(g: &Global, what: PersonCommand) -> Result<()> {
    let PersonCommand::Delete {
        records,
        reference,
        execute,
    } = what;
    if reference.trim().is_empty() {
        bail!("--reference: name the request the deletion answers");
    }
    let db = g.db();
    let store = open_store(&db).await?;
    let mut wanted = Vec::new();
    for id in &records {
        let Some(r) = store.record(&Access::National, *id).await? else {
            bail!("there is no record {id}");
        };
        if !tessera_analysis::PERSON_ENTITIES.contains(&r.entity.as_str()) {
            bail!(
                "record {id} is a {} record, not a person's ({})",
                r.entity,
                tessera_analysis::PERSON_ENTITIES.join(", ")
            );
        }
        wanted.push(r);
    }
    // Who is who, as the dashboards count persons: the stored pseudonyms linked under the
    // reviewers' verdicts.
    let persons = tessera_analysis::link_persons(&store).await?;
    let mut ids: Vec<i64> = Vec::new();
    for r in &wanted {
        let person = persons.person(r.id);
        for row in store.pseudonyms(&Access::National, &r.entity).await? {
            if persons.person(row.id) == person {
                ids.push(row.id);
            }
        }
        ids.push(r.id);
    }
    ids.sort_unstable();
    ids.dedup();
    let found = store.records_by_id(&Access::National, &ids).await?;
    println!(
        "{} record{} of this person:",
        found.len(),
        if found.len() == 1 { "" } else { "s" }
    );
    for r in &found {
        println!(
            "  record {:<8} {:<18} {:<24} {}",
            r.id, r.entity, r.provider_id, r.provider_ref
        );
    }
    if !execute {
        println!(
            "Dry run: nothing was deleted. Add --execute to delete them with their earlier versions (audited under \"{reference}\")."
        );
        return Ok(());
    }
    let gone = store.delete_records(&ids, "cli", &reference).await?;
    store.close().await;
    println!(
        "Deleted {} record{}, {} earlier version{} and {} linkage verdict{} under \"{reference}\". The audit log keeps the reference and the record ids, not their values; backups taken before still hold them until they expire.",
        gone.records,
        if gone.records == 1 { "" } else { "s" },
        gone.history,
        if gone.history == 1 { "" } else { "s" },
        gone.link_decisions,
        if gone.link_decisions == 1 { "" } else { "s" },
    );
    Ok(())
}
