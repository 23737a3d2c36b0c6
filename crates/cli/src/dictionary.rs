//! `tessera dictionary`: print or validate the data dictionary and a deployment extension.

use std::path::PathBuf;

use anyhow::Result;
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
}

pub fn run(args: DictionaryArgs) -> Result<()> {
    let DictionaryArgs {
        base,
        extension,
        json,
    } = args;
    let mut dict = match base {
        Some(dir) => Dictionary::load_dir(&dir)?,
        None => Dictionary::base()?,
    };
    if let Some(ext) = extension {
        dict = dict.with_extension(&ext)?;
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
