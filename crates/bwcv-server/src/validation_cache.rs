//! Validation problems of stored declarations, computed once per stored
//! version instead of on every read.
//!
//! `bwcv_declare::check` is a pure function of the body and of the
//! validation context, and the context (built-in catalogue,
//! `cbm.validity_years_last_declaration`) is fixed for the life of an
//! [`crate::AppState`]. A stored body changes only through
//! `Store::save_draft`, which gives it a new version and a new digest, so
//! the key `(id, version, digest)` names one body for good: a save or a
//! submission can never be answered with the problems of another body.
//! (Submitting and acknowledging change the status, not the body, and
//! the problems depend on the body alone.)
//!
//! The cache is bounded ([`CAPACITY`] entries, oldest inserted dropped
//! first); a miss simply validates again.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use bwcv_declare::Problem;
use bwcv_store::DeclarationRecord;

/// Most stored versions whose problems are kept.
pub(crate) const CAPACITY: usize = 4096;

/// `(declaration id, version, digest of the body)`.
type Key = (i64, i64, String);

/// The problems of recently read or written declaration versions.
#[derive(Debug, Default)]
pub(crate) struct ProblemCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    problems: BTreeMap<Key, Arc<[Problem]>>,
    /// Keys in insertion order, for eviction.
    order: VecDeque<Key>,
}

fn key_of(record: &DeclarationRecord) -> Key {
    (record.id.0, record.version, record.digest.clone())
}

impl ProblemCache {
    /// The problems of `record`'s body: from the cache, or `compute`d
    /// (outside the lock) and remembered.
    pub(crate) fn get_or_compute(
        &self,
        record: &DeclarationRecord,
        compute: impl FnOnce() -> Vec<Problem>,
    ) -> Arc<[Problem]> {
        let key = key_of(record);
        if let Some(found) = self.lock().problems.get(&key) {
            return Arc::clone(found);
        }
        let problems: Arc<[Problem]> = compute().into();
        let mut inner = self.lock();
        if inner.problems.contains_key(&key) {
            return problems;
        }
        while inner.order.len() >= CAPACITY {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.problems.remove(&oldest);
        }
        inner.order.push_back(key.clone());
        inner.problems.insert(key, Arc::clone(&problems));
        problems
    }

    /// How many versions are cached (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().problems.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map inconsistent
        // with what it caches (values are immutable), so poisoning is moot.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bwcv_core::{Classification, StatePartyCode, Visibility};
    use bwcv_store::{DeclarationId, DeclarationStatus, UserId};

    fn record(id: i64, version: i64, digest: &str) -> DeclarationRecord {
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        DeclarationRecord {
            id: DeclarationId(id),
            state_party: StatePartyCode::new("XAR").unwrap(),
            reporting_year: 2024,
            status: DeclarationStatus::Draft,
            visibility: Visibility::StatesPartiesOnly,
            classification: Classification::Restricted,
            body: serde_json::json!({}),
            digest: digest.to_owned(),
            version,
            created_by: UserId(1),
            created_at: at,
            updated_at: at,
            submitted_by: None,
            submitted_at: None,
            ledger_index: None,
            acknowledged_by: None,
            acknowledged_at: None,
        }
    }

    fn problem(message: &str) -> Problem {
        Problem::new("", bwcv_declare::Rule::ParseStructure, message)
    }

    #[test]
    fn a_version_is_validated_once_and_another_version_again() {
        let cache = ProblemCache::default();
        let mut calls = 0;
        let first = cache.get_or_compute(&record(1, 1, "aa"), || {
            calls += 1;
            vec![problem("one")]
        });
        let again = cache.get_or_compute(&record(1, 1, "aa"), || {
            calls += 1;
            Vec::new()
        });
        assert_eq!(calls, 1);
        assert_eq!(first[0].message, "one");
        assert_eq!(again[0].message, "one");
        // A new version, a new digest or another declaration is a new key.
        for other in [record(1, 2, "aa"), record(1, 1, "bb"), record(2, 1, "aa")] {
            let fresh = cache.get_or_compute(&other, || vec![problem("fresh")]);
            assert_eq!(fresh[0].message, "fresh");
        }
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = ProblemCache::default();
        for version in 0..(CAPACITY as i64 + 10) {
            cache.get_or_compute(&record(1, version, "aa"), Vec::new);
        }
        assert_eq!(cache.len(), CAPACITY);
        // The oldest were dropped: asking again recomputes.
        let recomputed = cache.get_or_compute(&record(1, 0, "aa"), || vec![problem("again")]);
        assert_eq!(recomputed.len(), 1);
    }
}
