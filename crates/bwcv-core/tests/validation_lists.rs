//! Validation of the lists' taxids against real public data in
//! `../shared/data` (see its README): the IBBIS Common Mechanism's 215
//! regulated taxids (`lists/commec_reg_taxids.txt`) and the small NCBI
//! taxonomy subset of `genomes/viral/` (`names.dmp`, `nodes.dmp`).
//!
//! The data folder is located from `CARGO_MANIFEST_DIR` as
//! `../../../shared/data`, or by `BWCV_SHARED_DATA`. When it is absent the
//! tests fail if `CI` is set (CI has the data) and otherwise print a note
//! and pass.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use bwcv_core::lists::{Catalogue, Entry};

/// Pathogen taxids of the lists that are NOT in the Common Mechanism's
/// regulated set, each with the reason that is acceptable. Anything else
/// missing from that set is treated as a probable wrong taxid.
const NOT_IN_COMMEC: &[(u32, &str)] = &[
    (
        1491,
        "Clostridium botulinum: the Common Mechanism screens botulinum neurotoxin genes, not the species",
    ),
    (
        1492,
        "Clostridium butyricum: listed only for botulinum neurotoxin producing strains",
    ),
    (
        1561,
        "Clostridium baratii: listed only for botulinum neurotoxin producing strains",
    ),
    (
        29341,
        "Clostridium argentinense (formerly C. botulinum type G): toxin-gene screening",
    ),
    (
        2697049,
        "SARS-CoV-2: a no-rank taxon below the species 694009, which is in the set",
    ),
];

fn shared_data() -> Option<PathBuf> {
    let root = match std::env::var_os("BWCV_SHARED_DATA") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
    };
    if root.is_dir() {
        return Some(root);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "shared data folder {} is missing, and CI is set (CI must have it)",
            root.display()
        );
    }
    eprintln!(
        "note: shared data folder {} not found; skipping the list validation",
        root.display()
    );
    None
}

fn read(root: &std::path::Path, relative: &str) -> String {
    let path = root.join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("reading {}: {error}", path.display()))
}

/// `taxid | field | ...` lines of an NCBI `.dmp` file.
fn dmp_fields(text: &str) -> impl Iterator<Item = Vec<&str>> {
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.split('|').map(str::trim).collect())
}

fn pathogen_taxids(catalogue: &Catalogue) -> BTreeMap<u32, &Entry> {
    let mut taxids = BTreeMap::new();
    for entry in catalogue
        .entries()
        .iter()
        .filter(|e| e.category.is_pathogen())
    {
        for taxid in entry.all_taxids() {
            taxids.insert(taxid, entry);
        }
    }
    taxids
}

#[test]
fn pathogen_taxids_are_in_the_common_mechanism_regulated_set() {
    let Some(root) = shared_data() else { return };
    let regulated: BTreeSet<u32> = read(&root, "lists/commec_reg_taxids.txt")
        .split_whitespace()
        .map(|word| {
            word.parse()
                .unwrap_or_else(|_| panic!("not a taxid: {word:?}"))
        })
        .collect();
    let catalogue = Catalogue::builtin();
    let taxids = pathogen_taxids(catalogue);
    let allowed: BTreeMap<u32, &str> = NOT_IN_COMMEC.iter().copied().collect();

    let found = taxids.keys().filter(|t| regulated.contains(t)).count();
    eprintln!(
        "lists validation: {found} of {} pathogen taxids of the lists are in the Common Mechanism's {} regulated taxids; {} allowed exceptions",
        taxids.len(),
        regulated.len(),
        allowed.len()
    );

    let suspicious: Vec<String> = taxids
        .iter()
        .filter(|(taxid, _)| !regulated.contains(taxid) && !allowed.contains_key(taxid))
        .map(|(taxid, entry)| format!("{taxid} ({}, {})", entry.id, entry.name))
        .collect();
    assert!(
        suspicious.is_empty(),
        "taxids that look wrong (not regulated by the Common Mechanism, not allow-listed): {suspicious:?}"
    );

    // The allow-list must not go stale: every exception is a taxid of the
    // lists that really is absent from the regulated set.
    for (taxid, reason) in NOT_IN_COMMEC {
        assert!(
            taxids.contains_key(taxid),
            "allow-listed {taxid} ({reason}) is not in the lists"
        );
        assert!(
            !regulated.contains(taxid),
            "allow-listed {taxid} ({reason}) is regulated after all"
        );
    }

    // Nearly all of them must match: a wholesale shift would show here.
    assert!(
        found * 10 >= taxids.len() * 9,
        "only {found} of {} match",
        taxids.len()
    );
}

#[test]
fn taxids_in_the_ncbi_subset_carry_the_ncbi_name() {
    let Some(root) = shared_data() else { return };
    let names = read(&root, "genomes/viral/names.dmp");
    let nodes = read(&root, "genomes/viral/nodes.dmp");
    let scientific: BTreeMap<u32, String> = dmp_fields(&names)
        .filter(|fields| fields.get(3) == Some(&"scientific name"))
        .filter_map(|fields| Some((fields[0].parse().ok()?, fields[1].to_owned())))
        .collect();
    let parent: BTreeMap<u32, u32> = dmp_fields(&nodes)
        .filter_map(|fields| Some((fields[0].parse().ok()?, fields.get(1)?.parse().ok()?)))
        .collect();

    let catalogue = Catalogue::builtin();
    let mut checked = 0;
    for entry in catalogue.entries() {
        for taxid in entry.all_taxids() {
            let Some(ncbi_name) = scientific.get(&taxid) else {
                continue;
            };
            checked += 1;
            let known = entry
                .names()
                .any(|name| name.eq_ignore_ascii_case(ncbi_name));
            assert!(
                known,
                "{}: taxid {taxid} is {ncbi_name:?} in NCBI, which is neither its name nor a synonym",
                entry.id
            );
        }
        // A covered taxid lies below the entry's own taxid where the
        // subset has the lineage.
        if let Some(own) = entry.taxid {
            for covered in &entry.covered_taxids {
                if !parent.contains_key(covered) {
                    continue;
                }
                let mut node = *covered;
                let mut below = false;
                while let Some(&up) = parent.get(&node) {
                    if up == own {
                        below = true;
                        break;
                    }
                    if up == node {
                        break;
                    }
                    node = up;
                }
                assert!(
                    below,
                    "{}: covered taxid {covered} is not below {own}",
                    entry.id
                );
            }
        }
    }
    eprintln!("lists validation: {checked} taxids checked against the NCBI names subset");
    // The subset holds SARS-CoV, SARS-CoV-2 and MERS-CoV: all three must be checked.
    assert!(
        checked >= 3,
        "only {checked} taxids found in the NCBI subset"
    );
}
