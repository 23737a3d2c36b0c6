//! `tessera dictionary`: print or validate the data dictionary and a deployment extension, or
//! write the handbook of harmonised definitions generated from it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use tessera_dictionary::Dictionary;

#[derive(clap::Args)]
pub struct DictionaryArgs {
    /// Validate this folder instead of the embedded base dictionary.
    #[arg(long)]
    base: Option<PathBuf>,
    /// Deployment extension file to validate and apply.
    #[arg(long)]
    extension: Option<PathBuf>,
    /// Print the whole dictionary as JSON.
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    what: Option<DictionaryCommand>,
}

#[derive(clap::Subcommand)]
pub enum DictionaryCommand {
    /// Write the handbook of harmonised definitions (Markdown) in the language of --lang: every
    /// entity, variable and code with its definition, its international mappings (GLOTIP,
    /// Eurostat, HTCDS, ICCS) and the counting rules. The web application serves the same under
    /// /help/handbook.
    Handbook {
        /// Where to write it (default: the standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(g: &crate::common::Global, args: DictionaryArgs) -> Result<()> {
    let DictionaryArgs {
        base,
        extension,
        json,
        what,
    } = args;
    let mut dict = match base {
        Some(dir) => Dictionary::load_dir(&dir)?,
        None => Dictionary::base()?,
    };
    if let Some(ext) = extension {
        dict = dict.with_extension(&ext)?;
    }
    if let Some(DictionaryCommand::Handbook { out }) = what {
        let text = tessera_dictionary::handbook::markdown(&dict, &g.lang()?);
        match out {
            Some(path) => {
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                eprintln!("Handbook written to {}.", path.display());
            }
            None => print!("{text}"),
        }
        return Ok(());
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&dict)?);
    } else {
        println!("Dictionary {} version {}", dict.id, dict.full_version());
        for e in dict.entities.values() {
            println!(
                "  entity {:<20} {:>3} variables  {}",
                e.id,
                e.variables.len(),
                e.label.get("en")
            );
        }
        for l in dict.codelists.values() {
            let national = l.codes.iter().filter(|c| c.national).count();
            println!(
                "  code list {:<22} {:>4} codes{}  {}",
                l.id,
                l.codes.len(),
                if national > 0 {
                    format!(" ({national} national)")
                } else {
                    String::new()
                },
                l.standard
            );
        }
        println!("OK: the dictionary is valid.");
    }
    Ok(())
}
