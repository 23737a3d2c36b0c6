//! A provider file into the store, all or nothing: the file is read and validated on a blocking
//! thread and streamed in chunks into one transaction, which commits only if the whole file was
//! clean. Memory stays flat whatever the file's size.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use tessera_dictionary::{Dictionary, ProviderId};
use tessera_intake::{
    EncodedRecord, ImportOptions, ImportSummary, IntakeError, Limits, Report, Table,
    validate_stream_encoded, validate_table_encoded,
};
use tessera_pseudonym::Encoder;

use crate::{InsertOutcome, PreparedRecord, Store, StoreError};

/// Where the file comes from.
pub enum ImportSource {
    Path(PathBuf),
    Bytes(Vec<u8>),
    /// Rows already split into cells (the records of a JSON request), numbered as their
    /// records are.
    Table(Table<'static>),
}

/// What to import and how.
pub struct ImportRequest {
    pub provider: ProviderId,
    pub entity: String,
    pub submission_id: Option<i64>,
    pub options: ImportOptions,
    pub limits: Limits,
    /// Language of the report.
    pub lang: String,
    /// The file's name, for messages.
    pub name: String,
}

/// The result of an import.
#[derive(Debug)]
pub enum ImportResult {
    Stored {
        rows: usize,
        outcome: InsertOutcome,
        /// What reading found and repaired: the encoding assumed, the repaired cells (see
        /// [`ImportSummary::render`]), for the import report.
        summary: ImportSummary,
    },
    /// Nothing was stored; the report says why, cell by cell.
    Refused(Report),
}

impl Store {
    /// Refuses records from a retired provider, or of an entity the provider's type does not
    /// report (the `[templates]` table of the dictionary): a police unit sends no smuggling
    /// incidents, an NGO no criminal-justice cases, whichever path — CLI, upload, form or API —
    /// the records take.
    pub async fn check_reports(
        &self,
        dict: &Dictionary,
        provider: &ProviderId,
        entity: &str,
    ) -> Result<(), StoreError> {
        let p = self
            .provider(provider)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("provider \"{provider}\"")))?;
        let today = time::OffsetDateTime::now_utc().date();
        if let Some(retired) = p.profile.retired_on
            && retired <= today
        {
            return Err(StoreError::Forbidden(format!(
                "provider \"{provider}\" was retired on {retired}: it sends nothing new"
            )));
        }
        let ptype = p.provider_type.as_str();
        match dict.templates.get(ptype) {
            Some(entities) if entities.iter().any(|e| e == entity) => Ok(()),
            Some(entities) => Err(StoreError::Forbidden(format!(
                "providers of type {ptype} do not report {entity}; their templates hold {}",
                entities.join(", ")
            ))),
            None => Err(StoreError::Forbidden(format!(
                "the dictionary names no templates for providers of type {ptype}, so they cannot send {entity}"
            ))),
        }
    }

    /// Imports a file. A file-level problem (unreadable, too large, wrong template) is an
    /// `Err(StoreError::Intake(..))`; cell-level problems are an `Ok(ImportResult::Refused(..))`.
    pub async fn import_file(
        &self,
        dict: Arc<Dictionary>,
        encoder: Arc<dyn Encoder>,
        req: ImportRequest,
        source: ImportSource,
    ) -> Result<ImportResult, StoreError> {
        self.check_reports(&dict, &req.provider, &req.entity)
            .await?;
        self.check_agreement(
            &req.provider,
            &req.entity,
            time::OffsetDateTime::now_utc().date(),
        )
        .await?;
        if let ImportSource::Path(p) = &source
            && let Ok(meta) = std::fs::metadata(p)
            && meta.len() > req.limits.max_bytes
        {
            return Err(StoreError::Intake(IntakeError::Unreadable {
                file: req.name.clone(),
                message: format!(
                    "the file is {} MB, more than the {} MB accepted; split it into several files",
                    meta.len() / 1024 / 1024,
                    req.limits.max_bytes / 1024 / 1024
                ),
            }));
        }
        let (tx, raw_rx) = std::sync::mpsc::sync_channel::<Vec<EncodedRecord>>(2);
        let (prep_tx, mut rx) = tokio::sync::mpsc::channel::<Vec<PreparedRecord>>(2);
        let version = dict.full_version();
        let entity_id = req.entity.clone();
        let (name, lang, limits, options) = (
            req.name.clone(),
            req.lang.clone(),
            req.limits,
            req.options.clone(),
        );
        let reader = tokio::task::spawn_blocking(move || -> Result<ImportSummary, IntakeError> {
            let input: Box<dyn Read + Send> = match source {
                ImportSource::Table(table) => {
                    return validate_table_encoded(
                        &dict,
                        &entity_id,
                        encoder.as_ref(),
                        table,
                        &lang,
                        &options,
                        &mut |chunk| tx.send(chunk).is_ok(),
                    );
                }
                ImportSource::Path(p) => {
                    Box::new(
                        std::fs::File::open(&p).map_err(|e| IntakeError::Unreadable {
                            file: p.display().to_string(),
                            message: e.to_string(),
                        })?,
                    )
                }
                ImportSource::Bytes(b) => Box::new(std::io::Cursor::new(b)),
            };
            let summary = validate_stream_encoded(
                &dict,
                &entity_id,
                encoder.as_ref(),
                input,
                &name,
                limits,
                &lang,
                &options,
                &mut |chunk| tx.send(chunk).is_ok(),
            )?;
            Ok(summary)
        });
        // Second stage: the pseudonyms' bytes on their own thread, so the database connection is
        // never kept waiting. (Intake already wrote each record's JSON.)
        let preparer = tokio::task::spawn_blocking(move || {
            for chunk in raw_rx {
                let prepared: Vec<PreparedRecord> = chunk
                    .into_iter()
                    .map(PreparedRecord::from_encoded)
                    .collect();
                if prep_tx.blocking_send(prepared).is_err() {
                    break;
                }
            }
        });
        let mut writer: Option<crate::RecordWriter> = None;
        let mut write_error = None;
        while let Some(chunk) = rx.recv().await {
            if writer.is_none() {
                match self
                    .record_writer(&req.provider, &req.entity, &version, req.submission_id)
                    .await
                {
                    Ok(mut w) => {
                        // Intake refuses a file that repeats a reference before any repeat is
                        // handed on, so the writer need not track references itself.
                        w.assume_unique_refs();
                        writer = Some(w);
                    }
                    Err(e) => {
                        write_error = Some(e);
                        break;
                    }
                }
            }
            if let Some(w) = writer.as_mut()
                && let Err(e) = w.write_prepared(chunk).await
            {
                write_error = Some(e);
                break;
            }
        }
        drop(rx);
        let _ = preparer.await;
        let read = reader
            .await
            .map_err(|e| StoreError::Invalid(format!("the import stopped: {e}")))?;
        if let Some(e) = write_error {
            if let Some(w) = writer {
                w.rollback().await?;
            }
            return Err(e);
        }
        match read {
            Ok(summary) => {
                let outcome = match writer {
                    Some(w) => w.commit().await?,
                    None => InsertOutcome::default(),
                };
                Ok(ImportResult::Stored {
                    rows: summary.rows,
                    outcome,
                    summary,
                })
            }
            Err(e) => {
                if let Some(w) = writer {
                    w.rollback().await?;
                }
                match e {
                    IntakeError::Invalid(report) => Ok(ImportResult::Refused(report)),
                    other => Err(StoreError::Intake(other)),
                }
            }
        }
    }
}
