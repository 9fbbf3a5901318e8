//! The controlled lists: agents, toxins, genetic elements and dual-use
//! equipment that declarations, cases and sequence screening refer to.
//!
//! The 2001 draft protocol's annex of agents and toxins is not available, so
//! bwcv uses the Australia Group common control lists as its stand-in:
//! - "List of Human and Animal Pathogens and Toxins for Export Control"
//!   (viruses, bacteria, fungi, toxins, and the genetic elements and
//!   genetically modified organisms clauses of that list),
//! - "List of Plant Pathogens for Export Control" (with its own genetic
//!   elements clauses),
//! - "Control List of Dual-Use Biological Equipment and Related Technology
//!   and Software".
//!
//! The lists are versioned data (TOML under `crates/bwcv-core/data/lists/`)
//! compiled into the crate; [`Catalogue::builtin`] parses them once. Each
//! list carries its version date and source; each entry its category, name,
//! synonyms and, where one exists, its NCBI Taxonomy ID.
//!
//! Look-ups ([`Catalogue::find`]) never guess: an exact name, synonym, entry
//! id or taxid is a match; otherwise a unique substring or word match is a
//! match, several are [`Lookup::Ambiguous`], none is [`Lookup::NotFound`]
//! with close spellings offered as suggestions (never as a match).
//!
//! ## Data layout
//! ```toml
//! [[list]]
//! id = "ag-hap"                  # lower-case letters, digits, hyphens
//! title = "List of Human and Animal Pathogens and Toxins for Export Control"
//! version_date = "2023-11-21"    # YYYY-MM-DD
//! source = "..."                 # a citation, not a URL
//!
//! [[entry]]
//! id = "ag-hap-v-ebola"          # stable, never reused
//! list = "ag-hap"                # becomes Entry::list_id
//! category = "human_animal_pathogen"
//! group = "virus"
//! name = "Ebolavirus"
//! synonyms = ["Orthoebolavirus", "Ebola virus"]
//! taxid = 186536                 # optional; pathogens without one need notes
//! covered_taxids = [186538]      # optional
//! notes = "..."                  # optional
//! ```
//! Validation: unique list ids, entry ids and taxids (own and covered);
//! entries refer to a defined list; real dates; no empty names; unknown
//! fields are errors.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The compiled-in list files, in the order their entries are listed.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "data/lists/ag_human_animal.toml",
        include_str!("../data/lists/ag_human_animal.toml"),
    ),
    (
        "data/lists/ag_plant.toml",
        include_str!("../data/lists/ag_plant.toml"),
    ),
    (
        "data/lists/ag_equipment.toml",
        include_str!("../data/lists/ag_equipment.toml"),
    ),
];

/// What kind of thing an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Human and animal pathogens: viruses, bacteria, fungi.
    HumanAnimalPathogen,
    /// Toxins (and their subunits) of the human and animal list.
    Toxin,
    /// Plant pathogens: bacteria, fungi, oomycetes, viruses, viroids.
    PlantPathogen,
    /// Genetic elements and genetically modified organisms.
    GeneticElement,
    /// Dual-use biological equipment, technology and software.
    Equipment,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 5] = [
        Category::HumanAnimalPathogen,
        Category::Toxin,
        Category::PlantPathogen,
        Category::GeneticElement,
        Category::Equipment,
    ];

    /// The snake_case name used in data files, JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::HumanAnimalPathogen => "human_animal_pathogen",
            Category::Toxin => "toxin",
            Category::PlantPathogen => "plant_pathogen",
            Category::GeneticElement => "genetic_element",
            Category::Equipment => "equipment",
        }
    }

    /// True for living agents (human, animal and plant pathogens), which
    /// carry a taxid unless their notes say why not.
    pub fn is_pathogen(self) -> bool {
        matches!(
            self,
            Category::HumanAnimalPathogen | Category::PlantPathogen
        )
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`Category`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown category {0:?}; expected one of human_animal_pathogen, toxin, plant_pathogen, genetic_element, equipment"
)]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;
    /// Accepts the snake_case name; `-` may stand for `_` and case is ignored.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Category::ALL
            .into_iter()
            .find(|category| category.as_str() == wanted)
            .ok_or_else(|| UnknownCategory(s.to_owned()))
    }
}

/// One controlled list: its identity, version and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListInfo {
    /// Stable short identifier, e.g. `"ag-hap"`.
    pub id: String,
    /// The list's official title.
    pub title: String,
    /// The date of the revision transcribed, ISO 8601 (`YYYY-MM-DD`).
    pub version_date: String,
    /// The document it was transcribed from (a citation, not a URL).
    pub source: String,
}

/// One item of a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Stable identifier, e.g. `"ag-hap-v-ebola"`; never reused.
    pub id: String,
    /// The [`ListInfo::id`] of the list it belongs to.
    pub list_id: String,
    pub category: Category,
    /// Finer kind: `"virus"`, `"bacterium"`, `"fungus"`, `"toxin"`, ...
    pub group: String,
    /// The name as the list gives it (current taxonomic name first where
    /// the list has been updated).
    pub name: String,
    /// Other names: former taxonomic names, common names, abbreviations.
    #[serde(default)]
    pub synonyms: Vec<String>,
    /// NCBI Taxonomy ID of the taxon the entry covers, where one exists.
    #[serde(default)]
    pub taxid: Option<u32>,
    /// Taxids of well-known taxa inside the entry's scope (a strain of a
    /// listed species, a species of a listed genus), so that look-ups by
    /// them find the entry. Not exhaustive: screening walks a taxonomy.
    #[serde(default)]
    pub covered_taxids: Vec<u32>,
    /// Scope limits of the list text, and why an entry has no taxid.
    #[serde(default)]
    pub notes: Option<String>,
}

impl Entry {
    /// The entry's taxid followed by its covered taxids.
    pub fn all_taxids(&self) -> impl Iterator<Item = u32> + '_ {
        self.taxid
            .into_iter()
            .chain(self.covered_taxids.iter().copied())
    }

    /// Every name the entry answers to: its name, then its synonyms.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.synonyms.iter().map(String::as_str))
    }
}

/// Why list data was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    #[error("{file}: not valid list TOML: {message}")]
    Toml { file: String, message: String },
    #[error("{file}: list {id:?} is defined twice")]
    DuplicateList { file: String, id: String },
    #[error("{file}: entry id {id:?} is used twice")]
    DuplicateEntry { file: String, id: String },
    #[error("{file}: entry {entry:?}: list_id {list_id:?} names no list defined in the data")]
    UnknownList {
        file: String,
        entry: String,
        list_id: String,
    },
    #[error("{file}: taxid {taxid} is given to both {first:?} and {second:?}")]
    DuplicateTaxid {
        file: String,
        taxid: u32,
        first: String,
        second: String,
    },
    #[error("{file}: {item} field `{field}`: {reason}")]
    Invalid {
        file: String,
        item: String,
        field: String,
        reason: String,
    },
}

/// The result of [`Catalogue::find`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Exactly one entry matches.
    Unique(&'a Entry),
    /// Several entries match, in catalogue order; the caller must ask for
    /// an exact name or taxid.
    Ambiguous(Vec<&'a Entry>),
    /// Nothing matches; `suggestions` are close spellings (possibly none),
    /// closest first. They are not matches.
    NotFound { suggestions: Vec<&'a Entry> },
}

/// The controlled lists and their entries, in data order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Catalogue {
    lists: Vec<ListInfo>,
    entries: Vec<Entry>,
    /// Per entry (same order), its id and names already [`normalise`]d:
    /// [`Catalogue::find`] runs for every agent of every validated
    /// declaration, and normalising the whole catalogue on each call was
    /// most of the portal's validation time. Derived from `entries`.
    #[serde(skip)]
    normalised: Vec<NormalisedEntry>,
}

/// The normalised id and names (name first, then synonyms) of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NormalisedEntry {
    id: String,
    names: Vec<String>,
}

impl NormalisedEntry {
    fn of(entry: &Entry) -> NormalisedEntry {
        NormalisedEntry {
            id: normalise(&entry.id),
            names: entry.names().map(normalise).collect(),
        }
    }
}

/// The file layout of list data: `[[list]]` tables, then `[[entry]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFile {
    #[serde(default)]
    list: Vec<ListInfo>,
    #[serde(default)]
    entry: Vec<RawEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    list: String,
    category: Category,
    group: String,
    name: String,
    #[serde(default)]
    synonyms: Vec<String>,
    #[serde(default)]
    taxid: Option<u32>,
    #[serde(default)]
    covered_taxids: Vec<u32>,
    #[serde(default)]
    notes: Option<String>,
}

/// Most suggestions offered for an unknown name.
const MAX_SUGGESTIONS: usize = 5;

impl Catalogue {
    /// The compiled-in Australia Group lists, parsed and validated once.
    ///
    /// # Panics
    /// Only if the compiled-in data is invalid, which the crate's tests rule
    /// out (it is not user input).
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: OnceLock<Catalogue> = OnceLock::new();
        BUILTIN.get_or_init(|| match Catalogue::from_files(BUILTIN_FILES) {
            Ok(catalogue) => catalogue,
            Err(error) => panic!("bwcv-core built-in list data is invalid: {error}"),
        })
    }

    /// Parses and validates one TOML document holding `[[list]]` and
    /// `[[entry]]` tables (the layout of `crates/bwcv-core/data/lists/`).
    pub fn from_toml_str(text: &str) -> Result<Catalogue, ListError> {
        Catalogue::from_files(&[("list data", text)])
    }

    /// Parses several documents as one catalogue (entries may refer to a list
    /// defined in any of them) and validates the whole.
    fn from_files(files: &[(&str, &str)]) -> Result<Catalogue, ListError> {
        let mut lists = Vec::new();
        let mut raw_entries = Vec::new();
        for (file, text) in files {
            let parsed: ListFile = toml::from_str(text).map_err(|error| ListError::Toml {
                file: (*file).to_owned(),
                message: error.to_string(),
            })?;
            for info in parsed.list {
                lists.push(((*file).to_owned(), info));
            }
            for raw in parsed.entry {
                raw_entries.push(((*file).to_owned(), raw));
            }
        }

        let mut list_ids = BTreeSet::new();
        for (file, info) in &lists {
            validate_list(file, info)?;
            if !list_ids.insert(info.id.clone()) {
                return Err(ListError::DuplicateList {
                    file: file.clone(),
                    id: info.id.clone(),
                });
            }
        }

        let mut entry_ids = BTreeSet::new();
        let mut taxid_owner: BTreeMap<u32, String> = BTreeMap::new();
        let mut entries = Vec::with_capacity(raw_entries.len());
        for (file, raw) in raw_entries {
            let entry = Entry {
                id: raw.id,
                list_id: raw.list,
                category: raw.category,
                group: raw.group,
                name: raw.name,
                synonyms: raw.synonyms,
                taxid: raw.taxid,
                covered_taxids: raw.covered_taxids,
                notes: raw.notes,
            };
            validate_entry(&file, &entry)?;
            if !list_ids.contains(&entry.list_id) {
                return Err(ListError::UnknownList {
                    file,
                    entry: entry.id,
                    list_id: entry.list_id,
                });
            }
            if !entry_ids.insert(entry.id.clone()) {
                return Err(ListError::DuplicateEntry { file, id: entry.id });
            }
            for taxid in entry.all_taxids() {
                if let Some(first) = taxid_owner.get(&taxid) {
                    return Err(ListError::DuplicateTaxid {
                        file,
                        taxid,
                        first: first.clone(),
                        second: entry.id.clone(),
                    });
                }
                taxid_owner.insert(taxid, entry.id.clone());
            }
            entries.push(entry);
        }

        Ok(Catalogue {
            lists: lists.into_iter().map(|(_, info)| info).collect(),
            normalised: entries.iter().map(NormalisedEntry::of).collect(),
            entries,
        })
    }

    /// The lists, in data order.
    pub fn lists(&self) -> &[ListInfo] {
        &self.lists
    }

    /// Every entry of every list, in data order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The list with identifier `id`.
    pub fn list(&self, id: &str) -> Option<&ListInfo> {
        self.lists.iter().find(|info| info.id == id)
    }

    /// The entry with identifier `id` (exact).
    pub fn by_id(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.id == id)
    }

    /// The entry whose taxid, or one of whose covered taxids, is exactly
    /// `taxid` (taxids are unique within a catalogue). This does not walk
    /// the taxonomy: a strain below a listed species that is not among the
    /// entry's `covered_taxids` is not found here (sequence screening does
    /// that with its own taxonomy).
    pub fn by_taxid(&self, taxid: u32) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|entry| entry.all_taxids().any(|own| own == taxid))
    }

    /// The entries of one category, in data order.
    pub fn by_category(&self, category: Category) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(move |entry| entry.category == category)
    }

    /// Every taxid in the catalogue (entry taxids and covered taxids),
    /// ascending.
    pub fn taxids(&self) -> BTreeSet<u32> {
        self.entries.iter().flat_map(Entry::all_taxids).collect()
    }

    /// Looks `query` up by name, synonym, entry id or taxid (all digits,
    /// optionally written `taxid:1392` or `txid1392`). Case and runs of
    /// whitespace are ignored.
    ///
    /// 1. An exact match on name, synonym, id or taxid wins (several exact
    ///    matches are ambiguous).
    /// 2. Otherwise entries whose name or synonym contains the query (as a
    ///    substring) match: one is unique, several are ambiguous.
    /// 3. Otherwise nothing matches, and entries with a name or a word of a
    ///    name within a small edit distance are offered as suggestions.
    pub fn find(&self, query: &str) -> Lookup<'_> {
        let wanted = normalise(query);
        if wanted.is_empty() {
            return Lookup::NotFound {
                suggestions: Vec::new(),
            };
        }

        let digits = ["taxid:", "taxid ", "txid"]
            .iter()
            .find_map(|prefix| wanted.strip_prefix(prefix))
            .map_or(wanted.as_str(), str::trim);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            return match digits.parse::<u32>().ok().and_then(|t| self.by_taxid(t)) {
                Some(entry) => Lookup::Unique(entry),
                None => Lookup::NotFound {
                    suggestions: Vec::new(),
                },
            };
        }

        let exact: Vec<&Entry> = self
            .entries
            .iter()
            .zip(&self.normalised)
            .filter(|(_, normalised)| normalised.id == wanted || normalised.names.contains(&wanted))
            .map(|(entry, _)| entry)
            .collect();
        if !exact.is_empty() {
            return one_or_many(exact);
        }

        let partial: Vec<&Entry> = self
            .entries
            .iter()
            .zip(&self.normalised)
            .filter(|(_, normalised)| {
                normalised
                    .names
                    .iter()
                    .any(|name| name.contains(wanted.as_str()))
            })
            .map(|(entry, _)| entry)
            .collect();
        if !partial.is_empty() {
            return one_or_many(partial);
        }

        Lookup::NotFound {
            suggestions: self.suggestions(&wanted),
        }
    }

    /// Entries with a name, or a word of a name, close in spelling to the
    /// (normalised) query; closest first, ties in catalogue order.
    fn suggestions(&self, wanted: &str) -> Vec<&Entry> {
        let budget = (wanted.chars().count() / 4).clamp(1, 3);
        let mut scored: Vec<(usize, usize, &Entry)> = Vec::new();
        for (position, (entry, normalised)) in self.entries.iter().zip(&self.normalised).enumerate()
        {
            let best = normalised
                .names
                .iter()
                .flat_map(|whole| std::iter::once(whole.as_str()).chain(whole.split(' ')))
                .map(|candidate| edit_distance(wanted, candidate))
                .min();
            if let Some(distance) = best.filter(|distance| *distance <= budget) {
                scored.push((distance, position, entry));
            }
        }
        scored.sort_by_key(|(distance, position, _)| (*distance, *position));
        scored
            .into_iter()
            .take(MAX_SUGGESTIONS)
            .map(|(_, _, entry)| entry)
            .collect()
    }
}

fn one_or_many(mut found: Vec<&Entry>) -> Lookup<'_> {
    if found.len() == 1 {
        Lookup::Unique(found.remove(0))
    } else {
        Lookup::Ambiguous(found)
    }
}

/// Lower case, trimmed, internal whitespace collapsed to one space.
fn normalise(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Levenshtein distance over Unicode scalar values.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

fn invalid(file: &str, item: String, field: &str, reason: impl Into<String>) -> ListError {
    ListError::Invalid {
        file: file.to_owned(),
        item,
        field: field.to_owned(),
        reason: reason.into(),
    }
}

/// Identifiers: lower-case ASCII letters, digits and single hyphens.
fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && !id.starts_with('-')
        && !id.ends_with('-')
        && !id.contains("--")
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `YYYY-MM-DD` with a real calendar date.
pub(crate) fn is_iso_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (Some(year), Some(month), Some(day)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return false;
    };
    (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)
}

pub(crate) fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 0,
    }
}

fn validate_list(file: &str, info: &ListInfo) -> Result<(), ListError> {
    let item = || format!("list {:?}", info.id);
    if !is_valid_id(&info.id) {
        return Err(invalid(
            file,
            item(),
            "id",
            "must be lower-case letters, digits and single hyphens",
        ));
    }
    if info.title.trim().is_empty() {
        return Err(invalid(file, item(), "title", "must not be empty"));
    }
    if !is_iso_date(&info.version_date) {
        return Err(invalid(
            file,
            item(),
            "version_date",
            format!("{:?} is not a date YYYY-MM-DD", info.version_date),
        ));
    }
    if info.source.trim().is_empty() {
        return Err(invalid(file, item(), "source", "must not be empty"));
    }
    Ok(())
}

fn validate_entry(file: &str, entry: &Entry) -> Result<(), ListError> {
    let item = || format!("entry {:?}", entry.id);
    if !is_valid_id(&entry.id) {
        return Err(invalid(
            file,
            item(),
            "id",
            "must be lower-case letters, digits and single hyphens",
        ));
    }
    if entry.group.trim().is_empty() {
        return Err(invalid(file, item(), "group", "must not be empty"));
    }
    if entry.name.trim().is_empty() {
        return Err(invalid(file, item(), "name", "must not be empty"));
    }
    if entry
        .synonyms
        .iter()
        .any(|synonym| synonym.trim().is_empty())
    {
        return Err(invalid(file, item(), "synonyms", "a synonym is empty"));
    }
    if entry.taxid.is_none() && !entry.covered_taxids.is_empty() {
        return Err(invalid(
            file,
            item(),
            "covered_taxids",
            "given without a taxid of the entry itself",
        ));
    }
    if entry.all_taxids().any(|taxid| taxid == 0) {
        return Err(invalid(file, item(), "taxid", "0 is not an NCBI taxid"));
    }
    let has_notes = entry
        .notes
        .as_deref()
        .is_some_and(|notes| !notes.trim().is_empty());
    if entry.category.is_pathogen() && entry.taxid.is_none() && !has_notes {
        return Err(invalid(
            file,
            item(),
            "taxid",
            "a pathogen needs a taxid, or notes saying why it has none",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("", ""), 0);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("anthracis", "antracis"), 1);
    }

    #[test]
    fn normalise_ignores_case_and_whitespace() {
        assert_eq!(normalise("  Bacillus \t ANTHRACIS "), "bacillus anthracis");
    }

    #[test]
    fn iso_dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2023-13-01"));
        assert!(!is_iso_date("2023-1-01"));
        assert!(!is_iso_date("2023/01/01"));
    }

    #[test]
    fn category_round_trips() {
        for category in Category::ALL {
            assert_eq!(category.as_str().parse::<Category>(), Ok(category));
        }
        assert_eq!(
            "Plant-Pathogen".parse::<Category>(),
            Ok(Category::PlantPathogen)
        );
        assert!("virus".parse::<Category>().is_err());
    }
}
