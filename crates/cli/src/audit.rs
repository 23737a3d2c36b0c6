//! `tessera audit`: verify the audit log's hash chain and signed checkpoint, or list entries.

use anyhow::Result;
use clap::Subcommand;

use crate::common::{Global, open_store};

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Recompute every hash from the first entry (keyed entries with the audit key drawn from the
    /// deployment secret), then compare the head with the signed checkpoint file: an altered,
    /// rehashed or removed entry, entries missing at the end, or a forged checkpoint are reported
    /// in one sentence (exit 2).
    Verify,
    /// Print entries, newest first.
    List {
        #[arg(long)]
        actor: Option<String>,
        #[arg(long)]
        action: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

pub async fn run(g: &Global, what: AuditCommand) -> Result<()> {
    let db = g.db();
    match what {
        AuditCommand::Verify => {
            let store = open_store(&db).await?;
            let verdict = store.verify_audit().await?;
            // One sentence either way, the same the audit page shows.
            println!("{verdict}");
            if !verdict.is_intact() {
                std::process::exit(2);
            }
            match store.audit_checkpoint().filter(|_| store.has_audit_key()) {
                Some(path) if path.exists() => {
                    println!("Its head matches the signed checkpoint {}.", path.display())
                }
                Some(path) => println!(
                    "There is no signed checkpoint yet ({}): the log holds no keyed entry.",
                    path.display()
                ),
                None => println!(
                    "No deployment secret was found and the log is unkeyed: entries removed from its end would go unnoticed."
                ),
            }
        }
        AuditCommand::List {
            actor,
            action,
            limit,
        } => {
            let store = open_store(&db).await?;
            for e in store
                .audit_entries(actor.as_deref(), action.as_deref(), limit)
                .await?
            {
                println!(
                    "{:>6}  {}  {:<20} {:<28} {:<30} {}",
                    e.seq, e.at, e.actor, e.action, e.object, e.detail
                );
            }
        }
    }
    Ok(())
}
