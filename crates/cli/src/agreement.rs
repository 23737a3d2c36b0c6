//! `tessera agreement`: each provider's data-sharing agreement (MoU) — what it shares, at which
//! level, when, signed by whom, with the signed document kept with its SHA-256. The store
//! enforces them on every import, whatever the path.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use tessera_dictionary::{Dictionary, ProviderId};
use tessera_store::{Agreement, actions};

use crate::common::{Global, dictionary_of, open_store, parse_day, today};

#[derive(Subcommand)]
pub enum AgreementCommand {
    /// Record a provider's agreement.
    Add {
        #[arg(long)]
        provider: String,
        /// Entities it covers, comma-separated (victim, suspect, cj_case, …).
        #[arg(long, value_delimiter = ',', required = true)]
        entities: Vec<String>,
        /// case (pseudonymised records) or aggregate (counts only).
        #[arg(long, default_value = "case")]
        level: String,
        /// In force from (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// Until (YYYY-MM-DD; open-ended if absent).
        #[arg(long)]
        to: Option<String>,
        /// Signed on (YYYY-MM-DD).
        #[arg(long)]
        signed: Option<String>,
        /// Who signed it.
        #[arg(long)]
        signatories: Option<String>,
        /// The signed document (e.g. mou.pdf), kept with its SHA-256.
        #[arg(long)]
        document: Option<PathBuf>,
    },
    /// List agreements (of one provider, or all).
    List {
        #[arg(long)]
        provider: Option<String>,
    },
    /// End an agreement before its term.
    End {
        /// The agreement's number (see tessera agreement list).
        #[arg(long)]
        id: i64,
        /// From this day (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
}

/// An entity of the dictionary, or a refusal naming the closest (the web's check too).
fn entity_of(dict: &Dictionary, e: &str) -> Result<String> {
    Ok(dict.entity_id(e)?.to_string())
}

pub async fn run(g: &Global, what: AgreementCommand) -> Result<()> {
    let db = g.db();
    match what {
        AgreementCommand::Add {
            provider,
            entities,
            level,
            from,
            to,
            signed,
            signatories,
            document,
        } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let a = Agreement {
                id: 0,
                provider_id: ProviderId::parse(&provider)?,
                entities: entities
                    .iter()
                    .map(|e| entity_of(&dict, e))
                    .collect::<Result<_>>()?,
                level,
                valid_from: parse_day("--from", &from)?,
                valid_to: to.map(|d| parse_day("--to", &d)).transpose()?,
                signed_on: signed.map(|d| parse_day("--signed", &d)).transpose()?,
                signatories,
                document_sha256: None,
                ended_on: None,
            };
            let bytes = document
                .as_ref()
                .map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display())))
                .transpose()?;
            let id = store
                .add_agreement_with_document(&a, bytes.as_deref())
                .await?;
            store
                .audit(
                    "cli",
                    actions::AGREEMENT_ADD,
                    &provider,
                    &format!("{{\"agreement\":{id}}}"),
                )
                .await?;
            eprintln!(
                "Agreement {id} of {provider}: {} at {} level from {from}.",
                a.entities.join(", "),
                a.level
            );
        }
        AgreementCommand::List { provider } => {
            let store = open_store(&db).await?;
            let providers = match provider {
                Some(p) => vec![ProviderId::parse(&p)?],
                None => store.providers().await?.into_iter().map(|p| p.id).collect(),
            };
            println!("id\tprovider\tentities\tlevel\tfrom\tto\tstatus\tdocument");
            let day = today();
            for pid in providers {
                for a in store.agreements(&pid).await? {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        a.id,
                        pid,
                        a.entities.join(","),
                        a.level,
                        a.valid_from,
                        a.valid_to
                            .map(|d| d.to_string())
                            .unwrap_or_else(|| "-".into()),
                        if a.in_force(day) {
                            "in force"
                        } else {
                            "not in force"
                        },
                        a.document_sha256.as_deref().unwrap_or("-")
                    );
                }
            }
        }
        AgreementCommand::End { id, on } => {
            let store = open_store(&db).await?;
            let on = on
                .map(|d| parse_day("--on", &d))
                .transpose()?
                .unwrap_or_else(today);
            store.end_agreement(id, on).await?;
            store
                .audit("cli", actions::AGREEMENT_END, &id.to_string(), "{}")
                .await?;
            eprintln!("Agreement {id} ends on {on}.");
        }
    }
    Ok(())
}
