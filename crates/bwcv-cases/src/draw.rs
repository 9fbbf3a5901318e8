//! The yearly draw of randomly selected transparency visits, publicly
//! verifiable in the manner of RFC 3797.
//!
//! 1. The Secretariat publishes a [`DrawAnnouncement`]: the year, the rules
//!    (caps and weights, taken from the protocol parameters in force and
//!    recorded with their set's version and digest), the pool of declared
//!    facilities in its canonical numbering (sorted by facility identifier)
//!    with the pool's digest, the past selections that the facility cap looks
//!    back on, and the future sources of randomness (a drand quicknet round,
//!    published lottery results). Its digest is logged before the randomness
//!    exists.
//! 2. When the randomness exists an operator enters the beacon values; a
//!    drand round is checked against the pinned quicknet key.
//! 3. [`run`] makes the selection: the RFC 3797 key string of the sources
//!    and its MD5 stream (see [`crate::rfc3797`]) drive a selection without
//!    replacement over tickets. See [`run`] for the exact loop.
//! 4. [`verify`] re-runs everything from a [`DrawRecord`] and lists precisely
//!    what differs, if anything.

use std::collections::BTreeMap;

use bwcv_core::params::{ParamError, ParameterSet};
use bwcv_core::{FacilityId, StatePartyCode};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::drand;
use crate::rfc3797::{self, Number};

/// Parameter names the draw reads.
pub const PARAM_TOTAL: &str = "visits.random.total_per_year";
pub const PARAM_MAX_PER_STATE_PARTY: &str = "visits.random.max_per_state_party_per_year";
pub const PARAM_MAX_PER_FACILITY: &str = "visits.random.max_per_facility_in_window";
pub const PARAM_WINDOW_YEARS: &str = "visits.random.facility_window_years";
pub const PARAM_LEAD_DAYS: &str = "draw.publication_lead_days";

/// Why an announcement, a beacon or a draw is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DrawError {
    #[error("parameter: {0}")]
    Parameter(#[from] ParamError),
    #[error("parameter {name:?} = {value} is out of range for the draw")]
    ParameterRange { name: String, value: i64 },
    #[error("the pool is empty")]
    EmptyPool,
    #[error("facility {0} appears more than once in the pool")]
    DuplicateFacility(FacilityId),
    #[error("declaration type of facility {0} is empty")]
    EmptyDeclarationType(FacilityId),
    #[error("weight for declaration type {0:?} is given twice")]
    DuplicateWeight(String),
    #[error("announcement has no source of randomness")]
    NoSources,
    #[error(
        "drand round {round} is published at {round_time}, less than {lead_days} days after the announcement ({announced_at})"
    )]
    RoundTooEarly {
        round: u64,
        round_time: DateTime<Utc>,
        announced_at: DateTime<Utc>,
        lead_days: i64,
    },
    #[error(
        "lottery {name:?} draws on {draw_date}, less than {lead_days} days after the announcement ({announced_at})"
    )]
    LotteryTooEarly {
        name: String,
        draw_date: DateTime<Utc>,
        announced_at: DateTime<Utc>,
        lead_days: i64,
    },
    #[error("{given} beacon values given for {expected} announced sources")]
    BeaconCount { given: usize, expected: usize },
    #[error("source {position}: announced {announced}, but the value entered is {given}")]
    BeaconKind {
        position: usize,
        announced: &'static str,
        given: &'static str,
    },
    #[error(
        "source {position}: announced drand round {announced}, value entered for round {given}"
    )]
    BeaconRound {
        position: usize,
        announced: u64,
        given: u64,
    },
    #[error("source {position}: {error}")]
    Drand {
        position: usize,
        error: drand::DrandError,
    },
    #[error("source {position}: lottery {name:?} announced {expected} numbers, {given} entered")]
    LotteryCount {
        position: usize,
        name: String,
        expected: usize,
        given: usize,
    },
    #[error("RFC 3797: {0}")]
    Rfc3797(#[from] rfc3797::Rfc3797Error),
    #[error(
        "the draw needs more than 65536 derived values (the RFC 3797 counter is two bytes); reduce the pool or the total"
    )]
    CounterExhausted,
}

/// The rules of one year's draw, fixed at announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRules {
    /// `visits.random.total_per_year`: visits drawn, at most.
    pub total_per_year: u32,
    /// `visits.random.max_per_state_party_per_year`.
    pub max_per_state_party_per_year: u32,
    /// `visits.random.max_per_facility_in_window`.
    pub max_per_facility_in_window: u32,
    /// `visits.random.facility_window_years`: the window includes the draw's
    /// year, so past selections in the `window - 1` previous years count.
    pub facility_window_years: u32,
    /// `draw.publication_lead_days`.
    pub publication_lead_days: u32,
    /// Tickets per facility by declaration type; a type not listed gets
    /// `default_tickets`. Sorted by declaration type.
    pub weights: Vec<TypeWeight>,
    pub default_tickets: u32,
    /// The parameter set the numbers come from.
    pub parameter_set_version: String,
    pub parameter_set_digest: String,
}

/// Tickets per facility of one declaration type (the weight of a stratum).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeWeight {
    pub declaration_type: String,
    pub tickets: u32,
}

impl DrawRules {
    /// The rules from the parameters in force, every facility one ticket.
    pub fn from_params(params: &ParameterSet) -> Result<Self, DrawError> {
        let count = |name: &str, value: i64| {
            u32::try_from(value).map_err(|_| DrawError::ParameterRange {
                name: name.to_owned(),
                value,
            })
        };
        let window = params.years(PARAM_WINDOW_YEARS)?;
        if window < 1 {
            return Err(DrawError::ParameterRange {
                name: PARAM_WINDOW_YEARS.to_owned(),
                value: window,
            });
        }
        Ok(Self {
            total_per_year: count(PARAM_TOTAL, params.integer(PARAM_TOTAL)?)?,
            max_per_state_party_per_year: count(
                PARAM_MAX_PER_STATE_PARTY,
                params.integer(PARAM_MAX_PER_STATE_PARTY)?,
            )?,
            max_per_facility_in_window: count(
                PARAM_MAX_PER_FACILITY,
                params.integer(PARAM_MAX_PER_FACILITY)?,
            )?,
            facility_window_years: count(PARAM_WINDOW_YEARS, window)?,
            publication_lead_days: count(PARAM_LEAD_DAYS, params.days(PARAM_LEAD_DAYS)?)?,
            weights: Vec::new(),
            default_tickets: 1,
            parameter_set_version: params.version().to_owned(),
            parameter_set_digest: params.digest(),
        })
    }

    /// Tickets of a facility of `declaration_type`.
    pub fn tickets(&self, declaration_type: &str) -> u32 {
        self.weights
            .iter()
            .find(|weight| weight.declaration_type == declaration_type)
            .map_or(self.default_tickets, |weight| weight.tickets)
    }
}

/// One declared facility in the pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolEntry {
    pub facility: FacilityId,
    /// The declaration under which it is declared (e.g. `"CBM-A2"`), the
    /// stratum its weight is looked up by.
    pub declaration_type: String,
}

/// A facility selected in an earlier year (for the facility cap).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PastSelection {
    pub year: i32,
    pub facility: FacilityId,
}

/// A future source of randomness, named before it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RandomnessSource {
    /// A drand round of the chain `chain_hash` (quicknet is pinned).
    Drand { chain_hash: String, round: u64 },
    /// The numbers of a published lottery draw.
    Lottery {
        name: String,
        draw_date: DateTime<Utc>,
        numbers: usize,
    },
}

impl RandomnessSource {
    fn kind_name(&self) -> &'static str {
        match self {
            RandomnessSource::Drand { .. } => "a drand round",
            RandomnessSource::Lottery { .. } => "a lottery result",
        }
    }
}

/// The value of one source, entered by an operator once it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BeaconValue {
    Drand(drand::Beacon),
    Lottery { numbers: Vec<Number> },
}

impl BeaconValue {
    fn kind_name(&self) -> &'static str {
        match self {
            BeaconValue::Drand(_) => "a drand round",
            BeaconValue::Lottery { .. } => "a lottery result",
        }
    }
}

/// What is published, and its digest logged, before the randomness exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawAnnouncement {
    pub draw_id: String,
    pub year: i32,
    pub announced_at: DateTime<Utc>,
    pub rules: DrawRules,
    /// Sorted by facility; position + 1 is the facility's public number.
    pub pool: Vec<PoolEntry>,
    /// [`pool_digest`] of `pool`.
    pub pool_digest: String,
    /// Selections in the years the facility cap looks back on; sorted.
    pub history: Vec<PastSelection>,
    pub sources: Vec<RandomnessSource>,
}

/// Hex SHA-256 of the pool's canonical JSON.
pub fn pool_digest(pool: &[PoolEntry]) -> String {
    canonical::digest(pool)
}

impl DrawAnnouncement {
    /// Builds an announcement: sorts the pool and history into canonical
    /// order, refuses duplicates, computes the pool digest and checks that
    /// every source is far enough in the future.
    pub fn new(
        draw_id: &str,
        year: i32,
        announced_at: DateTime<Utc>,
        rules: DrawRules,
        mut pool: Vec<PoolEntry>,
        mut history: Vec<PastSelection>,
        sources: Vec<RandomnessSource>,
    ) -> Result<Self, DrawError> {
        pool.sort_by(|a, b| a.facility.cmp(&b.facility));
        history.sort();
        history.dedup();
        let first_year = year - i32::try_from(rules.facility_window_years).unwrap_or(i32::MAX) + 1;
        history.retain(|past| past.year >= first_year && past.year < year);
        let announcement = Self {
            draw_id: draw_id.to_owned(),
            year,
            announced_at,
            pool_digest: pool_digest(&pool),
            rules,
            pool,
            history,
            sources,
        };
        announcement.check()?;
        Ok(announcement)
    }

    /// Hex SHA-256 of the announcement's canonical JSON: what is logged.
    pub fn digest(&self) -> String {
        canonical::digest(self)
    }

    /// The structural checks of [`DrawAnnouncement::new`].
    pub fn check(&self) -> Result<(), DrawError> {
        if self.pool.is_empty() {
            return Err(DrawError::EmptyPool);
        }
        for pair in self.pool.windows(2) {
            if pair[0].facility == pair[1].facility {
                return Err(DrawError::DuplicateFacility(pair[0].facility.clone()));
            }
        }
        for entry in &self.pool {
            if entry.declaration_type.trim().is_empty() {
                return Err(DrawError::EmptyDeclarationType(entry.facility.clone()));
            }
        }
        let mut types: Vec<&str> = self
            .rules
            .weights
            .iter()
            .map(|w| w.declaration_type.as_str())
            .collect();
        types.sort_unstable();
        for pair in types.windows(2) {
            if pair[0] == pair[1] {
                return Err(DrawError::DuplicateWeight(pair[0].to_owned()));
            }
        }
        if self.sources.is_empty() {
            return Err(DrawError::NoSources);
        }
        let lead_days = i64::from(self.rules.publication_lead_days);
        let earliest = self.announced_at + TimeDelta::days(lead_days);
        for source in &self.sources {
            match source {
                RandomnessSource::Drand { round, .. } => {
                    let round_time = drand::round_time(*round);
                    if round_time < earliest {
                        return Err(DrawError::RoundTooEarly {
                            round: *round,
                            round_time,
                            announced_at: self.announced_at,
                            lead_days,
                        });
                    }
                }
                RandomnessSource::Lottery {
                    name, draw_date, ..
                } => {
                    if *draw_date < earliest {
                        return Err(DrawError::LotteryTooEarly {
                            name: name.clone(),
                            draw_date: *draw_date,
                            announced_at: self.announced_at,
                            lead_days,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

/// One selected facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawPick {
    /// 1-based order of selection.
    pub order: usize,
    /// The RFC 3797 counter whose MD5 made this pick.
    pub counter: u16,
    pub digest_hex: String,
    /// Tickets still in the drum (the divisor).
    pub tickets_remaining: u64,
    /// The remainder: 0-based ticket drawn.
    pub ticket: u64,
    pub facility: FacilityId,
    pub state_party: StatePartyCode,
    pub declaration_type: String,
}

/// A facility that could not be drawn this year, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exclusion {
    pub facility: FacilityId,
    pub reason: ExclusionReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExclusionReason {
    /// Already selected `count` times in the window's previous years.
    FacilityCap { count: u32 },
    /// Its declaration type has zero tickets.
    NoTickets,
}

/// The outcome of [`run`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawResult {
    pub key_string: String,
    pub picks: Vec<DrawPick>,
    pub excluded: Vec<Exclusion>,
    /// State Parties that reached their cap, in the order they reached it.
    pub state_parties_capped: Vec<StatePartyCode>,
}

/// Announcement, beacon values and result: everything anyone needs to
/// re-run the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawRecord {
    pub announcement: DrawAnnouncement,
    /// [`DrawAnnouncement::digest`] as logged at announcement.
    pub announcement_digest: String,
    pub beacons: Vec<BeaconValue>,
    pub result: DrawResult,
}

impl DrawRecord {
    /// Hex SHA-256 of the record's canonical JSON: what the transparency
    /// visit cases cite.
    pub fn digest(&self) -> String {
        canonical::digest(self)
    }

    /// The subject of the transparency visit case of each selected facility,
    /// in order of selection.
    pub fn visit_subjects(&self) -> Vec<crate::case::Subject> {
        let digest = self.digest();
        self.result
            .picks
            .iter()
            .map(|pick| crate::case::Subject::DrawnFacility {
                facility: pick.facility.clone(),
                draw_id: self.announcement.draw_id.clone(),
                draw_record_sha256: digest.clone(),
            })
            .collect()
    }
}

/// Plain-language instructions for checking a published draw, for the
/// draw's publication page.
pub fn verification_instructions(record: &DrawRecord) -> String {
    let announcement = &record.announcement;
    let mut text = format!(
        "How to check draw {id} (transparency visits {year})\n\n\
         1. The announcement was published, and its digest logged, before the randomness existed.\n   \
            Announcement digest (SHA-256 of its canonical JSON): {digest}\n   \
            Pool: {facilities} declared facilities, digest {pool}\n   \
            Rules: at most {total} visits, {per_party} per State Party, a facility at most {per_facility} times in {window} years (parameter set {version}, digest {params}).\n\
         2. The randomness:\n",
        id = announcement.draw_id,
        year = announcement.year,
        digest = record.announcement_digest,
        facilities = announcement.pool.len(),
        pool = announcement.pool_digest,
        total = announcement.rules.total_per_year,
        per_party = announcement.rules.max_per_state_party_per_year,
        per_facility = announcement.rules.max_per_facility_in_window,
        window = announcement.rules.facility_window_years,
        version = announcement.rules.parameter_set_version,
        params = announcement.rules.parameter_set_digest,
    );
    for (source, beacon) in announcement.sources.iter().zip(&record.beacons) {
        let line = match (source, beacon) {
            (RandomnessSource::Drand { chain_hash, round }, BeaconValue::Drand(value)) => format!(
                "   - drand round {round} of chain {chain_hash} (published {at}); signature {signature}. Check it at any drand relay (/{chain_hash}/public/{round}); its randomness is SHA-256 of the signature.\n",
                at = drand::round_time(*round).to_rfc3339(),
                signature = value.signature,
            ),
            (
                RandomnessSource::Lottery {
                    name, draw_date, ..
                },
                BeaconValue::Lottery { numbers },
            ) => format!(
                "   - lottery {name} of {date}: {numbers}. Check them against the lottery's official results.\n",
                date = draw_date.to_rfc3339(),
                numbers = numbers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => "   - (the record's beacon does not match the announced source)\n".to_owned(),
        };
        text.push_str(&line);
    }
    text.push_str(&format!(
        "3. RFC 3797: each source's numbers are sorted and written as decimals with a period after each, each source is followed by '/'; the key string is\n   {key}\n   \
         The i-th value is MD5 of the two-byte counter i, the key string and the counter again. Each facility holds as many tickets as its declaration type's weight, laid out in pool order; \
         the value modulo the tickets left picks one. A facility drawn, or a State Party at its cap, leaves the drum.\n\
         4. Re-run it yourself: bwcv draw verify DRAW.json (exit code 0: identical; 1: it lists every difference).\n",
        key = record.result.key_string,
    ));
    text
}

/// Checks the beacon values against the announced sources and returns each
/// source's numbers for the key string, in announced order.
pub fn source_numbers(
    announcement: &DrawAnnouncement,
    beacons: &[BeaconValue],
) -> Result<Vec<Vec<Number>>, DrawError> {
    if beacons.len() != announcement.sources.len() {
        return Err(DrawError::BeaconCount {
            given: beacons.len(),
            expected: announcement.sources.len(),
        });
    }
    let mut sources = Vec::with_capacity(beacons.len());
    for (index, (source, beacon)) in announcement.sources.iter().zip(beacons).enumerate() {
        let position = index + 1;
        match (source, beacon) {
            (RandomnessSource::Drand { chain_hash, round }, BeaconValue::Drand(value)) => {
                if value.round != *round {
                    return Err(DrawError::BeaconRound {
                        position,
                        announced: *round,
                        given: value.round,
                    });
                }
                let randomness = drand::verify(chain_hash, value)
                    .map_err(|error| DrawError::Drand { position, error })?;
                sources.push(vec![Number::from_be_bytes(&randomness)]);
            }
            (
                RandomnessSource::Lottery { name, numbers, .. },
                BeaconValue::Lottery { numbers: given },
            ) => {
                if given.len() != *numbers || given.is_empty() {
                    return Err(DrawError::LotteryCount {
                        position,
                        name: name.clone(),
                        expected: *numbers,
                        given: given.len(),
                    });
                }
                sources.push(given.clone());
            }
            (source, beacon) => {
                return Err(DrawError::BeaconKind {
                    position,
                    announced: source.kind_name(),
                    given: beacon.kind_name(),
                });
            }
        }
    }
    Ok(sources)
}

/// Checks the beacons and runs the draw.
pub fn run(
    announcement: &DrawAnnouncement,
    beacons: &[BeaconValue],
) -> Result<DrawRecord, DrawError> {
    announcement.check()?;
    let sources = source_numbers(announcement, beacons)?;
    let key = rfc3797::key_string(&sources)?;
    let result = select(announcement, &key)?;
    Ok(DrawRecord {
        announcement: announcement.clone(),
        announcement_digest: announcement.digest(),
        beacons: beacons.to_vec(),
        result,
    })
}

/// The selection loop, given the key string.
///
/// - Facilities selected `max_per_facility_in_window` times or more in the
///   previous `facility_window_years - 1` years, and facilities with zero
///   tickets, are excluded; the rest keep their public order.
/// - For counter `i = 0, 1, ...` while fewer than `total_per_year` are
///   selected and tickets remain: `T` is the number of tickets still in the
///   drum, the remainder `r` of the `i`-th RFC 3797 value divided by `T`
///   names the ticket; tickets are laid out facility by facility in public
///   order. That facility is selected and all its tickets leave the drum;
///   when its State Party reaches `max_per_state_party_per_year`, all of that
///   State Party's tickets leave too.
///
/// With one ticket each and no cap reached this is exactly RFC 3797 §4.
pub fn select(announcement: &DrawAnnouncement, key: &str) -> Result<DrawResult, DrawError> {
    let rules = &announcement.rules;
    let pool = &announcement.pool;
    let mut past_counts: BTreeMap<&str, u32> = BTreeMap::new();
    for past in &announcement.history {
        *past_counts.entry(past.facility.as_str()).or_default() += 1;
    }
    // State Parties by index, and each one's facilities.
    let mut party_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut party_of = Vec::with_capacity(pool.len());
    let mut facilities_of: Vec<Vec<usize>> = Vec::new();
    for (index, entry) in pool.iter().enumerate() {
        let code = state_party_code(&entry.facility);
        let next = party_index.len();
        let party = *party_index.entry(code).or_insert(next);
        if party == facilities_of.len() {
            facilities_of.push(Vec::new());
        }
        facilities_of[party].push(index);
        party_of.push(party);
    }
    let mut excluded = Vec::new();
    let mut drum = Drum::new(pool.len());
    for (index, entry) in pool.iter().enumerate() {
        let count = past_counts
            .get(entry.facility.as_str())
            .copied()
            .unwrap_or(0);
        let tickets = rules.tickets(&entry.declaration_type);
        if count >= rules.max_per_facility_in_window {
            excluded.push(Exclusion {
                facility: entry.facility.clone(),
                reason: ExclusionReason::FacilityCap { count },
            });
        } else if tickets == 0 {
            excluded.push(Exclusion {
                facility: entry.facility.clone(),
                reason: ExclusionReason::NoTickets,
            });
        } else if rules.max_per_state_party_per_year > 0 {
            drum.set(index, u64::from(tickets));
        }
    }
    let mut per_party = vec![0_u32; facilities_of.len()];
    let mut capped = Vec::new();
    let mut picks = Vec::new();
    let mut counter: u32 = 0;
    while picks.len() < rules.total_per_year as usize && drum.total() > 0 {
        let counter16 = u16::try_from(counter).map_err(|_| DrawError::CounterExhausted)?;
        let derived = rfc3797::digest(key, counter16);
        let tickets_remaining = drum.total();
        let ticket = rfc3797::pick_index(&derived, u128::from(tickets_remaining)) as u64;
        let index = drum.find(ticket);
        drum.set(index, 0);
        let entry = &pool[index];
        let party = party_of[index];
        picks.push(DrawPick {
            order: picks.len() + 1,
            counter: counter16,
            digest_hex: hex::encode_upper(derived),
            tickets_remaining,
            ticket,
            facility: entry.facility.clone(),
            state_party: entry.facility.state_party(),
            declaration_type: entry.declaration_type.clone(),
        });
        per_party[party] += 1;
        if per_party[party] >= rules.max_per_state_party_per_year {
            capped.push(entry.facility.state_party());
            for &other in &facilities_of[party] {
                drum.set(other, 0);
            }
        }
        counter += 1;
    }
    Ok(DrawResult {
        key_string: key.to_owned(),
        picks,
        excluded,
        state_parties_capped: capped,
    })
}

/// The part of a facility identifier before `-F`.
fn state_party_code(facility: &FacilityId) -> &str {
    facility
        .as_str()
        .split_once("-F")
        .map_or(facility.as_str(), |(code, _)| code)
}

/// Tickets per pool position with prefix sums (a Fenwick tree), so that
/// "the facility holding ticket r when tickets are laid out in public order"
/// is found in O(log n). Same answer as a linear scan, only faster.
#[derive(Debug)]
struct Drum {
    tickets: Vec<u64>,
    tree: Vec<u64>,
    total: u64,
}

impl Drum {
    fn new(size: usize) -> Self {
        Self {
            tickets: vec![0; size],
            tree: vec![0; size + 1],
            total: 0,
        }
    }

    fn total(&self) -> u64 {
        self.total
    }

    fn set(&mut self, index: usize, tickets: u64) {
        let old = self.tickets[index];
        if old == tickets {
            return;
        }
        self.tickets[index] = tickets;
        self.total = self.total - old + tickets;
        let mut node = index + 1;
        while node < self.tree.len() {
            self.tree[node] = self.tree[node] - old + tickets;
            node += node & node.wrapping_neg();
        }
    }

    /// The position holding 0-based ticket `ticket` (< total).
    fn find(&self, ticket: u64) -> usize {
        let mut position = 0;
        let mut remaining = ticket;
        let mut step = (self.tree.len()).next_power_of_two();
        while step > 0 {
            let next = position + step;
            if next < self.tree.len() && self.tree[next] <= remaining {
                position = next;
                remaining -= self.tree[next];
            }
            step >>= 1;
        }
        position
    }
}

/// One way in which a published record differs from a re-run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    AnnouncementDigest {
        recorded: String,
        recomputed: String,
    },
    PoolDigest {
        recorded: String,
        recomputed: String,
    },
    PoolNotCanonical {
        detail: String,
    },
    AnnouncementInvalid {
        detail: String,
    },
    BeaconRefused {
        detail: String,
    },
    KeyString {
        recorded: String,
        recomputed: String,
    },
    PickCount {
        recorded: usize,
        recomputed: usize,
    },
    Pick {
        order: usize,
        recorded: Option<FacilityId>,
        recomputed: Option<FacilityId>,
    },
    PickDetail {
        order: usize,
        field: String,
        recorded: String,
        recomputed: String,
    },
    Exclusions {
        recorded: usize,
        recomputed: usize,
    },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::AnnouncementDigest {
                recorded,
                recomputed,
            } => write!(
                f,
                "announcement digest: recorded {recorded}, the announcement in the record hashes to {recomputed}"
            ),
            Difference::PoolDigest {
                recorded,
                recomputed,
            } => write!(
                f,
                "pool digest: recorded {recorded}, the pool in the record hashes to {recomputed}"
            ),
            Difference::PoolNotCanonical { detail } => write!(f, "pool order: {detail}"),
            Difference::AnnouncementInvalid { detail } => write!(f, "announcement: {detail}"),
            Difference::BeaconRefused { detail } => write!(f, "beacon: {detail}"),
            Difference::KeyString {
                recorded,
                recomputed,
            } => write!(
                f,
                "key string: recorded {recorded:?}, the beacons give {recomputed:?}"
            ),
            Difference::PickCount {
                recorded,
                recomputed,
            } => write!(
                f,
                "number of selected facilities: recorded {recorded}, re-run gives {recomputed}"
            ),
            Difference::Pick {
                order,
                recorded,
                recomputed,
            } => {
                let show = |id: &Option<FacilityId>| {
                    id.as_ref()
                        .map_or_else(|| "nothing".to_owned(), ToString::to_string)
                };
                write!(
                    f,
                    "selection #{order}: recorded {}, re-run gives {}",
                    show(recorded),
                    show(recomputed)
                )
            }
            Difference::PickDetail {
                order,
                field,
                recorded,
                recomputed,
            } => write!(
                f,
                "selection #{order} {field}: recorded {recorded}, re-run gives {recomputed}"
            ),
            Difference::Exclusions {
                recorded,
                recomputed,
            } => write!(
                f,
                "excluded facilities: recorded {recorded}, re-run gives {recomputed}"
            ),
        }
    }
}

/// Re-runs the draw from the published record. An empty list means the
/// record is exactly what the announced method gives for these beacons.
pub fn verify(record: &DrawRecord) -> Vec<Difference> {
    let mut differences = Vec::new();
    let announcement = &record.announcement;
    let recomputed_digest = announcement.digest();
    if recomputed_digest != record.announcement_digest {
        differences.push(Difference::AnnouncementDigest {
            recorded: record.announcement_digest.clone(),
            recomputed: recomputed_digest,
        });
    }
    let recomputed_pool = pool_digest(&announcement.pool);
    if recomputed_pool != announcement.pool_digest {
        differences.push(Difference::PoolDigest {
            recorded: announcement.pool_digest.clone(),
            recomputed: recomputed_pool,
        });
    }
    for pair in announcement.pool.windows(2) {
        if pair[0].facility >= pair[1].facility {
            differences.push(Difference::PoolNotCanonical {
                detail: format!(
                    "{} is listed before {}; the pool must be sorted by facility without repeats",
                    pair[0].facility, pair[1].facility
                ),
            });
            break;
        }
    }
    if let Err(error) = announcement.check() {
        differences.push(Difference::AnnouncementInvalid {
            detail: error.to_string(),
        });
    }
    let sources = match source_numbers(announcement, &record.beacons) {
        Ok(sources) => sources,
        Err(error) => {
            differences.push(Difference::BeaconRefused {
                detail: error.to_string(),
            });
            return differences;
        }
    };
    let key = match rfc3797::key_string(&sources) {
        Ok(key) => key,
        Err(error) => {
            differences.push(Difference::BeaconRefused {
                detail: error.to_string(),
            });
            return differences;
        }
    };
    if key != record.result.key_string {
        differences.push(Difference::KeyString {
            recorded: record.result.key_string.clone(),
            recomputed: key.clone(),
        });
    }
    let rerun = match select(announcement, &key) {
        Ok(rerun) => rerun,
        Err(error) => {
            differences.push(Difference::AnnouncementInvalid {
                detail: error.to_string(),
            });
            return differences;
        }
    };
    let recorded = &record.result.picks;
    if recorded.len() != rerun.picks.len() {
        differences.push(Difference::PickCount {
            recorded: recorded.len(),
            recomputed: rerun.picks.len(),
        });
    }
    for order in 0..recorded.len().max(rerun.picks.len()) {
        let mine = recorded.get(order);
        let theirs = rerun.picks.get(order);
        match (mine, theirs) {
            (Some(mine), Some(theirs)) if mine.facility == theirs.facility => {
                let fields = [
                    ("order", mine.order.to_string(), theirs.order.to_string()),
                    (
                        "counter",
                        mine.counter.to_string(),
                        theirs.counter.to_string(),
                    ),
                    ("digest", mine.digest_hex.clone(), theirs.digest_hex.clone()),
                    (
                        "tickets remaining",
                        mine.tickets_remaining.to_string(),
                        theirs.tickets_remaining.to_string(),
                    ),
                    ("ticket", mine.ticket.to_string(), theirs.ticket.to_string()),
                    (
                        "state party",
                        mine.state_party.to_string(),
                        theirs.state_party.to_string(),
                    ),
                    (
                        "declaration type",
                        mine.declaration_type.clone(),
                        theirs.declaration_type.clone(),
                    ),
                ];
                for (field, recorded, recomputed) in fields {
                    if recorded != recomputed {
                        differences.push(Difference::PickDetail {
                            order: order + 1,
                            field: field.to_owned(),
                            recorded,
                            recomputed,
                        });
                    }
                }
            }
            (None, None) => {}
            (mine, theirs) => differences.push(Difference::Pick {
                order: order + 1,
                recorded: mine.map(|p| p.facility.clone()),
                recomputed: theirs.map(|p| p.facility.clone()),
            }),
        }
    }
    if record.result.excluded != rerun.excluded {
        differences.push(Difference::Exclusions {
            recorded: record.result.excluded.len(),
            recomputed: rerun.excluded.len(),
        });
    }
    differences
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::drand::QUICKNET_CHAIN_HASH;

    pub(crate) fn rules() -> DrawRules {
        DrawRules::from_params(ParameterSet::builtin()).unwrap()
    }

    pub(crate) fn pool(state_parties: &[&str], per_state_party: usize) -> Vec<PoolEntry> {
        let mut pool = Vec::new();
        for code in state_parties {
            for serial in 1..=per_state_party {
                pool.push(PoolEntry {
                    facility: FacilityId::new(&format!("{code}-F{serial:04}")).unwrap(),
                    declaration_type: if serial % 2 == 0 { "CBM-A2" } else { "CBM-A1" }.to_owned(),
                });
            }
        }
        pool
    }

    pub(crate) fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// quicknet round 1000 (see `drand::tests`).
    pub(crate) fn beacon_1000() -> BeaconValue {
        BeaconValue::Drand(drand::Beacon {
            round: 1000,
            signature: "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39".to_owned(),
            randomness: Some("fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd".to_owned()),
        })
    }

    pub(crate) fn announcement(rules: DrawRules, pool: Vec<PoolEntry>) -> DrawAnnouncement {
        DrawAnnouncement::new(
            "draw-2023",
            2023,
            at("2023-07-01T00:00:00Z"),
            rules,
            pool,
            Vec::new(),
            vec![
                RandomnessSource::Drand {
                    chain_hash: QUICKNET_CHAIN_HASH.to_owned(),
                    round: 1000,
                },
                RandomnessSource::Lottery {
                    name: "Example Lotto".to_owned(),
                    draw_date: at("2023-09-02T20:00:00Z"),
                    numbers: 3,
                },
            ],
        )
        .unwrap()
    }

    pub(crate) fn beacons() -> Vec<BeaconValue> {
        vec![
            beacon_1000(),
            BeaconValue::Lottery {
                numbers: ["17", "3", "42"]
                    .iter()
                    .map(|n| Number::parse(n).unwrap())
                    .collect(),
            },
        ]
    }

    #[test]
    fn rules_come_from_parameters() {
        let rules = rules();
        let params = ParameterSet::builtin();
        assert_eq!(
            i64::from(rules.total_per_year),
            params.integer(PARAM_TOTAL).unwrap()
        );
        assert_eq!(
            i64::from(rules.max_per_state_party_per_year),
            params.integer(PARAM_MAX_PER_STATE_PARTY).unwrap()
        );
        assert_eq!(rules.parameter_set_digest, params.digest());
    }

    #[test]
    fn key_string_takes_sources_in_announced_order() {
        let record = run(&announcement(rules(), pool(&["ARC", "BOR"], 3)), &beacons()).unwrap();
        let randomness = "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd";
        let decimal = Number::from_be_bytes(&hex::decode(randomness).unwrap()).canonical();
        assert_eq!(record.result.key_string, format!("{decimal}/3.17.42./"));
    }

    #[test]
    fn unit_tickets_without_caps_is_plain_rfc3797() {
        let mut rules = rules();
        rules.total_per_year = 10;
        rules.max_per_state_party_per_year = 100;
        let pool = pool(&["ARC", "BOR", "CYR", "DUN", "ELM"], 5);
        let announcement = announcement(rules, pool);
        let record = run(&announcement, &beacons()).unwrap();
        let plain = rfc3797::select(&record.result.key_string, 25, 10).unwrap();
        let expected: Vec<&FacilityId> = plain
            .iter()
            .map(|pick| &announcement.pool[pick.selected - 1].facility)
            .collect();
        let drawn: Vec<&FacilityId> = record.result.picks.iter().map(|p| &p.facility).collect();
        assert_eq!(drawn, expected);
        assert!(verify(&record).is_empty());
    }

    #[test]
    fn selected_facilities_become_visit_subjects() {
        let record = run(&announcement(rules(), pool(&["ARC", "BOR"], 2)), &beacons()).unwrap();
        let subjects = record.visit_subjects();
        assert_eq!(subjects.len(), record.result.picks.len());
        let crate::case::Subject::DrawnFacility {
            facility,
            draw_id,
            draw_record_sha256,
        } = &subjects[0]
        else {
            panic!("not a drawn facility");
        };
        assert_eq!(facility, &record.result.picks[0].facility);
        assert_eq!(draw_id, "draw-2023");
        assert_eq!(draw_record_sha256, &record.digest());
    }

    #[test]
    fn instructions_name_every_input() {
        let record = run(&announcement(rules(), pool(&["ARC"], 2)), &beacons()).unwrap();
        let text = verification_instructions(&record);
        for needle in [
            record.announcement_digest.as_str(),
            record.announcement.pool_digest.as_str(),
            record.result.key_string.as_str(),
            "drand round 1000",
            "lottery Example Lotto",
            "17, 3, 42",
            "bwcv draw verify",
        ] {
            assert!(text.contains(needle), "{needle} missing from:\n{text}");
        }
    }

    #[test]
    fn caps_hold_and_are_reported() {
        let mut rules = rules();
        rules.total_per_year = 50;
        rules.max_per_state_party_per_year = 2;
        let announcement = announcement(rules, pool(&["ARC", "BOR", "CYR"], 10));
        let record = run(&announcement, &beacons()).unwrap();
        assert_eq!(record.result.picks.len(), 6, "3 State Parties x cap 2");
        assert_eq!(record.result.state_parties_capped.len(), 3);
    }

    #[test]
    fn facility_cap_excludes_from_history() {
        let rules = rules();
        let pool = pool(&["ARC"], 3);
        let target = pool[0].facility.clone();
        let history: Vec<PastSelection> = [2019, 2020, 2021, 2022]
            .iter()
            .map(|year| PastSelection {
                year: *year,
                facility: target.clone(),
            })
            .collect();
        let mut announcement = announcement(rules, pool);
        announcement.history = history[1..].to_vec(); // 2020..2022: 3 in the window
        let record = run(&announcement, &beacons()).unwrap();
        assert!(record.result.picks.iter().all(|p| p.facility != target));
        assert_eq!(
            record.result.excluded,
            vec![Exclusion {
                facility: target.clone(),
                reason: ExclusionReason::FacilityCap { count: 3 }
            }]
        );
        // `new` keeps only the window's previous years: with 5 years, 2019..=2022 for 2023.
        let rebuilt = DrawAnnouncement::new(
            "d",
            2023,
            announcement.announced_at,
            announcement.rules.clone(),
            announcement.pool.clone(),
            vec![
                PastSelection {
                    year: 2018,
                    facility: target.clone(),
                },
                PastSelection {
                    year: 2023,
                    facility: target,
                },
            ],
            announcement.sources.clone(),
        )
        .unwrap();
        assert!(rebuilt.history.is_empty());
    }

    #[test]
    fn weights_give_tickets() {
        let mut rules = rules();
        rules.weights = vec![TypeWeight {
            declaration_type: "CBM-A1".to_owned(),
            tickets: 0,
        }];
        let announcement = announcement(rules, pool(&["ARC", "BOR"], 4));
        let record = run(&announcement, &beacons()).unwrap();
        assert!(
            record
                .result
                .picks
                .iter()
                .all(|p| p.declaration_type == "CBM-A2")
        );
        assert_eq!(record.result.picks.len(), 4);
        assert_eq!(record.result.excluded.len(), 4);
    }

    #[test]
    fn announcement_refusals() {
        let rules = rules();
        let late = DrawAnnouncement::new(
            "d",
            2023,
            at("2023-08-20T00:00:00Z"),
            rules.clone(),
            pool(&["ARC"], 2),
            Vec::new(),
            vec![RandomnessSource::Drand {
                chain_hash: QUICKNET_CHAIN_HASH.to_owned(),
                round: 1000,
            }],
        );
        assert!(matches!(late, Err(DrawError::RoundTooEarly { .. })));
        let mut twice = pool(&["ARC"], 2);
        twice.push(twice[0].clone());
        let duplicate = DrawAnnouncement::new(
            "d",
            2023,
            at("2023-07-01T00:00:00Z"),
            rules.clone(),
            twice,
            Vec::new(),
            vec![RandomnessSource::Drand {
                chain_hash: QUICKNET_CHAIN_HASH.to_owned(),
                round: 1000,
            }],
        );
        assert!(matches!(duplicate, Err(DrawError::DuplicateFacility(_))));
        let none = DrawAnnouncement::new(
            "d",
            2023,
            at("2023-07-01T00:00:00Z"),
            rules,
            pool(&["ARC"], 2),
            Vec::new(),
            Vec::new(),
        );
        assert_eq!(none, Err(DrawError::NoSources));
    }

    #[test]
    fn beacon_refusals() {
        let announcement = announcement(rules(), pool(&["ARC"], 3));
        let mut wrong_round = beacons();
        if let BeaconValue::Drand(beacon) = &mut wrong_round[0] {
            beacon.round = 999;
        }
        assert!(matches!(
            run(&announcement, &wrong_round),
            Err(DrawError::BeaconRound { .. })
        ));
        assert!(matches!(
            run(&announcement, &beacons()[..1]),
            Err(DrawError::BeaconCount { .. })
        ));
        let swapped = vec![beacons()[1].clone(), beacons()[0].clone()];
        assert!(matches!(
            run(&announcement, &swapped),
            Err(DrawError::BeaconKind { .. })
        ));
        let mut forged = beacons();
        if let BeaconValue::Drand(beacon) = &mut forged[0] {
            beacon.signature = "a".repeat(96);
            beacon.randomness = None;
        }
        assert!(matches!(
            run(&announcement, &forged),
            Err(DrawError::Drand { .. })
        ));
        let mut short = beacons();
        short[1] = BeaconValue::Lottery {
            numbers: vec![Number::integer(1)],
        };
        assert!(matches!(
            run(&announcement, &short),
            Err(DrawError::LotteryCount { .. })
        ));
    }

    #[test]
    fn verify_names_what_differs() {
        let record = run(
            &announcement(rules(), pool(&["ARC", "BOR", "CYR"], 4)),
            &beacons(),
        )
        .unwrap();
        assert_eq!(verify(&record), Vec::new());

        let mut swapped = record.clone();
        swapped.result.picks.swap(0, 1);
        let differences = verify(&swapped);
        assert!(
            matches!(differences[0], Difference::Pick { order: 1, .. }),
            "{differences:?}"
        );

        let mut added = record.clone();
        added.announcement.pool.pop();
        let differences = verify(&added);
        assert!(
            differences
                .iter()
                .any(|d| matches!(d, Difference::AnnouncementDigest { .. }))
        );
        assert!(
            differences
                .iter()
                .any(|d| matches!(d, Difference::PoolDigest { .. }))
        );

        let mut other_lottery = record.clone();
        other_lottery.beacons[1] = BeaconValue::Lottery {
            numbers: ["17", "3", "41"]
                .iter()
                .map(|n| Number::parse(n).unwrap())
                .collect(),
        };
        let differences = verify(&other_lottery);
        assert!(
            differences
                .iter()
                .any(|d| matches!(d, Difference::KeyString { .. }))
        );
        for difference in &differences {
            assert!(!difference.to_string().is_empty());
        }

        let json = serde_json::to_string(&record).unwrap();
        let back: DrawRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, record);
        assert!(verify(&back).is_empty());
    }
}
