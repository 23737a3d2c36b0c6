//! The submission workflow's rule (`tessera_store::workflow`), on both engines: who may submit,
//! approve and return, from which status, with what; each refusal one sentence; each step in the
//! submission's history and the audit log under one name.

mod common;

use common::engines;
use tessera_dictionary::{Dictionary, ProviderId, ProviderType, Role};
use tessera_store::workflow::{RETURN_NEEDS_COMMENT, check_decision};
use tessera_store::{
    Access, Actor, AuditVerdict, Period, Provider, Store, StoreError, Submission, SubmissionAction,
    SubmissionStatus, User, actions,
};
use time::macros::date;

fn pid(s: &str) -> ProviderId {
    ProviderId::parse(s).unwrap()
}

fn user(username: &str, role: Role, provider: Option<&str>) -> User {
    User {
        id: 0,
        username: username.into(),
        display_name: username.into(),
        role,
        provider_id: provider.map(pid),
        locale: "en".into(),
        disabled: false,
        totp_enabled: false,
        must_change_password: false,
    }
}

fn ret(comment: &str) -> SubmissionAction {
    SubmissionAction::Return {
        comment: comment.into(),
    }
}

/// Two providers, a period, and a draft submission of the police.
async fn draft(store: &Store) -> Submission {
    let d = Dictionary::base().unwrap();
    for (id, ty) in [("police-bangui", "POLICE"), ("ngo-espoir", "NGO")] {
        store
            .upsert_provider(&Provider {
                id: pid(id),
                name: id.to_uppercase(),
                provider_type: ProviderType::parse(&d, ty).unwrap(),
                region: Some("CF-BGF".into()),
                profile: Default::default(),
            })
            .await
            .unwrap();
    }
    store
        .upsert_period(&Period {
            id: "2025".into(),
            starts_on: date!(2025 - 01 - 01),
            ends_on: date!(2025 - 12 - 31),
            due_on: date!(2026 - 01 - 31),
            provider_types: Vec::new(),
            closed_on: None,
        })
        .await
        .unwrap();
    store
        .create_submission(&pid("police-bangui"), "2025", "2026.1", "awa")
        .await
        .unwrap()
}

fn fp() -> User {
    user("awa", Role::FocalPoint, Some("police-bangui"))
}

fn coord() -> User {
    user("coord", Role::Coordinator, None)
}

/// The refusal's sentence, or a panic naming what happened instead.
fn refusal(r: Result<Submission, StoreError>) -> StoreError {
    match r {
        Ok(s) => panic!("allowed: submission {} became {:?}", s.id, s.status),
        Err(e) => e,
    }
}

async fn status(store: &Store, id: i64) -> SubmissionStatus {
    store.submission(id).await.unwrap().unwrap().status
}

#[tokio::test]
async fn a_focal_point_of_another_provider_does_not_see_the_submission() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        for (who, role) in [("ngo-fp", Role::FocalPoint), ("ngo-viewer", Role::Viewer)] {
            let other = user(who, role, Some("ngo-espoir"));
            let err = refusal(
                s.decide_submission(&Actor::User(&other), sub.id, &SubmissionAction::Submit)
                    .await,
            );
            // As everywhere for another provider's object: absent, not "forbidden".
            assert!(
                matches!(&err, StoreError::NotFound(m) if *m == format!("submission {}", sub.id)),
                "{}: {err}",
                e.name
            );
        }
        // A focal point without a provider sees no submission at all.
        let lost = user("lost", Role::FocalPoint, None);
        assert!(matches!(
            s.decide_submission(&Actor::User(&lost), sub.id, &SubmissionAction::Submit)
                .await,
            Err(StoreError::NotFound(_))
        ));
        assert_eq!(
            status(s, sub.id).await,
            SubmissionStatus::Draft,
            "{}",
            e.name
        );
        // An unknown id is not found either.
        assert!(matches!(
            s.decide_submission(&Actor::User(&fp()), 999_999, &SubmissionAction::Submit)
                .await,
            Err(StoreError::NotFound(_))
        ));
    }
}

#[tokio::test]
async fn only_the_providers_focal_point_submits() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        for u in [
            coord(),
            user("viewer", Role::Viewer, Some("police-bangui")),
            user("analyst", Role::Analyst, None),
            user("admin", Role::Admin, None),
        ] {
            let err = refusal(
                s.decide_submission(&Actor::User(&u), sub.id, &SubmissionAction::Submit)
                    .await,
            );
            assert!(
                matches!(&err, StoreError::Forbidden(m) if *m == format!("only a focal point of police-bangui can submit submission {}", sub.id)),
                "{}: {}: {err}",
                e.name,
                u.username
            );
        }
        let partner = user("partner", Role::Partner, None);
        assert!(matches!(
            s.decide_submission(&Actor::User(&partner), sub.id, &SubmissionAction::Submit)
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert_eq!(
            status(s, sub.id).await,
            SubmissionStatus::Draft,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn only_a_coordinator_approves_or_returns() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        s.decide_submission(&Actor::User(&fp()), sub.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        for u in [
            fp(),
            user("viewer", Role::Viewer, Some("police-bangui")),
            user("analyst", Role::Analyst, None),
            user("admin", Role::Admin, None),
        ] {
            for (action, verb) in [
                (SubmissionAction::Approve, "approve"),
                (ret("ages missing"), "return"),
            ] {
                let err = refusal(s.decide_submission(&Actor::User(&u), sub.id, &action).await);
                assert!(
                    matches!(&err, StoreError::Forbidden(m) if *m == format!("only a coordinator can {verb} submission {}", sub.id)),
                    "{}: {} {verb}: {err}",
                    e.name,
                    u.username
                );
            }
        }
        assert_eq!(
            status(s, sub.id).await,
            SubmissionStatus::Submitted,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn only_a_submitted_submission_is_approved_or_returned() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        let c = coord();
        let err = refusal(
            s.decide_submission(&Actor::User(&c), sub.id, &SubmissionAction::Approve)
                .await,
        );
        assert_eq!(
            err.to_string(),
            format!(
                "conflict: submission {} is a draft: only a submitted submission can be approved",
                sub.id
            ),
            "{}",
            e.name
        );
        assert!(matches!(err, StoreError::Conflict(_)));
        assert!(matches!(
            s.decide_submission(&Actor::User(&c), sub.id, &ret("ages missing"))
                .await,
            Err(StoreError::Conflict(_))
        ));
        // A returned submission goes back to its focal point first.
        s.decide_submission(&Actor::User(&fp()), sub.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        s.decide_submission(&Actor::User(&c), sub.id, &ret("ages missing"))
            .await
            .unwrap();
        let err = refusal(
            s.decide_submission(&Actor::User(&c), sub.id, &SubmissionAction::Approve)
                .await,
        );
        assert!(
            matches!(&err, StoreError::Conflict(m) if m.contains("was returned to its provider")),
            "{}: {err}",
            e.name
        );
        // Submitting twice is refused too.
        s.decide_submission(&Actor::User(&fp()), sub.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        assert!(matches!(
            s.decide_submission(&Actor::User(&fp()), sub.id, &SubmissionAction::Submit)
                .await,
            Err(StoreError::Conflict(m)) if m.contains("already submitted")
        ));
    }
}

#[tokio::test]
async fn returning_needs_a_comment() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        s.decide_submission(&Actor::User(&fp()), sub.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        for blank in ["", "   \n\t"] {
            let err = refusal(
                s.decide_submission(&Actor::User(&coord()), sub.id, &ret(blank))
                    .await,
            );
            assert!(
                matches!(&err, StoreError::Invalid(m) if m == RETURN_NEEDS_COMMENT),
                "{}: {err}",
                e.name
            );
        }
        // The operator too.
        assert!(matches!(
            s.decide_submission(&Actor::Operator("ops"), sub.id, &ret(" "))
                .await,
            Err(StoreError::Invalid(_))
        ));
        let long = "x".repeat(tessera_store::workflow::COMMENT_MAX + 1);
        assert!(matches!(
            s.decide_submission(&Actor::User(&coord()), sub.id, &ret(&long))
                .await,
            Err(StoreError::Invalid(m)) if m.contains("at most")
        ));
        assert_eq!(
            status(s, sub.id).await,
            SubmissionStatus::Submitted,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn an_approved_submission_is_locked() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        s.decide_submission(&Actor::User(&fp()), sub.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        s.decide_submission(&Actor::User(&coord()), sub.id, &SubmissionAction::Approve)
            .await
            .unwrap();
        let locked = format!(
            "submission {} is approved and locked: corrections go into a new version",
            sub.id
        );
        for (u, action) in [
            (fp(), SubmissionAction::Submit),
            (coord(), SubmissionAction::Approve),
            (coord(), ret("one more thing")),
        ] {
            let err = refusal(s.decide_submission(&Actor::User(&u), sub.id, &action).await);
            assert!(
                matches!(&err, StoreError::Conflict(m) if *m == locked),
                "{}: {:?}: {err}",
                e.name,
                action
            );
        }
        assert!(matches!(
            s.decide_submission(&Actor::Operator("ops"), sub.id, &ret("again"))
                .await,
            Err(StoreError::Conflict(m)) if m == locked
        ));
        assert_eq!(
            status(s, sub.id).await,
            SubmissionStatus::Approved,
            "{}",
            e.name
        );
    }
}

#[tokio::test]
async fn submit_approve_and_submit_return_submit_are_in_the_history_and_the_audit_log() {
    for e in engines().await {
        let s = &e.store;
        let first = draft(s).await;
        let (f, c) = (fp(), coord());
        let own = Access::Provider(pid("police-bangui"));
        // Submit → approve.
        let now = s
            .decide_submission(&Actor::User(&f), first.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        assert_eq!(now.status, SubmissionStatus::Submitted, "{}", e.name);
        assert!(now.submitted_at.is_some());
        let now = s
            .decide_submission(&Actor::User(&c), first.id, &SubmissionAction::Approve)
            .await
            .unwrap();
        assert_eq!(now.status, SubmissionStatus::Approved, "{}", e.name);

        // A new version: submit → return (with a comment) → submit.
        let second = s
            .create_submission(&pid("police-bangui"), "2025", "2026.1", "awa")
            .await
            .unwrap();
        assert_eq!(second.version, 2);
        s.decide_submission(&Actor::User(&f), second.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        let now = s
            .decide_submission(
                &Actor::User(&c),
                second.id,
                &ret("  ages missing on rows 4-9 "),
            )
            .await
            .unwrap();
        assert_eq!(now.status, SubmissionStatus::Returned, "{}", e.name);
        let now = s
            .decide_submission(&Actor::User(&f), second.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        assert_eq!(now.status, SubmissionStatus::Submitted, "{}", e.name);

        let events = s.submission_events(&own, second.id).await.unwrap();
        let steps: Vec<(&str, &str, Option<&str>)> = events
            .iter()
            .map(|x| (x.to.as_str(), x.actor.as_str(), x.comment.as_deref()))
            .collect();
        assert_eq!(
            steps,
            [
                ("draft", "awa", None),
                ("submitted", "awa", None),
                ("returned", "coord", Some("ages missing on rows 4-9")),
                ("submitted", "awa", None),
            ],
            "{}",
            e.name
        );

        // One audit entry per step, under the vocabulary's names.
        let mut audit = s.audit_entries(None, None, 50).await.unwrap();
        audit.sort_by_key(|x| x.seq);
        let logged: Vec<(&str, &str, &str)> = audit
            .iter()
            .filter(|x| x.action.starts_with("submission."))
            .map(|x| (x.action.as_str(), x.actor.as_str(), x.object.as_str()))
            .collect();
        let (a, b) = (
            format!("submission/{}", first.id),
            format!("submission/{}", second.id),
        );
        assert_eq!(
            logged,
            [
                (actions::SUBMISSION_SUBMIT, "awa", a.as_str()),
                (actions::SUBMISSION_APPROVE, "coord", a.as_str()),
                (actions::SUBMISSION_SUBMIT, "awa", b.as_str()),
                (actions::SUBMISSION_RETURN, "coord", b.as_str()),
                (actions::SUBMISSION_SUBMIT, "awa", b.as_str()),
            ],
            "{}",
            e.name
        );
        let returned = audit
            .iter()
            .find(|x| x.action == actions::SUBMISSION_RETURN)
            .unwrap();
        assert_eq!(returned.detail, r#"{"comment":"ages missing on rows 4-9"}"#);
        assert!(matches!(
            s.verify_audit().await.unwrap(),
            AuditVerdict::Intact { .. }
        ));
    }
}

#[tokio::test]
async fn the_operator_submits_and_decides_under_the_same_rule() {
    for e in engines().await {
        let s = &e.store;
        let sub = draft(s).await;
        let ops = Actor::Operator("ops");
        // The status rule holds for the operator too.
        assert!(matches!(
            s.decide_submission(&ops, sub.id, &SubmissionAction::Approve)
                .await,
            Err(StoreError::Conflict(_))
        ));
        s.decide_submission(&ops, sub.id, &SubmissionAction::Submit)
            .await
            .unwrap();
        let done = s
            .decide_submission(&ops, sub.id, &SubmissionAction::Approve)
            .await
            .unwrap();
        assert_eq!(done.status, SubmissionStatus::Approved, "{}", e.name);
        let logged = s
            .audit_entries(Some("ops"), Some(actions::SUBMISSION_APPROVE), 10)
            .await
            .unwrap();
        assert_eq!(logged.len(), 1, "{}", e.name);
    }
}

/// The pages show the buttons the rule allows: the same function answers.
#[test]
fn the_rule_answers_without_the_database() {
    let sub = |status| Submission {
        id: 7,
        provider_id: "police-bangui".into(),
        period_id: "2025".into(),
        version: 1,
        status,
        dictionary_version: "2026.1".into(),
        submitted_at: None,
    };
    let (f, c) = (fp(), coord());
    use SubmissionStatus::*;
    let may =
        |u: &User, st, a: SubmissionAction| check_decision(&Actor::User(u), &sub(st), &a).is_ok();
    assert!(may(&f, Draft, SubmissionAction::Submit));
    assert!(may(&f, Returned, SubmissionAction::Submit));
    assert!(!may(&f, Submitted, SubmissionAction::Submit));
    assert!(!may(&f, Approved, SubmissionAction::Submit));
    assert!(!may(&f, Submitted, SubmissionAction::Approve));
    assert!(may(&c, Submitted, SubmissionAction::Approve));
    assert!(may(&c, Submitted, ret("why")));
    assert!(!may(&c, Draft, SubmissionAction::Approve));
    assert!(!may(&c, Returned, SubmissionAction::Approve));
    assert!(!may(&c, Approved, SubmissionAction::Approve));
    assert_eq!(
        check_decision(
            &Actor::User(&c),
            &sub(Submitted),
            &SubmissionAction::Approve
        )
        .unwrap(),
        Approved
    );
    // The action names on the web's URLs and the CLI's verbs.
    assert_eq!(
        SubmissionAction::parse("approve", None),
        Some(SubmissionAction::Approve)
    );
    assert_eq!(SubmissionAction::parse("return", Some("x")), Some(ret("x")));
    assert_eq!(SubmissionAction::parse("delete", None), None);
}
