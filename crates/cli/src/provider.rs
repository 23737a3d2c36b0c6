//! `tessera provider`: the registry of data providers — add, edit, list, retire, and register a
//! whole list from a spreadsheet (all or nothing, checked cell by cell).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType};
use tessera_intake::{IntakeError, Limits, read_provider_list};
use tessera_store::{Provider, ProviderProfile, actions};

use crate::common::{Global, dictionary_of, open_store, parse_day, today};

#[derive(Subcommand)]
pub enum ProviderCommand {
    /// Register a provider.
    Add {
        /// Identifier: 2–63 characters among a–z, 0–9 and -, e.g. police-bangui.
        #[arg(long)]
        id: String,
        /// Its name (the default in every language).
        #[arg(long)]
        name: String,
        /// Its name in another interface language, as LANG=NAME (repeatable), e.g. fr="Police de Bangui".
        #[arg(long = "name-in", value_name = "LANG=NAME")]
        names: Vec<String>,
        /// Provider type from the dictionary (POLICE, NGO, COURT, …).
        #[arg(long = "type")]
        provider_type: String,
        /// Region code from the country's extension.
        #[arg(long)]
        region: Option<String>,
        /// A non-governmental organisation rather than a public institution.
        #[arg(long)]
        ngo: bool,
        /// How to reach its focal point.
        #[arg(long)]
        contact: Option<String>,
    },
    /// Change a registered provider (only the options given change).
    Edit {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long = "name-in", value_name = "LANG=NAME")]
        names: Vec<String>,
        #[arg(long = "type")]
        provider_type: Option<String>,
        #[arg(long)]
        region: Option<String>,
        /// true or false.
        #[arg(long)]
        ngo: Option<bool>,
        #[arg(long)]
        contact: Option<String>,
    },
    /// List the registered providers.
    List {
        /// As JSON.
        #[arg(long)]
        json: bool,
    },
    /// Retire a provider: its records and history stay; it sends nothing new.
    Retire {
        #[arg(long)]
        id: String,
        /// From this day (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Register every provider of a CSV or XLSX list (columns id, name, type, and optionally
    /// region, ngo, contact, name_fr, …): all or nothing, with a report cell by cell.
    Import { file: PathBuf },
}

fn names_of(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|p| match p.split_once('=') {
            Some((lang, name)) if !lang.trim().is_empty() && !name.trim().is_empty() => {
                Ok((lang.trim().to_string(), name.trim().to_string()))
            }
            _ => bail!("--name-in \"{p}\" is not LANG=NAME, e.g. fr=\"Police de Bangui\""),
        })
        .collect()
}

/// A region as the dictionary codes it, or a refusal naming the closest (the web's check too).
fn region_of(dict: &Dictionary, region: &str) -> Result<String> {
    Ok(dict.region_code(region)?.to_string())
}

pub async fn run(g: &Global, what: ProviderCommand) -> Result<()> {
    let db = g.db();
    match what {
        ProviderCommand::Add {
            id,
            name,
            names,
            provider_type,
            region,
            ngo,
            contact,
        } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let p = Provider {
                id: ProviderId::parse(&id)?,
                name,
                provider_type: ProviderType::parse(&dict, &provider_type)?,
                region: region.map(|r| region_of(&dict, &r)).transpose()?,
                profile: ProviderProfile {
                    names: names_of(&names)?,
                    ngo,
                    contact,
                    retired_on: None,
                },
            };
            store.register_provider(&p).await?;
            store
                .audit("cli", actions::PROVIDER_REGISTER, &id, "{}")
                .await?;
            eprintln!("Registered {id} ({}).", p.provider_type.as_str());
        }
        ProviderCommand::Edit {
            id,
            name,
            names,
            provider_type,
            region,
            ngo,
            contact,
        } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let pid = ProviderId::parse(&id)?;
            let Some(mut p) = store.provider(&pid).await? else {
                return Err(store.unknown_provider_error(&id).await.into());
            };
            if let Some(n) = name {
                p.name = n;
            }
            p.profile.names.extend(names_of(&names)?);
            if let Some(t) = provider_type {
                p.provider_type = ProviderType::parse(&dict, &t)?;
            }
            if let Some(r) = region {
                p.region = Some(region_of(&dict, &r)?);
            }
            if let Some(n) = ngo {
                p.profile.ngo = n;
            }
            if let Some(c) = contact {
                p.profile.contact = Some(c);
            }
            store.edit_provider(&p).await?;
            store
                .audit("cli", actions::PROVIDER_EDIT, &id, "{}")
                .await?;
            eprintln!("Changed {id}.");
        }
        ProviderCommand::List { json } => {
            let store = open_store(&db).await?;
            let all = store.providers().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                println!("id\tname\ttype\tregion\tngo\tstatus");
                for p in all {
                    println!(
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        p.id,
                        p.name,
                        p.provider_type.as_str(),
                        p.region.as_deref().unwrap_or("-"),
                        if p.profile.ngo { "yes" } else { "no" },
                        p.profile
                            .retired_on
                            .map(|d| format!("retired {d}"))
                            .unwrap_or_else(|| "active".into())
                    );
                }
            }
        }
        ProviderCommand::Retire { id, on } => {
            let store = open_store(&db).await?;
            let pid = ProviderId::parse(&id)?;
            if store.provider(&pid).await?.is_none() {
                return Err(store.unknown_provider_error(&id).await.into());
            }
            let on = on
                .map(|d| parse_day("--on", &d))
                .transpose()?
                .unwrap_or_else(today);
            store.retire_provider(&pid, on).await?;
            store
                .audit("cli", actions::PROVIDER_RETIRE, &id, "{}")
                .await?;
            eprintln!("Retired {id} from {on}; its records stay.");
        }
        ProviderCommand::Import { file } => {
            let store = open_store(&db).await?;
            let dict = dictionary_of(&store).await?;
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let name = file.display().to_string();
            let list = match read_provider_list(&dict, Box::new(input), &name, Limits::default()) {
                Ok(list) => list,
                Err(IntakeError::Invalid(report)) => {
                    eprint!("{}", report.render("en"));
                    bail!(
                        "{name}: nothing was registered; correct the list and run the command again"
                    );
                }
                Err(e) => return Err(e.into()),
            };
            let providers: Vec<Provider> = list.into_iter().map(Provider::from).collect();
            store.register_providers(&providers).await?;
            store
                .audit(
                    "cli",
                    actions::PROVIDER_IMPORT,
                    &name,
                    &format!("{{\"providers\":{}}}", providers.len()),
                )
                .await?;
            eprintln!("Registered {} providers from {name}.", providers.len());
        }
    }
    Ok(())
}
