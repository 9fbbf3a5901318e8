//! Screening: the best-match rule per region, and the per-record status.
//!
//! For every query position the engine keeps the best *score density*
//! (bits per nt, λS/ln2 divided by the span) of any significant alignment to
//! a concern reference and to a background reference, at either level. A
//! position is **concern-specific** when the concern density exceeds the
//! background density by more than `margin_bits_per_nt`; otherwise it is
//! **common** (equally well explained by unregulated organisms). Maximal runs
//! of each kind are regions; a concern-specific region is flagged when the
//! best concern alignment over it, clipped to it, has an E-value at most
//! `max_evalue` (Karlin–Altschul, record length clamped to
//! `evalue_context_nt` × reference text length, see [`Screener::evalue`]). Background alignments
//! explain positions only when they are significant themselves. Because the
//! rule is applied per region, a short insert of concern inside background
//! is flagged while its flanks are not.

#![forbid(unsafe_code)]

use serde::{Deserialize, Serialize};

use crate::db::{Database, Origin};
use crate::fastx::Record;
use crate::index::SeedError;
use crate::search::{self, Hsp, Level, Query, SearchIndex, SearchParams};

/// Screening parameters (recorded in every report). Fields unknown to this
/// engine are refused when read back ([`crate::report::screen_params_from`]),
/// so that a misspelt knob is an error rather than a silent default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenParams {
    /// Records shorter than this are not screened (status warn).
    /// Protocol parameter `seq.screen.min_fragment_nt`.
    pub min_fragment_nt: usize,
    /// A concern-specific region is flagged at or below this E-value.
    pub max_evalue: f64,
    /// A concern-specific region above `max_evalue` but at or below this
    /// E-value is reported as weak (status warn). An E-value is the number
    /// of chance alignments that good expected in the record, so this is
    /// about the share of unrelated records that warn: 0.01, 1 in 100 (with
    /// 10, three quarters of 1,000 random 50–500 nt orders warned).
    pub warn_evalue: f64,
    /// Alignments above this E-value are not kept at all (BLAST's default
    /// `-evalue 10`). Kept alignments below the warn level still shape the
    /// regions and tell the protein level where DNA already explains the
    /// record; they are never reported on their own.
    pub search_evalue: f64,
    /// Background explains a position when its density is within this many
    /// bits per nt of the concern density (0.25 ≈ 5.5 points of DNA identity).
    pub margin_bits_per_nt: f64,
    /// E-values use the record length as the query side of the search space,
    /// but at most this many nt (see [`Screener::evalue`]).
    pub evalue_context_nt: usize,
    /// Runs of the same kind separated by at most this many unexplained nt are one region.
    pub merge_gap_nt: usize,
    /// Search knobs.
    pub search: SearchParams,
}

impl Default for ScreenParams {
    fn default() -> Self {
        Self {
            min_fragment_nt: 50,
            max_evalue: 1e-3,
            warn_evalue: 1e-2,
            search_evalue: 10.0,
            margin_bits_per_nt: 0.25,
            evalue_context_nt: 10_000,
            merge_gap_nt: 20,
            search: SearchParams::default(),
        }
    }
}

/// A screening parameter outside the range the engine can run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("screening parameter {field} = {value}: {requirement}")]
pub struct ParamsError {
    /// The field as reports name it (`search.x_drop_dna`).
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// What it must be.
    pub requirement: String,
}

/// Why a [`Screener`] could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A parameter is out of range.
    #[error(transparent)]
    Params(#[from] ParamsError),
    /// A seed pattern of the database is invalid.
    #[error(transparent)]
    Seed(#[from] SeedError),
}

impl ScreenParams {
    /// Checks every field against the range the engine runs with, naming the
    /// first that is out of it. The limits on costs and lengths keep the
    /// scores inside `i32` and the gapped join's table
    /// ([`search::MAX_JOIN_GAP_NT`]) inside memory; E-values must be
    /// positive and ordered flag ≤ warn ≤ kept, since a level's alignments
    /// must be kept to be judged.
    pub fn validate(&self) -> Result<(), ParamsError> {
        fn out(
            field: &'static str,
            value: impl std::fmt::Display,
            requirement: String,
        ) -> ParamsError {
            ParamsError {
                field,
                value: value.to_string(),
                requirement,
            }
        }
        let positive = |field: &'static str, value: f64| {
            if value.is_finite() && value > 0.0 {
                Ok(())
            } else {
                Err(out(field, value, "must be a positive number".into()))
            }
        };
        positive("max_evalue", self.max_evalue)?;
        positive("warn_evalue", self.warn_evalue)?;
        positive("search_evalue", self.search_evalue)?;
        if self.warn_evalue < self.max_evalue {
            return Err(out(
                "warn_evalue",
                self.warn_evalue,
                format!("must be at least max_evalue ({})", self.max_evalue),
            ));
        }
        if self.search_evalue < self.warn_evalue {
            return Err(out(
                "search_evalue",
                self.search_evalue,
                format!("must be at least warn_evalue ({})", self.warn_evalue),
            ));
        }
        if !(self.margin_bits_per_nt.is_finite() && self.margin_bits_per_nt >= 0.0) {
            return Err(out(
                "margin_bits_per_nt",
                self.margin_bits_per_nt,
                "must be a number of at least 0".into(),
            ));
        }
        if self.evalue_context_nt == 0 {
            return Err(out("evalue_context_nt", 0, "must be at least 1".into()));
        }
        let search = &self.search;
        let within = |field: &'static str, value: i32, max: i32| {
            if (0..=max).contains(&value) {
                Ok(())
            } else {
                Err(out(field, value, format!("must be between 0 and {max}")))
            }
        };
        within("search.x_drop_dna", search.x_drop_dna, search::MAX_X_DROP)?;
        within(
            "search.x_drop_protein",
            search.x_drop_protein,
            search::MAX_X_DROP,
        )?;
        within("search.gap_open", search.gap_open, search::MAX_GAP_COST)?;
        within("search.gap_extend", search.gap_extend, search::MAX_GAP_COST)?;
        if search.window_nt == 0 {
            return Err(out("search.window_nt", 0, "must be at least 1".into()));
        }
        if search.join_max_gap_nt > search::MAX_JOIN_GAP_NT {
            return Err(out(
                "search.join_max_gap_nt",
                search.join_max_gap_nt,
                format!("must be at most {}", search::MAX_JOIN_GAP_NT),
            ));
        }
        for (field, value) in [
            (
                "search.dna_seed_skip_bits_per_nt",
                search.dna_seed_skip_bits_per_nt,
            ),
            (
                "search.protein_skip_bits_per_nt",
                search.protein_skip_bits_per_nt,
            ),
        ] {
            if value.is_nan() {
                return Err(out(field, value, "must be a number".into()));
            }
        }
        Ok(())
    }
}

/// Outcome for one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// At least one region of concern.
    Flag,
    /// Weak evidence of concern, or the record could not be fully screened.
    Warn,
    /// No region of concern.
    Pass,
}

impl Status {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Flag => "flag",
            Status::Warn => "warn",
            Status::Pass => "pass",
        }
    }
}

/// Kind of a reported region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionKind {
    /// Best explained by a regulated taxon: flagged.
    Concern,
    /// Concern-specific but not significant enough to flag.
    Weak,
    /// Matches concern but equally well explained by background.
    Common,
}

impl RegionKind {
    /// Name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            RegionKind::Concern => "concern",
            RegionKind::Weak => "weak",
            RegionKind::Common => "common",
        }
    }
}

/// The best background alignment over a region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackgroundEvidence {
    /// Reference name.
    pub reference: String,
    /// Its taxid.
    pub taxid: Option<u32>,
    /// Its taxon name.
    pub taxon: Option<String>,
    /// Level of the alignment.
    pub level: Level,
    /// Identity of the alignment.
    pub identity: f64,
    /// Score density (bits per nt).
    pub bits_per_nt: f64,
}

/// A region of a record that matches a sequence of concern.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Region {
    /// Concern, weak or common.
    pub kind: RegionKind,
    /// Start on the record (1-based, inclusive).
    pub start: usize,
    /// End on the record (1-based, inclusive).
    pub end: usize,
    /// '+' when the record aligns to the reference's forward strand.
    pub strand: char,
    /// Query frame of a protein-level match (+1..+3, −1..−3), else 0.
    pub frame: i8,
    /// Level of the best concern alignment.
    pub level: Level,
    /// Matched reference.
    pub reference: String,
    /// Reference coordinates of the region (1-based, inclusive; residues of the reference).
    pub reference_start: u64,
    /// End on the reference.
    pub reference_end: u64,
    /// Taxid of the matched reference.
    pub taxid: Option<u32>,
    /// Taxon name.
    pub taxon: Option<String>,
    /// List entry id (concern references).
    pub list_entry: Option<String>,
    /// List entry name.
    pub list_entry_name: Option<String>,
    /// Identity of the best concern alignment (at its level).
    pub identity: f64,
    /// Length of the region in nt.
    pub aligned_length: usize,
    /// Bits of the best concern alignment clipped to the region.
    pub bits: f64,
    /// E-value of those bits.
    pub evalue: f64,
    /// Score density of the concern alignment (bits per nt).
    pub concern_bits_per_nt: f64,
    /// Best background alignment over the region, if any.
    pub background: Option<BackgroundEvidence>,
}

/// The screening result of one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordReport {
    /// Record identifier.
    pub record: String,
    /// Input file the record came from.
    pub file: String,
    /// Record length in nt.
    pub length: usize,
    /// flag / warn / pass.
    pub status: Status,
    /// Regions, in record order.
    pub regions: Vec<Region>,
    /// Why the status is warn without a region, if so.
    pub note: Option<String>,
}

/// Engine for one database: its indexes and parameters.
#[derive(Debug)]
pub struct Screener<'a> {
    database: &'a Database,
    index: SearchIndex<'a>,
    params: ScreenParams,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    None,
    Specific,
    Common,
}

impl<'a> Screener<'a> {
    /// Checks `params` ([`ScreenParams::validate`]) and builds the indexes of `database`.
    pub fn new(database: &'a Database, params: ScreenParams) -> Result<Self, Error> {
        params.validate()?;
        let index = SearchIndex::build(database, params.search.protein_level)?;
        Ok(Self {
            database,
            index,
            params,
        })
    }

    /// Parameters in force.
    pub fn params(&self) -> &ScreenParams {
        &self.params
    }

    /// The database screened against.
    pub fn database(&self) -> &Database {
        self.database
    }

    /// Karlin–Altschul E-value of `bits` for an alignment in a record of
    /// `record_nt` nt: search space `m × n` with `n` the residues of the whole
    /// reference text and `m` the record length clamped to
    /// `min_fragment_nt..=evalue_context_nt` (in codons at protein level).
    /// The clamp keeps the multiple-testing correction of an order (a chance
    /// 24-nt match inside a 500-nt order is not significant) while an insert in
    /// a genome-length record is judged against `evalue_context_nt` around it,
    /// not diluted by megabases of unrelated sequence.
    pub fn evalue(&self, level: Level, bits: f64, record_nt: usize) -> f64 {
        self.search_space(level, record_nt) * (-bits * std::f64::consts::LN_2).exp()
    }

    fn search_space(&self, level: Level, record_nt: usize) -> f64 {
        let record_nt = record_nt
            .min(self.params.evalue_context_nt)
            .max(self.params.min_fragment_nt)
            .max(1) as f64;
        match level {
            Level::Dna => record_nt * self.index.dna_length(),
            Level::Protein => (record_nt / 3.0).max(1.0) * self.index.protein_length(),
        }
    }

    /// Bits below which an alignment cannot reach `evalue` in a record of `record_nt`.
    fn min_bits(&self, level: Level, record_nt: usize, evalue: f64) -> f64 {
        (self.search_space(level, record_nt) / evalue).log2()
    }

    /// All significant alignments of `sequence` (windows searched in parallel).
    pub fn alignments(&self, sequence: &[u8]) -> Vec<Hsp> {
        use rayon::prelude::*;
        let search_params = &self.params.search;
        let query = Query::new(sequence, search_params.protein_level);
        let length = query.len();
        let window = search_params.window_nt.max(1);
        let search_evalue = self.params.search_evalue;
        let min_bits_dna = self.min_bits(Level::Dna, length, search_evalue);
        let min_bits_protein = self.min_bits(Level::Protein, length, search_evalue);
        // what a DNA alignment needs to count in the best-match rule
        let min_bits_counted_dna = self.min_bits(Level::Dna, length, self.params.max_evalue);
        let windows: Vec<(usize, usize)> = (0..length.div_ceil(window))
            .map(|index| (index * window, ((index + 1) * window).min(length)))
            .collect();
        let mut hsps: Vec<Hsp> = windows
            .par_iter()
            .flat_map_iter(|&(start, end)| {
                search::search_window(
                    self.database,
                    &self.index,
                    &query,
                    start..end,
                    search_params,
                    min_bits_dna,
                    min_bits_protein,
                    min_bits_counted_dna,
                )
            })
            .collect();
        hsps.sort_by(|left, right| {
            (
                left.query_start,
                left.query_end,
                left.reference,
                left.level,
                left.reference_start,
            )
                .cmp(&(
                    right.query_start,
                    right.query_end,
                    right.reference,
                    right.level,
                    right.reference_start,
                ))
                .then(right.score.cmp(&left.score))
        });
        hsps.dedup_by(|later, earlier| {
            later.query_start == earlier.query_start
                && later.query_end == earlier.query_end
                && later.reference == earlier.reference
                && later.level == earlier.level
                && later.reference_start == earlier.reference_start
                && later.reverse == earlier.reverse
        });
        hsps
    }

    /// Screens a batch of records in parallel; results in input order.
    pub fn screen_batch(&self, records: &[(Record, String)]) -> Vec<RecordReport> {
        use rayon::prelude::*;
        records
            .par_iter()
            .map(|(record, file)| self.screen(record, file))
            .collect()
    }

    /// Screens one record.
    pub fn screen(&self, record: &Record, file: &str) -> RecordReport {
        let length = record.sequence.len();
        let mut report = RecordReport {
            record: record.id.clone(),
            file: file.to_string(),
            length,
            status: Status::Pass,
            regions: Vec::new(),
            note: None,
        };
        if length < self.params.min_fragment_nt {
            report.status = Status::Warn;
            report.note = Some(format!(
                "shorter than the minimum fragment length ({} nt): not screened",
                self.params.min_fragment_nt
            ));
            return report;
        }
        let hsps = self.alignments(&record.sequence);
        report.regions = self.regions(&hsps, length);
        report.status = if report
            .regions
            .iter()
            .any(|region| region.kind == RegionKind::Concern)
        {
            Status::Flag
        } else if report
            .regions
            .iter()
            .any(|region| region.kind == RegionKind::Weak)
        {
            Status::Warn
        } else {
            Status::Pass
        };
        report
    }

    /// Applies the best-match rule to `hsps` of a query of `length` nt.
    pub fn regions(&self, hsps: &[Hsp], length: usize) -> Vec<Region> {
        let references = &self.database.meta.references;
        let is_concern = |hsp: &Hsp| references[hsp.reference as usize].origin == Origin::Concern;
        let mut concern = vec![0f32; length];
        let mut background = vec![0f32; length];
        for hsp in hsps {
            let density = hsp.density() as f32;
            let target = if is_concern(hsp) {
                &mut concern
            } else if self.evalue(hsp.level, hsp.bits(), length) <= self.params.max_evalue {
                // background explains positions only with a significant
                // alignment: a short chance match of high density must not
                // split a long alignment of concern (regression: 50-nt orders
                // lost against a 10 Mb background)
                &mut background
            } else {
                continue;
            };
            for value in &mut target[hsp.query_start..hsp.query_end.min(length)] {
                if density > *value {
                    *value = density;
                }
            }
        }
        let margin = self.params.margin_bits_per_nt as f32;
        let classes: Vec<Class> = (0..length)
            .map(|position| {
                if concern[position] <= 0.0 {
                    Class::None
                } else if concern[position] - background[position] > margin {
                    Class::Specific
                } else {
                    Class::Common
                }
            })
            .collect();
        // maximal runs, merging runs of one class across short unexplained gaps
        let mut runs: Vec<(Class, usize, usize)> = Vec::new();
        let mut position = 0;
        while position < length {
            let class = classes[position];
            let start = position;
            while position < length && classes[position] == class {
                position += 1;
            }
            if class == Class::None {
                continue;
            }
            if let Some(last) = runs.last_mut() {
                if last.0 == class && start - last.2 <= self.params.merge_gap_nt {
                    last.2 = position;
                    continue;
                }
            }
            runs.push((class, start, position));
        }
        let mut regions = Vec::new();
        for (class, start, end) in runs {
            if let Some(region) = self.region(hsps, class, start, end, length) {
                regions.push(region);
            }
        }
        regions
    }

    fn region(
        &self,
        hsps: &[Hsp],
        class: Class,
        start: usize,
        end: usize,
        length: usize,
    ) -> Option<Region> {
        let references = &self.database.meta.references;
        let overlap = |hsp: &Hsp| {
            let low = hsp.query_start.max(start);
            let high = hsp.query_end.min(end);
            high.saturating_sub(low)
        };
        let clipped_score = |hsp: &Hsp| {
            f64::from(hsp.score) * overlap(hsp) as f64 / hsp.query_length().max(1) as f64
        };
        // background counts only with a significant alignment, as in the
        // rule (regression: a chance 12-nt E. coli match was reported as the
        // "best background" of a 50-nt mpox order, at identity 1.0)
        let counts = |hsp: &Hsp| {
            references[hsp.reference as usize].origin == Origin::Concern
                || self.evalue(hsp.level, hsp.bits(), length) <= self.params.max_evalue
        };
        let best_of = |origin: Origin| {
            hsps.iter()
                .filter(|hsp| {
                    references[hsp.reference as usize].origin == origin
                        && overlap(hsp) > 0
                        && counts(hsp)
                })
                .max_by(|left, right| {
                    let left_bits = left.level.bits(clipped_score(left));
                    let right_bits = right.level.bits(clipped_score(right));
                    left_bits
                        .total_cmp(&right_bits)
                        .then(right.reference.cmp(&left.reference))
                })
        };
        let best = best_of(Origin::Concern)?;
        let bits = best.level.bits(clipped_score(best));
        let evalue = self.evalue(best.level, bits, length);
        let kind = match class {
            Class::Specific if evalue <= self.params.max_evalue => RegionKind::Concern,
            Class::Specific if evalue <= self.params.warn_evalue => RegionKind::Weak,
            Class::Common if evalue <= self.params.max_evalue => RegionKind::Common,
            _ => return None,
        };
        let reference = &references[best.reference as usize];
        // reference coordinates of the region through the alignment's diagonal
        let low = best.query_start.max(start);
        let high = best.query_end.min(end);
        let scale =
            (best.reference_end - best.reference_start) as f64 / best.query_length().max(1) as f64;
        let (from_start, from_end) = (
            (low - best.query_start) as f64 * scale,
            (high - best.query_start) as f64 * scale,
        );
        let (reference_start, reference_end) = if best.reverse {
            (
                best.reference_end - from_end.round() as u64,
                best.reference_end - from_start.round() as u64,
            )
        } else {
            (
                best.reference_start + from_start.round() as u64,
                best.reference_start + from_end.round() as u64,
            )
        };
        let background = best_of(Origin::Background).map(|hsp| {
            let background_reference = &references[hsp.reference as usize];
            BackgroundEvidence {
                reference: background_reference.name.clone(),
                taxid: background_reference.taxid,
                taxon: background_reference.taxon.clone(),
                level: hsp.level,
                identity: hsp.identity(),
                bits_per_nt: hsp.density(),
            }
        });
        Some(Region {
            kind,
            start: start + 1,
            end,
            strand: if best.reverse { '-' } else { '+' },
            frame: best.query_frame,
            level: best.level,
            reference: reference.name.clone(),
            reference_start: reference_start + 1,
            reference_end: reference_end.max(reference_start + 1),
            taxid: reference.taxid,
            taxon: reference.taxon.clone(),
            list_entry: reference.list_entry.as_ref().map(|entry| entry.id.clone()),
            list_entry_name: reference
                .list_entry
                .as_ref()
                .map(|entry| entry.name.clone()),
            identity: best.identity(),
            aligned_length: end - start,
            bits,
            evalue,
            concern_bits_per_nt: best.density(),
            background,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid() {
        ScreenParams::default().validate().expect("defaults");
    }

    #[test]
    fn every_out_of_range_parameter_is_named() {
        type Change = fn(&mut ScreenParams);
        let cases: &[(&str, Change)] = &[
            ("max_evalue", |p| p.max_evalue = 0.0),
            ("max_evalue", |p| p.max_evalue = f64::NAN),
            ("warn_evalue", |p| p.warn_evalue = -1.0),
            ("warn_evalue", |p| p.warn_evalue = p.max_evalue / 2.0),
            ("search_evalue", |p| p.search_evalue = p.warn_evalue / 2.0),
            ("search_evalue", |p| p.search_evalue = f64::INFINITY),
            ("margin_bits_per_nt", |p| p.margin_bits_per_nt = -0.1),
            ("evalue_context_nt", |p| p.evalue_context_nt = 0),
            ("search.x_drop_dna", |p| p.search.x_drop_dna = -1),
            ("search.x_drop_protein", |p| {
                p.search.x_drop_protein = search::MAX_X_DROP + 1;
            }),
            ("search.gap_open", |p| p.search.gap_open = i32::MAX),
            ("search.gap_extend", |p| p.search.gap_extend = -2),
            ("search.window_nt", |p| p.search.window_nt = 0),
            ("search.join_max_gap_nt", |p| {
                p.search.join_max_gap_nt = search::MAX_JOIN_GAP_NT + 1;
            }),
            ("search.dna_seed_skip_bits_per_nt", |p| {
                p.search.dna_seed_skip_bits_per_nt = f64::NAN;
            }),
            ("search.protein_skip_bits_per_nt", |p| {
                p.search.protein_skip_bits_per_nt = f64::NAN;
            }),
        ];
        for (field, change) in cases {
            let mut params = ScreenParams::default();
            change(&mut params);
            let error = params.validate().expect_err(field);
            assert_eq!(error.field, *field);
            assert!(error.to_string().contains(field), "{error}");
        }
        // the limits themselves are accepted
        let mut params = ScreenParams::default();
        params.search.x_drop_dna = search::MAX_X_DROP;
        params.search.gap_open = 0;
        params.search.gap_extend = search::MAX_GAP_COST;
        params.search.join_max_gap_nt = search::MAX_JOIN_GAP_NT;
        params.warn_evalue = params.max_evalue;
        params.search_evalue = params.max_evalue;
        params.validate().expect("at the limits");
    }
}
