//! Slowing down guessing without letting anyone lock an account.
//!
//! A hard lockout after five wrong passwords lets anyone who knows a username keep its owner
//! out, and telling apart the accounts that lock from the usernames that do not tells an
//! attacker which accounts exist. Instead, failures are counted per key — the pair (address,
//! username as typed) and the address alone — and past a free allowance each further attempt
//! must wait twice as long as the one before, from [`FIRST_WAIT_SECONDS`] up to
//! [`MAX_WAIT_SECONDS`]. The same keys and
//! waits apply to unknown usernames, so the answers cannot tell them apart; someone guessing
//! from another address does not slow the owner down. Second-factor codes are throttled the same
//! way, per user.
//!
//! The counts live in the memory of the serving process (a restart forgets them); Argon2's cost
//! and the waits bound what any one address can try.

use std::collections::HashMap;
use std::sync::Mutex;

/// Longest wait imposed, in seconds.
pub const MAX_WAIT_SECONDS: i64 = 15 * 60;
/// First wait once the allowance is spent, in seconds; each further failure doubles it.
pub const FIRST_WAIT_SECONDS: i64 = 30;
/// A key forgotten after this long without a failure.
const FORGET_SECONDS: i64 = 60 * 60;
/// Most keys remembered; past that, the oldest are dropped.
const MAX_KEYS: usize = 100_000;

/// Which allowance a key gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// One username from one address: a person mistyping.
    Account,
    /// One address, all usernames: a shared office address signs in many people.
    Address,
    /// Second-factor codes of one user.
    Code,
}

impl Limit {
    fn free(self) -> u32 {
        match self {
            Limit::Account => 5,
            Limit::Address => 30,
            Limit::Code => 5,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last: i64,
}

/// Failure counts with exponential back-off.
#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<HashMap<(Limit, String), Entry>>,
}

/// Seconds to wait after `failures` failures with `free` of them allowed.
fn wait_after(failures: u32, free: u32) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(20);
    (FIRST_WAIT_SECONDS << doublings).min(MAX_WAIT_SECONDS)
}

impl Throttle {
    /// Seconds the caller must still wait before `key` may be tried again (0: now).
    pub fn wait(&self, limit: Limit, key: &str, now: i64) -> i64 {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(&(limit, key.to_string())).map_or(0, |e| {
            (e.last + wait_after(e.failures, limit.free()) - now).max(0)
        })
    }

    /// Counts a failure for `key`.
    pub fn fail(&self, limit: Limit, key: &str, now: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_KEYS {
            entries.retain(|_, e| now - e.last < FORGET_SECONDS);
            if entries.len() >= MAX_KEYS {
                // Still full: a flood of distinct keys. Drop the older half rather than grow.
                let mut lasts: Vec<i64> = entries.values().map(|e| e.last).collect();
                let mid = lasts.len() / 2;
                let (_, cut, _) = lasts.select_nth_unstable(mid);
                let cut = *cut;
                entries.retain(|_, e| e.last > cut);
            }
        }
        let e = entries.entry((limit, key.to_string())).or_insert(Entry {
            failures: 0,
            last: now,
        });
        if now - e.last >= FORGET_SECONDS {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last = now;
    }

    /// Forgets the failures of `key` (after a success).
    pub fn clear(&self, limit: Limit, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&(limit, key.to_string()));
    }

    /// Failures counted for `key`.
    pub fn failures(&self, limit: Limit, key: &str) -> u32 {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&(limit, key.to_string()))
            .map_or(0, |e| e.failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_past_the_allowance_and_stop_at_the_cap() {
        assert_eq!(wait_after(4, 5), 0);
        assert_eq!(wait_after(5, 5), 30);
        assert_eq!(wait_after(6, 5), 60);
        assert_eq!(wait_after(9, 5), 480);
        assert_eq!(wait_after(40, 5), MAX_WAIT_SECONDS);
        let t = Throttle::default();
        for _ in 0..5 {
            assert_eq!(t.wait(Limit::Account, "k", 100), 0);
            t.fail(Limit::Account, "k", 100);
        }
        assert_eq!(t.wait(Limit::Account, "k", 100), 30);
        assert_eq!(t.wait(Limit::Account, "k", 129), 1);
        assert_eq!(t.wait(Limit::Account, "k", 130), 0);
        assert_eq!(t.wait(Limit::Account, "other", 100), 0, "keys are apart");
        t.clear(Limit::Account, "k");
        assert_eq!(t.wait(Limit::Account, "k", 100), 0);
    }

    #[test]
    fn a_flood_of_keys_stays_bounded() {
        let t = Throttle::default();
        for i in 0..(MAX_KEYS + 10) {
            t.fail(Limit::Address, &i.to_string(), i as i64);
        }
        assert!(t.entries.lock().unwrap().len() <= MAX_KEYS);
    }
}
