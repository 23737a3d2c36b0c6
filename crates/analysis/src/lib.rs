//! The analysis layer of Tessera: the numbers behind the dashboards, data quality, National
//! Action Plan indicators, disclosure control, and charts drawn as SVG — as a library the web
//! layer calls (it writes no HTTP itself).
//!
//! * [`Facts`] — every stored record once, in typed columns (codes as small integers), built
//!   from the store and kept in memory; [`FactsCache`] rebuilds it when the approved data
//!   changes. Aggregates over a million records then take milliseconds.
//! * [`dashboard`] — victims, flows, the criminal-justice funnel and smuggling, under
//!   [`Filters`], for a [`Scope`] (a provider's own data, national, or partners' suppressed
//!   tables), counted as records or as unique persons ([`Unit`], fed by linkage's map).
//! * [`quality`](mod@quality) — completeness, validity, timeliness and linkage share per provider and period.
//! * [`nap`] — National Action Plan indicators from TOML, progress against targets.
//! * [`disclosure`] — the one disclosure control ([`Disclosure`]): small-cell suppression with
//!   complementary suppression checked against recomputation, and optional rounding.
//! * [`overlap`] — the provider-overlap table multiple systems estimation reads, and the
//!   estimate of hidden victims from it ([`hidden_victims`]).
//! * [`svg`] — bar, stacked bar, line, funnel and flow charts, each with its table and CSV.
//!
//! How a web handler uses it (no SQL, no access rule of its own):
//!
//! ```text
//! // once, in the application state
//! let cache = FactsCache::new();
//! // per request
//! let facts = cache.get(&store, &dict).await?;                 // rebuilt only after changes
//! let scope = match Access::for_user(&user) {                   // partners: Scope::partner()
//!     Ok(access) => Scope::Internal(access),
//!     Err(_) if user.role == Role::Partner => Scope::partner(),
//!     Err(e) => return Err(e.into()),
//! };
//! let filters: Filters = /* from the query string */;
//! let v = victims(&facts, &scope, &filters, Unit::Records, lang)?;
//! let chart = svg::bar(&v.by_region, lang);                     // chart.svg, chart.csv()
//! let ids = drill(&facts, "victim", &access, &filters.cell("sex", "F"), 100)?;  // staff only
//! let q = quality(&facts, &access, &store.timeliness().await?, None, lang)?;
//! let nap = nap_progress(&facts, &plan, &Access::National, &store.timeliness().await?, lang)?;
//! ```
//!
//! Access: aggregates run over facts built with national access, and every query takes an
//! [`tessera_store::Access`] (or a [`Scope`]) that it applies to the rows itself; a
//! provider-bound access only ever counts, or drills down to, its own records.

pub mod dashboard;
pub mod disclosure;
pub mod expr;
pub mod facts;
pub mod nap;
pub mod overlap;
pub mod persons;
pub mod quality;
pub mod query;
pub mod review;
pub mod svg;
pub mod table;

use std::sync::{Arc, Mutex};

pub use dashboard::{
    Filters, FlowDashboard, FlowLink, FunnelDashboard, RecordCount, Scope, SmugglingDashboard,
    VictimDashboard, drill, flows, funnel, multi_valued, record_counts, records_by_provider,
    smuggling, victims,
};
pub use disclosure::{
    DEFAULT_THRESHOLD, Disclosure, Margins, deployment_disclosure, deployment_threshold,
    is_protected, suppress, suppress_with_margins,
};
pub use expr::Expr;
pub use facts::{Facts, FactsBuilder};
pub use nap::{NapPlan, NapReport, nap_progress};
pub use overlap::{hidden_victims, overlap_table};
pub use persons::{
    ACROSS_ENTITIES, Across, EntityLinkage, FieldEvidence, LinkModel, Linkage, PERSON_ENTITIES,
    PersonsRange, REVIEW_BAND, ReviewPair, TipSomYear, apply_verdicts, link_across,
    link_and_review, link_entity, link_persons, persons_range, tip_som_overlap,
};
pub use quality::{QualityReport, quality};
pub use query::{Measure, PersonMap, Unit, aggregate};
pub use review::{REVIEW_BANDS, RankedPair, ReviewFilter, rank_review};
pub use svg::Chart;
pub use table::{Drill, Key, Table, TableRow};
pub use tessera_estimate::{HiddenPopulation, OTHER_LISTS, OverlapTable};

use tessera_dictionary::Dictionary;
use tessera_store::{Store, StoreError};

/// Errors of the analysis layer.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unknown {0}")]
    Unknown(String),
    #[error("filter: {0}")]
    Expr(String),
    #[error("National Action Plan configuration: {0}")]
    Config(String),
    /// A change to the National Action Plan refused (a target, a baseline, a figure entered by
    /// hand): one sentence naming the indicator, for a page or a command line.
    #[error("{0}")]
    Plan(String),
    /// No estimate of the hidden population (too few lists, nobody on them).
    #[error(transparent)]
    Estimate(#[from] tessera_estimate::EstimateError),
    /// A question the caller's scope may not ask (a partner's filter, a provider's person count).
    #[error("{0}")]
    NotAllowed(String),
}

/// The current [`Facts`], shared by every request and brought up to date when the data changed
/// (a cheap query per call; after an approval, upload or correction only the records the
/// store's change log names are read again — [`Facts::refreshed`] — so every `serve` process
/// on one database follows the others' changes; a full read only after a deletion or a new
/// dictionary, provider or period).
///
/// One rebuild at a time: while it runs, other requests get the previous facts (stale by one
/// change for those seconds) instead of starting builds of their own; with no previous facts
/// they wait for it.
#[derive(Default)]
pub struct FactsCache {
    current: Mutex<Option<Arc<Facts>>>,
    building: tokio::sync::Mutex<()>,
}

impl FactsCache {
    pub fn new() -> FactsCache {
        FactsCache::default()
    }

    fn cached(&self) -> Option<Arc<Facts>> {
        self.current.lock().map(|g| g.clone()).unwrap_or(None)
    }

    /// The facts, rebuilt first if the store changed since they were built.
    pub async fn get(&self, store: &Store, dict: &Dictionary) -> Result<Arc<Facts>, AnalysisError> {
        let cached = self.cached();
        if let Some(f) = &cached
            && f.is_current(store).await?
        {
            return Ok(f.clone());
        }
        let _guard = match (self.building.try_lock(), cached) {
            (Ok(guard), _) => guard,
            // Someone is rebuilding: serve what we have meanwhile.
            (Err(_), Some(stale)) => return Ok(stale),
            (Err(_), None) => self.building.lock().await,
        };
        // Brought up to date by another request while we waited? Else the changes since the
        // facts were read are applied to them (a rebuild only when they cannot be).
        let fresh = match self.cached() {
            Some(f) => match f.refreshed(store, dict).await? {
                None => return Ok(f),
                Some(fresh) => Arc::new(fresh),
            },
            None => Arc::new(Facts::build(store, dict).await?),
        };
        if let Ok(mut g) = self.current.lock() {
            *g = Some(fresh.clone());
        }
        Ok(fresh)
    }

    /// Forgets the facts (e.g. right after an approval, to rebuild before the next request).
    pub fn invalidate(&self) {
        if let Ok(mut g) = self.current.lock() {
            *g = None;
        }
    }
}
