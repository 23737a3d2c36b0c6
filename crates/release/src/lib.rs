//! Releases for partners and researchers, from approved data on unique persons, with their
//! privacy cost counted against a budget per deployment.
//!
//! * [`dp`] — differentially private tables (by default victims by year × sex × age group ×
//!   form of exploitation): discrete Laplace noise on every cell of the full table, then
//!   post-processing that keeps counts whole, non-negative and every margin the sum of its cells.
//! * [`synthetic`] — synthetic microdata: one row per synthetic person over the dictionary's
//!   releasable variables, from noisy two-way marginals by iterative proportional fitting, with
//!   its utility against the real data and a check that no real person's rare combination is
//!   reproduced.
//! * [`budget`] — the deployment's privacy budget (ε): each release spends from it, and one that
//!   would go past it is refused before any noise is drawn.
//! * [`microdata`] — one row per unique person (records linked by `tessera-analysis`).
//! * [`noise`] — the discrete Laplace mechanism, sampled exactly.
//!
//! **Why not OpenDP.** OpenDP 0.16 builds here (`default-features = false, features =
//! ["contrib"]`: 48 s cold, debug) and its samplers are the same Canonne–Kamath–Steinke
//! algorithms, but its randomness cannot be seeded: it draws from OpenSSL or, without it, from
//! `rand` 0.7's thread generator, by design. A release here must be reproducible from a seed (to
//! re-issue a file, to test that post-processing holds on the same noise), and OpenDP would also
//! bring a second `rand`, `statrs` and `nalgebra` into the build. The mechanism needed is one
//! sampler of integers (about 60 lines, `noise.rs`), written from the paper, exact (no floating
//! point), and tested against its distribution; the rest — what a person contributes, the
//! budget, post-processing — is ours either way.
//!
//! Pure ε-differential privacy throughout (δ = 0): the discrete Laplace mechanism, and
//! sequential composition (ε's add up) across releases against the budget.
//!
//! Depends on dictionary, store and analysis; the CLI (`tessera release`) sits on top.

pub mod budget;
pub mod dp;
pub mod microdata;
pub mod noise;
pub mod run;
pub mod synthetic;

pub use budget::{Budget, budget, set_budget, spend};
pub use microdata::{PersonTable, Selection, releasable, victim_persons};
pub use noise::{Epsilon, Scale};
pub use run::{Request, release_synthetic, release_tables, set_budget_audited};

use tessera_analysis::AnalysisError;
use tessera_store::StoreError;

/// Why a release was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    #[error("{0}")]
    Epsilon(String),
    #[error("{0}")]
    Spec(String),
    #[error("{0}")]
    Budget(String),
    #[error(
        "no privacy budget is set for this deployment: an administrator sets one first (tessera release budget --set EPSILON)"
    )]
    NoBudget,
    #[error(
        "this release would spend ε = {asked}, but only {left} of the deployment's budget of {total} is left: nothing was released"
    )]
    OverBudget {
        asked: Epsilon,
        left: Epsilon,
        total: Epsilon,
    },
}

impl ReleaseError {
    /// The refusal in `lang` (`fr`, else English) where it is the release's own.
    pub fn text(&self, lang: &str) -> String {
        match (self, lang) {
            (ReleaseError::NoBudget, "fr") => "aucun budget de confidentialité n'est fixé pour ce déploiement : un administrateur en fixe un d'abord (tessera release budget --set EPSILON)".into(),
            (ReleaseError::OverBudget { asked, left, total }, "fr") => format!(
                "cette diffusion dépenserait ε = {asked}, mais il ne reste que {left} du budget de {total} du déploiement : rien n'a été diffusé"
            ),
            _ => self.to_string(),
        }
    }
}

/// The seeded or unseeded generator of a release's noise: ChaCha20, from `seed` when given
/// (reproducible), else from the operating system.
pub fn generator(seed: Option<u64>) -> rand_chacha::ChaCha20Rng {
    use rand::SeedableRng;
    match seed {
        Some(s) => rand_chacha::ChaCha20Rng::seed_from_u64(s),
        None => rand_chacha::ChaCha20Rng::from_os_rng(),
    }
}
