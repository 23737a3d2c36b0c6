//! The harmonised data dictionary of Tessera and the domain types that stand on it.
//!
//! The dictionary is *data*: TOML files under `dictionary/base/` embedded in the binary, plus an
//! optional deployment extension file (national regions, national forms of exploitation, national
//! variables) read at run time. [`Dictionary::base`] loads the embedded files;
//! [`Dictionary::with_extension`] adds a deployment's file. Loading checks everything a later
//! stage relies on — unique codes, known code lists, labels in the required languages, and that
//! every extension code maps to an international code — and refuses a bad file with a
//! [`DictionaryError`] naming the file, the line and the variable or code.
//!
//! This crate does no I/O beyond reading the extension file it is given, and knows nothing of
//! intake, storage or the web.

mod error;
pub mod handbook;
mod load;
mod model;
mod types;

pub use error::{DictionaryError, Problem};
pub use model::{
    Code, CodeList, Dictionary, Entity, EntityKind, ExtensionInfo, IdentifierKind, Labels, Rule,
    VarType, Variable, levenshtein,
};
pub use types::{AgeBand, CountryCode, Lang, ProviderId, ProviderType, Role, TypeError, Year};
