//! `tessera submission`: reporting periods and submissions, with timeliness, and the review
//! workflow (submit, approve, return).

use anyhow::Result;
use clap::Subcommand;
use tessera_store::SubmissionStatus;

use crate::common::{DbArgs, open_store};

#[derive(clap::Args)]
pub struct SubmissionArgs {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    action: SubmissionAction,
}

#[derive(Subcommand)]
pub enum SubmissionAction {
    /// Every provider and period: status of the latest submission and days late.
    List,
    /// Send a draft or returned submission for review.
    Submit {
        id: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Approve a submitted submission (it is then locked).
    Approve {
        id: i64,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
    /// Return a submitted submission to its provider with a comment.
    Return {
        id: i64,
        #[arg(long)]
        comment: String,
        #[arg(long, default_value = "cli")]
        actor: String,
    },
}

pub async fn run(args: SubmissionArgs) -> Result<()> {
    let SubmissionArgs { db, action } = args;
    let store = open_store(&db).await?;
    let (id, next, actor, comment) = match action {
        SubmissionAction::List => {
            println!(
                "{:<24} {:<8} {:<10} {:<11} {:>9}",
                "provider", "period", "status", "due", "days late"
            );
            for t in store.timeliness().await? {
                println!(
                    "{:<24} {:<8} {:<10} {:<11} {:>9}",
                    t.provider_id,
                    t.period_id,
                    t.status.map(|s| s.as_str()).unwrap_or("missing"),
                    t.due_on.to_string(),
                    t.days_late.map(|d| d.to_string()).unwrap_or("-".into())
                );
            }
            return Ok(());
        }
        SubmissionAction::Submit { id, actor } => (id, SubmissionStatus::Submitted, actor, None),
        SubmissionAction::Approve { id, actor } => (id, SubmissionStatus::Approved, actor, None),
        SubmissionAction::Return { id, comment, actor } => {
            (id, SubmissionStatus::Returned, actor, Some(comment))
        }
    };
    store
        .set_submission_status(id, next, &actor, comment.as_deref())
        .await?;
    let detail = serde_json::json!({ "comment": comment });
    store
        .audit(
            &actor,
            &format!("submission.{}", next.as_str()),
            &format!("submission/{id}"),
            &detail.to_string(),
        )
        .await?;
    eprintln!("Submission {id} is now {}.", next.as_str());
    Ok(())
}
