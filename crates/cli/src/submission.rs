//! `tessera submission`: reporting periods and submissions, with timeliness, and the review
//! workflow (submit, approve, return).
//!
//! The CLI is run by the system operator on the server. For the workflow it acts as
//! [`Actor::Operator`], named in the history and the audit log by `--actor` (default `cli`): it
//! submits in place of the provider's focal point and approves or returns in place of the
//! coordinator, under the store's rule for everything else (`tessera_store::workflow`): only a
//! draft or returned submission is submitted, only a submitted one approved or returned, a return
//! needs a comment, an approved submission is locked. The refusals are the web's sentences.

use anyhow::Result;
use clap::Subcommand;
use tessera_store::{Actor, SubmissionAction as Decision};

use crate::common::{Global, open_store};

#[derive(clap::Args)]
pub struct SubmissionArgs {
    #[command(subcommand)]
    action: SubmissionAction,
}

#[derive(Subcommand)]
pub enum SubmissionAction {
    /// Every period and the providers it expects: status of the latest submission, days late,
    /// or days overdue when nothing was submitted after the due date.
    List,
    /// Send a draft or returned submission for review (in place of the provider's focal point).
    Submit {
        id: i64,
        /// Name written in the submission's history and the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Approve a submitted submission, which is then locked (in place of the coordinator).
    Approve {
        id: i64,
        /// Name written in the submission's history and the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Return a submitted submission to its provider, saying what to fix (in place of the
    /// coordinator).
    Return {
        id: i64,
        /// What the focal point has to fix (required, not blank).
        #[arg(long)]
        comment: String,
        /// Name written in the submission's history and the audit log.
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

pub async fn run(g: &Global, args: SubmissionArgs) -> Result<()> {
    let db = g.db();
    let SubmissionArgs { action } = args;
    let store = open_store(&db).await?;
    let (id, action, actor) = match action {
        SubmissionAction::List => {
            println!(
                "{:<24} {:<8} {:<10} {:<11} {:>9} {:>12}",
                "provider", "period", "status", "due", "days late", "days overdue"
            );
            for t in store.timeliness().await? {
                let days = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or("-".into());
                println!(
                    "{:<24} {:<8} {:<10} {:<11} {:>9} {:>12}",
                    t.provider_id,
                    t.period_id,
                    t.status.map(|s| s.as_str()).unwrap_or("missing"),
                    t.due_on.to_string(),
                    days(t.days_late),
                    days(t.days_overdue)
                );
            }
            return Ok(());
        }
        SubmissionAction::Submit { id, actor } => (id, Decision::Submit, actor),
        SubmissionAction::Approve { id, actor } => (id, Decision::Approve, actor),
        SubmissionAction::Return { id, comment, actor } => {
            (id, Decision::Return { comment }, actor)
        }
    };
    // The operator stands in for the focal point (submit) and the coordinator (approve, return);
    // the store's rule decides the rest, as for the web.
    let s = store
        .decide_submission(&Actor::Operator(&actor), id, &action)
        .await?;
    eprintln!("Submission {id} is now {}.", s.status.as_str());
    Ok(())
}
