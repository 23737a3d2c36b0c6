//! `tessera link`: link CSV files of person records (or deduplicate one) with a throw-away
//! secret, or the pseudonyms stored in a database, without storing anything.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use indicatif::ProgressBar;
use tessera_pseudonym::{KeyedEncoder, Secret};
use tessera_store::actions;

use crate::common::{DbArgs, Global, open_store};

#[derive(clap::Args)]
pub struct LinkArgs {
    /// Input CSV file; repeat for several lists. Without it, the person records stored in the
    /// database (`--db`) are linked instead, from their pseudonyms only; the output then names
    /// records as provider,entity,provider_ref.
    #[arg(long = "input")]
    inputs: Vec<PathBuf>,
    /// Entity to link in the database [default: victim].
    #[arg(long)]
    entity: Option<String>,
    /// Where to write `record_id,person_id`.
    #[arg(long)]
    out: PathBuf,
    /// Also write the scored pairs (probability ≥ 0.05) with each field's weight.
    #[arg(long)]
    pairs: Option<PathBuf>,
    /// Also write every compared pair (record_id_a,record_id_b), to measure the blocking.
    #[arg(long)]
    candidates: Option<PathBuf>,
    /// Column names that differ: `--map given_name=first_name` (repeatable).
    #[arg(long = "map")]
    maps: Vec<String>,
    /// link (pairs across lists only) or dedupe (all pairs); default: link for several
    /// inputs, dedupe for one.
    #[arg(long)]
    mode: Option<String>,
    /// Match probability from which records are linked (see the linkage section of the
    /// manual: the engine's probabilities are conservative).
    #[arg(long, default_value_t = tessera_linkage::DEFAULT_THRESHOLD)]
    threshold: f64,
}

impl LinkArgs {
    /// Whether the database is linked (no `--input`) rather than files.
    pub fn reads_database(&self) -> bool {
        self.inputs.is_empty()
    }
}

/// The stored pseudonyms without `--input`, else the files.
pub async fn run(g: &Global, args: LinkArgs) -> Result<()> {
    let LinkArgs {
        inputs,
        entity,
        out,
        pairs,
        candidates,
        maps,
        mode,
        threshold,
    } = args;
    let outputs = LinkOutputs {
        pairs: pairs.as_deref(),
        candidates: candidates.as_deref(),
    };
    if inputs.is_empty() {
        if g.db.is_none() {
            bail!("give the files to link (--input, repeated), or --db to link the stored records");
        }
        if let Some(m) = maps.first() {
            bail!(
                "--map {m} does not apply to the database: its records have no columns to rename"
            );
        }
        let entity = entity.unwrap_or_else(|| "victim".to_string());
        return link_store(&g.db(), &entity, &out, outputs, mode.as_deref(), threshold).await;
    }
    if let Some(e) = entity {
        bail!("--entity {e} applies to the database only; a file's records are linked as they are");
    }
    link_files(&inputs, &out, outputs, &maps, mode.as_deref(), threshold)
}

/// The `--mode` of `tessera link`, or `default` when none was given.
fn link_mode(mode: Option<&str>, default: tessera_linkage::Mode) -> Result<tessera_linkage::Mode> {
    Ok(match mode {
        Some("link") => tessera_linkage::Mode::Link,
        Some("dedupe") => tessera_linkage::Mode::Dedupe,
        Some(other) => bail!("unknown mode \"{other}\" (use link or dedupe)"),
        None => default,
    })
}

/// `tessera link --db`: the stored pseudonyms of one entity, linked across and within providers
/// under the reviewers' verdicts, by the code path the dashboards count persons with
/// (`tessera_analysis::link_entity`).
async fn link_store(
    db: &DbArgs,
    entity: &str,
    out: &Path,
    outputs: LinkOutputs<'_>,
    mode: Option<&str>,
    threshold: f64,
) -> Result<()> {
    use tessera_linkage::{Config, Mode};
    let store = open_store(db).await?;
    let started = std::time::Instant::now();
    let mode = link_mode(mode, Mode::Dedupe)?;
    let run = tessera_analysis::link_entity(
        &store,
        entity,
        Config {
            mode,
            threshold,
            keep_candidates: outputs.candidates.is_some(),
            ..Config::default()
        },
    )
    .await?;
    let result = &run.linked.result;
    if std::env::var_os("TESSERA_LINK_DEBUG").is_some() {
        eprintln!("{:?}", result.params);
        let mut sizes: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for p in &result.person {
            *sizes.entry(*p).or_default() += 1;
        }
        let mut v: Vec<usize> = sizes.values().copied().collect();
        v.sort_unstable();
        eprintln!("largest persons: {:?}", &v[v.len().saturating_sub(10)..]);
    }
    let ids: Vec<String> = run
        .records
        .iter()
        .map(|r| format!("{}|{entity}|{}", r.provider_id, r.provider_ref))
        .collect();
    write_link_outputs(&outputs, &ids, result)?;
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["provider", "entity", "provider_ref", "person_id"])?;
    for (r, person) in run.records.iter().zip(&result.person) {
        w.write_record([
            r.provider_id.as_str(),
            entity,
            r.provider_ref.as_str(),
            &format!("P{person}"),
        ])?;
    }
    w.flush()?;
    let s = &result.stats;
    store
        .audit(
            "cli",
            actions::LINKAGE_RUN,
            entity,
            &serde_json::json!({
                "records": run.records.len(),
                "persons": s.persons,
                "decisions": run.decisions.len(),
            })
            .to_string(),
        )
        .await?;
    eprintln!(
        "Linked {} {entity} records of {} providers into {} persons in {:.1} s ({} candidate pairs; reviewers' verdicts applied: {}); the model expects {:.0} persons (95% range {:.0}–{:.0}).",
        run.records.len(),
        run.providers,
        s.persons,
        started.elapsed().as_secs_f64(),
        s.candidate_pairs,
        run.decisions.len(),
        s.expected_persons,
        s.persons_range.0,
        s.persons_range.1,
    );
    Ok(())
}

/// Records encoded per chunk when reading files.
const CHUNK: usize = 1 << 16;

/// Optional outputs of `tessera link` beyond the persons.
struct LinkOutputs<'a> {
    pairs: Option<&'a Path>,
    candidates: Option<&'a Path>,
}

/// Writes the scored pairs and the compared pairs of a run, when asked for.
fn write_link_outputs(
    outputs: &LinkOutputs<'_>,
    ids: &[String],
    result: &tessera_linkage::LinkResult,
) -> Result<()> {
    use tessera_linkage::FIELDS;
    if let Some(path) = outputs.candidates {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        w.write_record(["record_id_a", "record_id_b"])?;
        for &(a, b) in &result.candidates {
            w.write_record([ids[a as usize].as_str(), ids[b as usize].as_str()])?;
        }
        w.flush()?;
    }
    if let Some(path) = outputs.pairs {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut header = vec![
            "record_id_a".to_string(),
            "record_id_b".into(),
            "probability".into(),
            "weight".into(),
        ];
        header.extend(FIELDS.iter().map(|(f, _)| format!("{f}_weight")));
        w.write_record(&header)?;
        for p in result.pairs.iter().filter(|p| p.probability >= 0.05) {
            let mut row = vec![
                ids[p.a as usize].clone(),
                ids[p.b as usize].clone(),
                format!("{:.6}", p.probability),
                format!("{:.3}", p.weight),
            ];
            row.extend((0..FIELDS.len()).map(|f| {
                if p.levels[f] < 0 {
                    String::new()
                } else {
                    format!("{:.3}", result.params.field_weight(f, p.levels[f]))
                }
            }));
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(())
}

/// Encodes one row of a file given to `tessera link` (`cols`: the positions of the recognised
/// columns, see `link_files`).
fn encode_link_row(
    encoder: &KeyedEncoder,
    cols: &[Option<usize>; 13],
    source: u16,
    rec: &csv::StringRecord,
) -> tessera_linkage::LinkInput {
    let get = |c: Option<usize>| {
        c.and_then(|i| rec.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    // A street address in one column, or as number and street.
    let address = match get(cols[8]) {
        Some(a) => Some(std::borrow::Cow::Borrowed(a)),
        None => get(cols[10]).map(|street| match get(cols[9]) {
            Some(n) => format!("{n} {street}").into(),
            None => street.into(),
        }),
    };
    let ids_in = tessera_pseudonym::Identifiers {
        given_name: get(cols[0]),
        family_name: get(cols[1]),
        birth_date: get(cols[2]),
        id_number: get(cols[3]),
        phone: get(cols[4]),
        address: address.as_deref(),
        locality: get(cols[11]),
        postcode: get(cols[12]),
        ..Default::default()
    };
    tessera_linkage::LinkInput {
        source,
        pseudonyms: tessera_pseudonym::Encoder::encode(encoder, &ids_in),
        sex: get(cols[5]).map(str::to_string),
        citizenship: get(cols[6]).map(str::to_string),
    }
}

/// `tessera link`: read, encode, link, write.
fn link_files(
    inputs: &[PathBuf],
    out: &Path,
    outputs: LinkOutputs<'_>,
    maps: &[String],
    mode: Option<&str>,
    threshold: f64,
) -> Result<()> {
    use tessera_linkage::{Config, LinkInput, Mode, Prepared, link_prepared};
    let mut rename: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    for m in maps {
        let (ours, theirs) = m
            .split_once('=')
            .with_context(|| format!("--map {m}: write ours=theirs, e.g. given_name=first_name"))?;
        rename.insert(theirs.trim().to_string(), ours.trim().to_string());
    }
    // A mapped column must be in a file: a misspelt one would silently link on less.
    let headers: Vec<(String, Vec<String>)> = inputs
        .iter()
        .map(|path| -> Result<(String, Vec<String>)> {
            let mut rdr = csv::ReaderBuilder::new()
                .flexible(true)
                .from_path(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let names = rdr
                .headers()
                .with_context(|| format!("cannot read the header of {}", path.display()))?
                .iter()
                .map(|h| h.trim().to_string())
                .collect();
            Ok((path.display().to_string(), names))
        })
        .collect::<Result<_>>()?;
    for m in maps {
        let (ours, theirs) = m.split_once('=').unwrap_or((m, ""));
        let theirs = theirs.trim();
        if !headers.iter().any(|(_, h)| h.iter().any(|c| c == theirs)) {
            let columns: Vec<String> = headers
                .iter()
                .map(|(file, h)| format!("{file}: {}", h.join(", ")))
                .collect();
            bail!(
                "--map {}={theirs}: no input has a column \"{theirs}\"; the columns are {}",
                ours.trim(),
                columns.join("; ")
            );
        }
    }
    let mode = link_mode(
        mode,
        if inputs.len() > 1 {
            Mode::Link
        } else {
            Mode::Dedupe
        },
    )?;
    // The secret lives only as long as this command: nothing is stored, so nothing needs it later.
    let encoder = KeyedEncoder::new(&Secret::from_bytes(&rand::random::<[u8; 32]>())?);
    let started = std::time::Instant::now();
    let pb = ProgressBar::new_spinner();
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    let mut ids: Vec<String> = Vec::new();
    // Room for every record up front (rows are at least ~50 bytes): growing a vector of a million
    // records copies it and touches fresh pages again and again. Unused room is never touched.
    let bytes: u64 = inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let mut records = Prepared::with_capacity((bytes / 50).min(50_000_000) as usize);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let mut sources: Vec<String> = Vec::new();
    for path in inputs {
        pb.set_message(format!("reading and encoding {}", path.display()));
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let headers: Vec<String> = rdr
            .headers()?
            .iter()
            .map(|h| {
                rename
                    .get(h.trim())
                    .cloned()
                    .unwrap_or_else(|| h.trim().to_string())
            })
            .collect();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let Some(id_col) = col("record_id") else {
            bail!(
                "{} has no record_id column (map yours with --map record_id=…)",
                path.display()
            );
        };
        let cols = [
            col("given_name"),
            col("family_name"),
            col("birth_date"),
            col("id_number"),
            col("phone"),
            col("sex"),
            col("citizenship"),
            col("provider"),
            col("address"),
            col("street_number"),
            col("street"),
            col("locality"),
            col("postcode"),
        ];
        if cols[..3].iter().all(Option::is_none) {
            bail!(
                "{} has none of given_name, family_name, birth_date: nothing to link on",
                path.display()
            );
        }
        // Rows are read in chunks and encoded on every core (the keyed hashes are most of the
        // cost) while this thread reads the next chunk; only the compact form of each record is
        // kept.
        let mut lines = rdr.records().enumerate();
        let mut read_chunk = |ids: &mut Vec<String>| -> Result<Vec<(u16, csv::StringRecord)>> {
            let mut chunk: Vec<(u16, csv::StringRecord)> = Vec::with_capacity(CHUNK);
            for (line, rec) in lines.by_ref().take(CHUNK) {
                let rec = rec.with_context(|| format!("{} line {}", path.display(), line + 2))?;
                let source_name = cols[7]
                    .and_then(|i| rec.get(i))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .unwrap_or_else(|| path.display().to_string());
                let source = match sources.iter().position(|s| *s == source_name) {
                    Some(i) => i,
                    None => {
                        sources.push(source_name);
                        sources.len() - 1
                    }
                };
                ids.push(rec.get(id_col).unwrap_or_default().to_string());
                chunk.push((source.min(u16::MAX as usize) as u16, rec));
            }
            Ok(chunk)
        };
        let mut next = read_chunk(&mut ids)?;
        while !next.is_empty() {
            let chunk = std::mem::take(&mut next);
            let step = chunk.len().div_ceil(threads);
            let (encoded, read): (Vec<Vec<LinkInput>>, Result<_>) = std::thread::scope(|s| {
                let handles: Vec<_> = chunk
                    .chunks(step)
                    .map(|part| {
                        let encoder = &encoder;
                        let cols = &cols;
                        s.spawn(move || {
                            part.iter()
                                .map(|(source, rec)| encode_link_row(encoder, cols, *source, rec))
                                .collect()
                        })
                    })
                    .collect();
                let read = read_chunk(&mut ids);
                let encoded = handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect();
                (encoded, read)
            });
            next = read?;
            for input in encoded.iter().flatten() {
                records.push(input);
            }
        }
    }
    let encoded_in = started.elapsed().as_secs_f64();
    pb.set_message(format!("linking {} records", records.len()));
    let result = link_prepared(
        records,
        &Config {
            mode,
            threshold,
            keep_candidates: outputs.candidates.is_some(),
            ..Config::default()
        },
    );
    pb.finish_and_clear();
    if std::env::var_os("TESSERA_LINK_DEBUG").is_some() {
        eprintln!("{:?}", result.params);
        eprintln!(
            "read and encode {:.2} s; {:?}",
            encoded_in, result.stats.seconds
        );
    }
    let mut w =
        csv::Writer::from_path(out).with_context(|| format!("cannot write {}", out.display()))?;
    w.write_record(["record_id", "person_id"])?;
    for (i, id) in ids.iter().enumerate() {
        w.write_record([id.as_str(), &format!("P{}", result.person[i])])?;
    }
    w.flush()?;
    write_link_outputs(&outputs, &ids, &result)?;
    let s = &result.stats;
    eprintln!(
        "Linked {} records from {} list(s) into {} persons in {:.1} s: {} candidate pairs compared, {} linked (p ≥ {threshold}), {} oversized blocks skipped.",
        s.records,
        sources.len(),
        s.persons,
        started.elapsed().as_secs_f64(),
        s.candidate_pairs,
        s.linked_pairs,
        s.skipped_blocks
    );
    Ok(())
}
