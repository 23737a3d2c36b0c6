//! Migrations, embedded per dialect and applied in order, each in its own transaction. Our own
//! runner (30 lines) rather than sqlx's: it needs no build-time macro and reports which file failed.

use crate::{BeginWrite, Store, StoreError, on_pool};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sqlite: include_str!("../migrations/sqlite/0001_init.sql"),
        postgres: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "sessions",
        sqlite: include_str!("../migrations/sqlite/0002_sessions.sql"),
        postgres: include_str!("../migrations/postgres/0002_sessions.sql"),
    },
    Migration {
        version: 3,
        name: "link_decisions",
        sqlite: include_str!("../migrations/sqlite/0003_link_decisions.sql"),
        postgres: include_str!("../migrations/postgres/0003_link_decisions.sql"),
    },
    Migration {
        version: 4,
        name: "audit_keyed",
        sqlite: include_str!("../migrations/sqlite/0004_audit_keyed.sql"),
        postgres: include_str!("../migrations/postgres/0004_audit_keyed.sql"),
    },
    Migration {
        version: 5,
        name: "totp_step",
        sqlite: include_str!("../migrations/sqlite/0005_totp_step.sql"),
        postgres: include_str!("../migrations/postgres/0005_totp_step.sql"),
    },
    Migration {
        version: 6,
        name: "registry",
        sqlite: include_str!("../migrations/sqlite/0006_registry.sql"),
        postgres: include_str!("../migrations/postgres/0006_registry.sql"),
    },
    Migration {
        version: 7,
        name: "nap_values",
        sqlite: include_str!("../migrations/sqlite/0007_nap_values.sql"),
        postgres: include_str!("../migrations/postgres/0007_nap_values.sql"),
    },
    Migration {
        version: 8,
        name: "work",
        sqlite: include_str!("../migrations/sqlite/0008_work.sql"),
        postgres: include_str!("../migrations/postgres/0008_work.sql"),
    },
    Migration {
        version: 9,
        name: "fact_changes",
        sqlite: include_str!("../migrations/sqlite/0009_fact_changes.sql"),
        postgres: include_str!("../migrations/postgres/0009_fact_changes.sql"),
    },
];

/// The schema migrations this build knows, in order.
pub(crate) fn versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|m| m.version).collect()
}

/// Tessera's own tables: every `CREATE TABLE` of the migrations (a backup copies these and no
/// other table a shared schema may hold).
pub(crate) fn tables() -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for m in MIGRATIONS {
        for line in m.sqlite.lines() {
            let upper = line.trim_start().to_ascii_uppercase();
            let Some(rest) = upper.strip_prefix("CREATE TABLE ") else {
                continue;
            };
            let rest = rest.strip_prefix("IF NOT EXISTS ").unwrap_or(rest);
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name.to_ascii_lowercase());
            }
        }
    }
    out
}

impl Store {
    pub(crate) async fn migrate(&self) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)").execute(pool).await?;
            let done: Vec<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations")
                .fetch_all(pool)
                .await?;
            for m in MIGRATIONS
                .iter()
                .filter(|m| !done.iter().any(|d| d.0 == m.version))
            {
                let sql = if self.engine_name() == "sqlite" {
                    m.sqlite
                } else {
                    m.postgres
                };
                let mut tx = pool.begin_write().await?;
                sqlx::raw_sql(sql)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| StoreError::Migration {
                        version: m.version,
                        name: m.name.into(),
                        message: e.to_string(),
                    })?;
                sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
                    .bind(m.version)
                    .bind(m.name)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_migrations_name_tesseras_own_tables() {
        let t = super::tables();
        for name in [
            "providers",
            "records",
            "record_history",
            "audit_log",
            "sessions",
            "settings",
        ] {
            assert!(t.contains(name), "{name}: {t:?}");
        }
    }

    #[test]
    fn both_dialects_have_the_same_migrations() {
        let names = |d: &str| {
            let mut v: Vec<String> = std::fs::read_dir(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("migrations")
                    .join(d),
            )
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
            v.sort();
            v
        };
        assert_eq!(names("sqlite"), names("postgres"));
        assert_eq!(names("sqlite").len(), super::MIGRATIONS.len());
    }
}
