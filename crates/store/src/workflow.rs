//! The submission workflow's rule, in one place for the web pages, the API and the CLI:
//! who may submit, approve or return a submission, from which status, and with what.
//!
//! - A focal point submits its own provider's submissions, when they are a draft or were
//!   returned. Another provider's submission does not exist for a focal point or a viewer
//!   (`NotFound`, as everywhere a provider-bound user meets another provider's object).
//! - Only a coordinator approves or returns, and only a submitted submission.
//! - Returning needs a comment (at most [`COMMENT_MAX`] characters): the focal point needs to know
//!   what to fix.
//! - An approved submission is locked: corrections go into a new version.
//! - The system operator at the server's shell (the CLI, [`Actor::Operator`]) stands in for the
//!   submission's focal point when submitting and for the coordinator when deciding; every other
//!   part of the rule holds for it as for anyone.
//!
//! Refusals are one plain sentence each: `Forbidden` for the role, `Conflict` for the status (the
//! submission's state, not the request, is in the way: HTTP 409), `Invalid` for the comment.
//! [`Store::decide_submission`] applies the rule, moves the submission and writes the audit entry
//! (`submission.submit`, `submission.approve`, `submission.return`).

use tessera_dictionary::Role;

use crate::{Store, StoreError, Submission, SubmissionStatus, User, actions};

/// The longest comment a decision may carry, in characters.
pub const COMMENT_MAX: usize = 2000;

/// The refusal of a return without a comment (the web shows it in the user's language).
pub const RETURN_NEEDS_COMMENT: &str =
    "returning a submission needs a comment saying what the focal point has to fix";

/// Who acts on a submission.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A signed-in user (web page or API token), with the role and provider of the account.
    User(&'a User),
    /// The system operator running the CLI on the server, named by `--actor` in the audit log and
    /// the submission's history. The operator holds the database and the deployment secret; for
    /// the workflow it acts as the submission's focal point (submit) and as the coordinator
    /// (approve, return), under the same status and comment rules.
    Operator(&'a str),
}

impl Actor<'_> {
    /// The name written in the submission's history and the audit log.
    pub fn name(&self) -> &str {
        match self {
            Actor::User(u) => &u.username,
            Actor::Operator(name) => name,
        }
    }
}

/// What an actor asks of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionAction {
    /// Send a draft or returned submission for review (its provider's focal point).
    Submit,
    /// Accept a submitted submission, which is then locked (a coordinator).
    Approve,
    /// Send a submitted submission back to its provider, saying what to fix (a coordinator).
    Return { comment: String },
}

impl SubmissionAction {
    /// The action named in a URL or on the command line (`submit`, `approve`, `return`); the
    /// comment counts only for a return.
    pub fn parse(verb: &str, comment: Option<&str>) -> Option<SubmissionAction> {
        match verb {
            "submit" => Some(SubmissionAction::Submit),
            "approve" => Some(SubmissionAction::Approve),
            "return" => Some(SubmissionAction::Return {
                comment: comment.unwrap_or_default().to_string(),
            }),
            _ => None,
        }
    }

    /// `submit`, `approve` or `return`.
    pub fn verb(&self) -> &'static str {
        match self {
            SubmissionAction::Submit => "submit",
            SubmissionAction::Approve => "approve",
            SubmissionAction::Return { .. } => "return",
        }
    }

    /// The status the submission moves to.
    pub fn next_status(&self) -> SubmissionStatus {
        match self {
            SubmissionAction::Submit => SubmissionStatus::Submitted,
            SubmissionAction::Approve => SubmissionStatus::Approved,
            SubmissionAction::Return { .. } => SubmissionStatus::Returned,
        }
    }

    /// The audit log's name for this action.
    pub fn audit_action(&self) -> &'static str {
        match self {
            SubmissionAction::Submit => actions::SUBMISSION_SUBMIT,
            SubmissionAction::Approve => actions::SUBMISSION_APPROVE,
            SubmissionAction::Return { .. } => actions::SUBMISSION_RETURN,
        }
    }

    /// The comment, trimmed; `None` when there is none or it is blank.
    pub fn comment(&self) -> Option<&str> {
        match self {
            SubmissionAction::Return { comment } => Some(comment.trim()).filter(|c| !c.is_empty()),
            _ => None,
        }
    }
}

/// The rule, without the database: whether `actor` may do `action` to `sub` now. `Ok` is the
/// status the submission would move to; `Err` is the refusal, one sentence. Pages use it to show
/// only the buttons that would work.
pub fn check_decision(
    actor: &Actor<'_>,
    sub: &Submission,
    action: &SubmissionAction,
) -> Result<SubmissionStatus, StoreError> {
    let id = sub.id;
    // Seen first: another provider's submission does not exist for a provider-bound user.
    if let Actor::User(u) = actor {
        match u.role {
            Role::FocalPoint | Role::Viewer
                if u.provider_id.as_ref().map(|p| p.as_str()) != Some(sub.provider_id.as_str()) =>
            {
                return Err(StoreError::NotFound(format!("submission {id}")));
            }
            Role::Partner => {
                return Err(StoreError::Forbidden(
                    "the partner role has no access to submissions".into(),
                ));
            }
            _ => {}
        }
    }
    // Then the role.
    let (operator, role) = match actor {
        Actor::Operator(_) => (true, None),
        Actor::User(u) => (false, Some(u.role)),
    };
    match action {
        SubmissionAction::Submit if !operator && role != Some(Role::FocalPoint) => {
            return Err(StoreError::Forbidden(format!(
                "only a focal point of {} can submit submission {id}",
                sub.provider_id
            )));
        }
        SubmissionAction::Approve | SubmissionAction::Return { .. }
            if !operator && role != Some(Role::Coordinator) =>
        {
            return Err(StoreError::Forbidden(format!(
                "only a coordinator can {} submission {id}",
                action.verb()
            )));
        }
        _ => {}
    }
    // Then the status.
    let next = action.next_status();
    match (sub.status, action) {
        (SubmissionStatus::Approved, _) => {
            return Err(StoreError::Conflict(format!(
                "submission {id} is approved and locked: corrections go into a new version"
            )));
        }
        (SubmissionStatus::Submitted, SubmissionAction::Submit) => {
            return Err(StoreError::Conflict(format!(
                "submission {id} is already submitted and waits for a coordinator to approve or return it"
            )));
        }
        (SubmissionStatus::Draft, _) if next != SubmissionStatus::Submitted => {
            return Err(StoreError::Conflict(format!(
                "submission {id} is a draft: only a submitted submission can be {}",
                past(action)
            )));
        }
        (SubmissionStatus::Returned, _) if next != SubmissionStatus::Submitted => {
            return Err(StoreError::Conflict(format!(
                "submission {id} was returned to its provider: only a submitted submission can be {}",
                past(action)
            )));
        }
        _ => {}
    }
    debug_assert!(sub.status.can_become(next));
    // Then what the action carries.
    if let SubmissionAction::Return { comment } = action {
        let comment = comment.trim();
        if comment.is_empty() {
            return Err(StoreError::Invalid(RETURN_NEEDS_COMMENT.into()));
        }
        if comment.chars().count() > COMMENT_MAX {
            return Err(StoreError::Invalid(format!(
                "a comment is at most {COMMENT_MAX} characters; this one has {}",
                comment.chars().count()
            )));
        }
    }
    Ok(next)
}

fn past(action: &SubmissionAction) -> &'static str {
    match action {
        SubmissionAction::Submit => "submitted",
        SubmissionAction::Approve => "approved",
        SubmissionAction::Return { .. } => "returned",
    }
}

impl Store {
    /// Submits, approves or returns a submission under the workflow's rule (see [`check_decision`]),
    /// records the step in the submission's history and writes the audit entry. Returns the
    /// submission as it now is. The web pages, the API and the CLI all come through here.
    pub async fn decide_submission(
        &self,
        actor: &Actor<'_>,
        id: i64,
        action: &SubmissionAction,
    ) -> Result<Submission, StoreError> {
        let sub = self
            .submission(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("submission {id}")))?;
        let next = check_decision(actor, &sub, action)?;
        let comment = action.comment();
        // The UPDATE moves the submission only from the status read above: a decision taken
        // meanwhile by someone else makes this one a conflict rather than a second step.
        self.set_submission_status(id, next, actor.name(), comment)
            .await?;
        self.audit(
            actor.name(),
            action.audit_action(),
            &format!("submission/{id}"),
            &serde_json::json!({ "comment": comment }).to_string(),
        )
        .await?;
        self.submission(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("submission {id}")))
    }
}
