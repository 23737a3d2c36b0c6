//! `tessera user`: user accounts and API tokens (the administrator's web page does the same).

use anyhow::{Result, bail};
use clap::Subcommand;
use tessera_dictionary::{ProviderId, Role};
use tessera_store::actions;

use crate::common::{Global, open_store};

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// admin, coordinator, analyst, focal_point, viewer or partner.
        #[arg(long)]
        role: String,
        /// The provider of a focal point or viewer.
        #[arg(long)]
        provider: Option<String>,
        #[arg(long, default_value = "en")]
        locale: String,
        /// At least 12 characters (better given through the environment).
        #[arg(long, env = "TESSERA_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// List users.
    List,
    /// Issue an API token acting as a user (printed once; only its hash is kept).
    Token {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "api")]
        label: String,
    },
}

pub async fn run(g: &Global, what: UserCommand) -> Result<()> {
    let db = g.db();
    match what {
        UserCommand::Add {
            username,
            name,
            role,
            provider,
            locale,
            password,
        } => {
            let store = open_store(&db).await?;
            let role = Role::parse(&role)?;
            let provider = provider.as_deref().map(ProviderId::parse).transpose()?;
            let u = store
                .create_user(
                    &username,
                    &name,
                    &password,
                    role,
                    provider.as_ref(),
                    &locale,
                )
                .await?;
            store
                .audit(
                    "cli",
                    actions::USER_CREATE,
                    &u.username,
                    &format!("{{\"role\":\"{}\"}}", role.as_str()),
                )
                .await?;
            eprintln!("Created {} ({}).", u.username, role.as_str());
        }
        UserCommand::List => {
            let store = open_store(&db).await?;
            for u in store.users().await? {
                println!(
                    "{:<40} {:<12} {:<28} {}{}",
                    u.username,
                    u.role.as_str(),
                    u.provider_id.as_ref().map(|p| p.as_str()).unwrap_or("-"),
                    if u.disabled { "disabled" } else { "active" },
                    if u.totp_enabled { ", 2FA" } else { "" }
                );
            }
        }
        UserCommand::Token { username, label } => {
            let store = open_store(&db).await?;
            let Some(u) = store.user(&username).await? else {
                bail!("there is no user \"{username}\"");
            };
            let token = store.create_api_token(u.id, &label).await?;
            store
                .audit(
                    "cli",
                    actions::USER_ISSUE_TOKEN,
                    &u.username,
                    &format!("{{\"label\":\"{label}\"}}"),
                )
                .await?;
            println!("{token}");
        }
    }
    Ok(())
}
