/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database at {location}: {message}")]
    Connect { location: String, message: String },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} ({name}) failed: {message}")]
    Migration {
        version: i64,
        name: String,
        message: String,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("conflict: {0}")]
    Conflict(String),
    /// The signed checkpoint of the audit log's head could not be written (the entry itself was).
    #[error("cannot write the audit checkpoint {path}: {message}")]
    AuditCheckpoint { path: String, message: String },
    #[error(transparent)]
    Intake(#[from] tessera_intake::IntakeError),
    /// An export could not be written to its destination.
    #[error("cannot write {what}: {message}")]
    Write { what: String, message: String },
}
