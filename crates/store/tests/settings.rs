//! Settings written by several writers at once (the annual report's edited sentences, the action
//! plan): created only when absent, replaced only while unchanged, on SQLite and PostgreSQL.

mod common;

use common::engines;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setting_is_created_once_and_then_only_replaced_while_unchanged() {
    for e in engines().await {
        let s = &e.store;
        let key = "report_edits:2024:fr";
        assert_eq!(s.setting(key).await.unwrap(), None, "{}", e.name);
        assert!(
            s.insert_setting(key, "{\"a\":1}").await.unwrap(),
            "{}",
            e.name
        );
        // A second creation finds it and leaves it as it is.
        assert!(
            !s.insert_setting(key, "{\"b\":2}").await.unwrap(),
            "{}",
            e.name
        );
        assert_eq!(
            s.setting(key).await.unwrap().as_deref(),
            Some("{\"a\":1}"),
            "{}",
            e.name
        );
        assert!(
            s.replace_setting(key, "{\"a\":1}", "{\"c\":3}")
                .await
                .unwrap()
        );
        assert!(
            !s.replace_setting(key, "{\"a\":1}", "{\"d\":4}")
                .await
                .unwrap()
        );
        assert_eq!(s.setting(key).await.unwrap().as_deref(), Some("{\"c\":3}"));
        // Other keys are untouched.
        assert_eq!(s.setting("report_edits:2024:en").await.unwrap(), None);

        // Eight writers racing to create the same setting: exactly one wins, and its value is
        // the one kept.
        let key = "report_edits:2023:en";
        let mut tasks = Vec::new();
        for i in 0..8 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                let value = format!("writer {i}");
                (s.insert_setting(key, &value).await.unwrap(), value)
            }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (won, value) = t.await.unwrap();
            if won {
                winners.push(value);
            }
        }
        assert_eq!(winners.len(), 1, "{}: {winners:?}", e.name);
        assert_eq!(
            s.setting(key).await.unwrap().as_deref(),
            Some(winners[0].as_str()),
            "{}",
            e.name
        );
    }
}
