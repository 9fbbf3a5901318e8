//! Property tests of the transparency-visit draw over many simulated years.
//!
//! Each simulated year draws fresh lottery-style numbers from a seeded
//! ChaCha generator (deterministic: the test gives the same result on every
//! run), builds the RFC 3797 key string from them and runs the selection
//! loop of `draw::select` with the caps of the built-in parameter set.
//!
//! Statistical tolerances (documented here, used below):
//! - a single facility's count over `N` independent years is
//!   Binomial(N, p) where `p` is its inclusion probability under the
//!   published method; we accept `|count − Np| ≤ 5·√(Np(1−p))`. The chance
//!   that a correct implementation falls outside is below 6·10⁻⁷ per
//!   facility (below 10⁻⁴ for all facilities of a test together);
//! - State Parties that the method treats alike (same number of facilities
//!   of the same types) must have the same expected count; their counts are
//!   compared with a chi-square test of homogeneity against the 0.9999
//!   quantile of the chi-square distribution with k − 1 degrees of freedom.

use std::collections::{BTreeMap, VecDeque};

use bwcv_cases::draw::{
    self, DrawAnnouncement, DrawRules, PastSelection, PoolEntry, RandomnessSource, TypeWeight,
};
use bwcv_cases::rfc3797::{self, Number};
use bwcv_core::params::ParameterSet;
use bwcv_core::{FacilityId, StatePartyCode};
use chrono::{DateTime, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const YEARS: usize = 10_000;

/// Upper 0.9999 quantiles of chi-square with `df` degrees of freedom.
fn chi_square_9999(df: usize) -> f64 {
    match df {
        2 => 18.42,
        9 => 33.72,
        36 => 76.36,
        _ => panic!("no quantile tabulated for {df} degrees of freedom"),
    }
}

fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let expected = total as f64 / counts.len() as f64;
    counts
        .iter()
        .map(|c| (*c as f64 - expected).powi(2) / expected)
        .sum()
}

fn pool(groups: &[(usize, usize)]) -> Vec<PoolEntry> {
    // groups: (number of State Parties, facilities each)
    let mut pool = Vec::new();
    let mut index = 0;
    for &(parties, facilities) in groups {
        for _ in 0..parties {
            let code = format!(
                "{}{}{}",
                (b'A' + (index / 676) as u8) as char,
                (b'A' + ((index / 26) % 26) as u8) as char,
                (b'A' + (index % 26) as u8) as char
            );
            index += 1;
            for serial in 1..=facilities {
                pool.push(PoolEntry {
                    facility: FacilityId::new(&format!("{code}-F{serial:04}")).unwrap(),
                    declaration_type: if serial % 2 == 0 { "A2" } else { "A1" }.to_owned(),
                });
            }
        }
    }
    pool
}

fn announcement(rules: DrawRules, pool: Vec<PoolEntry>) -> DrawAnnouncement {
    let at = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc);
    DrawAnnouncement::new(
        "simulation",
        2027,
        at,
        rules,
        pool,
        Vec::new(),
        vec![RandomnessSource::Lottery {
            name: "simulated".to_owned(),
            draw_date: at + chrono::TimeDelta::days(60),
            numbers: 6,
        }],
    )
    .unwrap()
}

fn yearly_key(rng: &mut ChaCha8Rng) -> String {
    let numbers: Vec<Number> = (0..6)
        .map(|_| Number::integer(u128::from(rng.gen_range(0..1_000_000_000_u32))))
        .collect();
    rfc3797::key_string(&[numbers]).unwrap()
}

/// The caps of the parameters hold in every one of 10,000 years, the total
/// is used whenever facilities remain drawable, and State Parties treated
/// alike by the method are selected alike.
#[test]
fn caps_hold_over_ten_thousand_years() {
    let params = ParameterSet::builtin();
    let rules = DrawRules::from_params(params).unwrap();
    let total = rules.total_per_year as usize;
    let per_state_party = rules.max_per_state_party_per_year;
    let per_facility = rules.max_per_facility_in_window;
    let window = rules.facility_window_years as usize;
    // 3 large declarers (30 facilities: their cap binds) and 37 small ones.
    let mut announcement = announcement(rules, pool(&[(3, 30), (37, 3)]));
    let pool = announcement.pool.clone();
    let position: BTreeMap<&FacilityId, usize> = pool
        .iter()
        .enumerate()
        .map(|(i, e)| (&e.facility, i))
        .collect();
    let parties: Vec<StatePartyCode> = {
        let mut parties: Vec<StatePartyCode> =
            pool.iter().map(|e| e.facility.state_party()).collect();
        parties.dedup();
        parties
    };
    let party_of: Vec<usize> = pool
        .iter()
        .map(|e| {
            let code = e.facility.state_party();
            parties.iter().position(|p| *p == code).unwrap()
        })
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(3797);
    // Pool positions selected in each of the previous `window - 1` years.
    let mut recent: VecDeque<Vec<usize>> = VecDeque::new();
    let mut in_window = vec![0_u32; pool.len()];
    let mut totals = vec![0_u64; parties.len()];
    for year in 0..YEARS {
        announcement.year = 2027 + year as i32;
        let result = draw::select(&announcement, &yearly_key(&mut rng)).unwrap();
        assert!(result.picks.len() <= total, "year {year}: total exceeded");
        let this_year: Vec<usize> = result.picks.iter().map(|p| position[&p.facility]).collect();
        let mut by_party = vec![0_u32; parties.len()];
        let mut picked = vec![false; pool.len()];
        for &index in &this_year {
            assert!(!picked[index], "year {year}: facility twice");
            picked[index] = true;
            assert!(
                in_window[index] < per_facility,
                "year {year}: {} drawn again after {} selections in the window",
                pool[index].facility,
                in_window[index]
            );
            by_party[party_of[index]] += 1;
            totals[party_of[index]] += 1;
        }
        assert!(
            by_party.iter().all(|n| *n <= per_state_party),
            "year {year}: State Party cap exceeded: {by_party:?}"
        );
        if result.picks.len() < total {
            // The draw stopped early only because nothing drawable was left.
            for index in 0..pool.len() {
                let party_full = by_party[party_of[index]] >= per_state_party;
                let window_full = in_window[index] >= per_facility;
                assert!(
                    picked[index] || party_full || window_full,
                    "year {year}: {} was drawable but the draw stopped at {}",
                    pool[index].facility,
                    result.picks.len()
                );
            }
        }
        // Move the window on: this year joins the history, the oldest leaves.
        for &index in &this_year {
            in_window[index] += 1;
        }
        recent.push_back(this_year);
        if recent.len() > window - 1 {
            for index in recent.pop_front().unwrap_or_default() {
                in_window[index] -= 1;
            }
        }
        let oldest = announcement.year + 1 - (window as i32 - 1);
        announcement.history.retain(|past| past.year >= oldest);
        announcement
            .history
            .extend(result.picks.into_iter().map(|pick| PastSelection {
                year: announcement.year,
                facility: pick.facility,
            }));
    }
    // State Parties alike under the method are selected alike.
    let large = &totals[..3];
    let small = &totals[3..];
    assert_eq!(small.len(), 37);
    assert!(
        chi_square(large) < chi_square_9999(2),
        "large declarers: {large:?}"
    );
    assert!(
        chi_square(small) < chi_square_9999(36),
        "small declarers: {small:?} chi2 {}",
        chi_square(small)
    );
}

fn rules_without_binding_caps(total: u32) -> DrawRules {
    let mut rules = DrawRules::from_params(ParameterSet::builtin()).unwrap();
    rules.total_per_year = total;
    rules.max_per_facility_in_window = rules.facility_window_years;
    rules
}

fn binomial_within(count: u64, trials: usize, p: f64) -> bool {
    let mean = trials as f64 * p;
    let sd = (mean * (1.0 - p)).sqrt();
    (count as f64 - mean).abs() <= 5.0 * sd
}

/// With one ticket each, every facility's inclusion probability is
/// total / pool size; each facility's frequency and each State Party's
/// total match it.
#[test]
fn uniform_selection_frequency_matches_the_method() {
    let total = 10;
    let pool = pool(&[(10, 5)]);
    let pool_size = pool.len();
    let announcement = announcement(rules_without_binding_caps(total), pool);
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let mut counts: BTreeMap<FacilityId, u64> = BTreeMap::new();
    for _ in 0..YEARS {
        let result = draw::select(&announcement, &yearly_key(&mut rng)).unwrap();
        assert_eq!(result.picks.len(), total as usize);
        for pick in result.picks {
            *counts.entry(pick.facility).or_default() += 1;
        }
    }
    let p = f64::from(total) / pool_size as f64;
    for entry in &announcement.pool {
        let count = counts.get(&entry.facility).copied().unwrap_or(0);
        assert!(
            binomial_within(count, YEARS, p),
            "{}: {count} selections, expected {:.0}",
            entry.facility,
            YEARS as f64 * p
        );
    }
    let mut by_party: BTreeMap<StatePartyCode, u64> = BTreeMap::new();
    for (facility, count) in &counts {
        *by_party.entry(facility.state_party()).or_default() += count;
    }
    let parties: Vec<u64> = by_party.values().copied().collect();
    assert_eq!(parties.len(), 10);
    assert!(chi_square(&parties) < chi_square_9999(9), "{parties:?}");
}

/// With weights, a single draw picks each facility with probability
/// tickets / all tickets.
#[test]
fn weighted_selection_frequency_matches_the_method() {
    let mut rules = rules_without_binding_caps(1);
    rules.weights = vec![TypeWeight {
        declaration_type: "A2".to_owned(),
        tickets: 3,
    }];
    let announcement = announcement(rules, pool(&[(5, 4)]));
    let all_tickets: u32 = announcement
        .pool
        .iter()
        .map(|e| announcement.rules.tickets(&e.declaration_type))
        .sum();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut counts: BTreeMap<FacilityId, u64> = BTreeMap::new();
    for _ in 0..YEARS {
        let result = draw::select(&announcement, &yearly_key(&mut rng)).unwrap();
        for pick in result.picks {
            *counts.entry(pick.facility).or_default() += 1;
        }
    }
    for entry in &announcement.pool {
        let p =
            f64::from(announcement.rules.tickets(&entry.declaration_type)) / f64::from(all_tickets);
        let count = counts.get(&entry.facility).copied().unwrap_or(0);
        assert!(
            binomial_within(count, YEARS, p),
            "{} ({}): {count} selections, expected {:.0}",
            entry.facility,
            entry.declaration_type,
            YEARS as f64 * p
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any draw re-verifies as identical, and swapping two selections,
    /// changing a lottery number or dropping a facility is always detected.
    #[test]
    fn records_verify_and_tampering_is_detected(
        parties in 1usize..6,
        per_party in 1usize..6,
        total in 1u32..20,
        numbers in proptest::collection::vec(0u32..100, 3),
        swap in (0usize..100, 0usize..100),
    ) {
        let mut rules = rules_without_binding_caps(total);
        rules.max_per_state_party_per_year = 3;
        let announcement = announcement(rules, pool(&[(parties, per_party)]));
        let beacons = vec![draw::BeaconValue::Lottery {
            numbers: numbers.iter().chain([7u32, 8, 9].iter()).map(|n| Number::integer(u128::from(*n))).collect(),
        }];
        let record = draw::run(&announcement, &beacons).unwrap();
        proptest::prop_assert!(draw::verify(&record).is_empty());
        let json = serde_json::to_string(&record).unwrap();
        let back: draw::DrawRecord = serde_json::from_str(&json).unwrap();
        proptest::prop_assert!(draw::verify(&back).is_empty());

        let picks = record.result.picks.len();
        if picks >= 2 {
            let (a, b) = (swap.0 % picks, swap.1 % picks);
            if a != b {
                let mut swapped = record.clone();
                swapped.result.picks.swap(a, b);
                proptest::prop_assert!(!draw::verify(&swapped).is_empty());
            }
        }
        let mut other = record.clone();
        if let draw::BeaconValue::Lottery { numbers } = &mut other.beacons[0] {
            numbers[0] = Number::integer(1000);
        }
        proptest::prop_assert!(!draw::verify(&other).is_empty());
        let mut dropped = record.clone();
        dropped.announcement.pool.pop();
        proptest::prop_assert!(!draw::verify(&dropped).is_empty());
    }

    /// Arbitrary text never panics the record reader or the verifier.
    #[test]
    fn arbitrary_json_never_panics(text in "\\PC{0,200}") {
        if let Ok(record) = serde_json::from_str::<draw::DrawRecord>(&text) {
            let _ = draw::verify(&record);
        }
    }
}
