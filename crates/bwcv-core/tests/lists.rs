//! The built-in lists and the look-up rules. Needs no shared data.

use std::collections::BTreeSet;

use bwcv_core::lists::{Catalogue, Category, ListError, Lookup};

fn builtin() -> &'static Catalogue {
    Catalogue::builtin()
}

fn unique<'a>(lookup: Lookup<'a>) -> &'a bwcv_core::lists::Entry {
    match lookup {
        Lookup::Unique(entry) => entry,
        other => panic!("expected a unique match, got {other:?}"),
    }
}

#[test]
fn builtin_has_the_four_kinds_of_list() {
    let ids: Vec<&str> = builtin().lists().iter().map(|l| l.id.as_str()).collect();
    assert_eq!(ids, ["ag-hap", "ag-plant", "ag-equipment"]);
    for category in Category::ALL {
        assert!(
            builtin().by_category(category).count() > 0,
            "no entries of category {category}"
        );
    }
    for info in builtin().lists() {
        assert!(
            !info.source.contains("http"),
            "source of {} is a URL",
            info.id
        );
    }
}

/// Taxids checked by hand against NCBI Taxonomy; they must never drift.
#[test]
fn well_known_taxids_are_right() {
    let expected = [
        ("Bacillus anthracis", 1392),
        ("Variola virus", 10255),
        ("Ebolavirus", 186536),
        ("Monkeypox virus", 10244),
        (
            "Severe acute respiratory syndrome-related coronavirus",
            694009,
        ),
        (
            "Middle East respiratory syndrome-related coronavirus",
            1335626,
        ),
        ("Yersinia pestis", 632),
        ("Francisella tularensis", 263),
        ("Coxiella burnetii", 777),
        ("Clostridium botulinum", 1491),
        ("Nipah virus", 121791),
        ("Foot-and-mouth disease virus", 12110),
    ];
    for (name, taxid) in expected {
        let entry = unique(builtin().find(name));
        assert_eq!(entry.taxid, Some(taxid), "{name}");
        assert_eq!(builtin().by_taxid(taxid).map(|e| &e.id), Some(&entry.id));
    }
}

#[test]
fn sars_cov_2_is_covered_by_the_sars_related_entry() {
    let entry = builtin().by_taxid(2697049).expect("SARS-CoV-2 is covered");
    assert_eq!(entry.id, "ag-hap-v-sars");
    assert_eq!(unique(builtin().find("SARS-CoV-2")).id, "ag-hap-v-sars");
    assert_eq!(unique(builtin().find("2697049")).id, "ag-hap-v-sars");
}

#[test]
fn every_pathogen_has_a_taxid_or_says_why_not() {
    for entry in builtin().entries() {
        if entry.category.is_pathogen() && entry.taxid.is_none() {
            let notes = entry.notes.as_deref().unwrap_or("");
            assert!(
                !notes.trim().is_empty(),
                "{} has no taxid and no notes",
                entry.id
            );
        }
        if !entry.category.is_pathogen() {
            assert_eq!(entry.taxid, None, "{} is not an organism", entry.id);
        }
    }
}

#[test]
fn ids_and_taxids_are_unique_and_ids_are_prefixed_by_their_list() {
    let mut ids = BTreeSet::new();
    let mut taxids = BTreeSet::new();
    for entry in builtin().entries() {
        assert!(ids.insert(entry.id.as_str()), "duplicate id {}", entry.id);
        let prefix = match entry.list_id.as_str() {
            "ag-equipment" => "ag-eq-".to_owned(),
            other => format!("{other}-"),
        };
        assert!(
            entry.id.starts_with(&prefix),
            "{} not under {prefix}",
            entry.id
        );
        for taxid in entry.all_taxids() {
            assert!(taxids.insert(taxid), "duplicate taxid {taxid}");
        }
    }
    assert!(ids.contains("ag-hap-v-ebola"));
}

#[test]
fn every_name_and_synonym_finds_its_own_entry() {
    for entry in builtin().entries() {
        for name in entry.names() {
            match builtin().find(name) {
                Lookup::Unique(found) => assert_eq!(found.id, entry.id, "{name:?}"),
                Lookup::Ambiguous(found) => {
                    assert!(found.iter().any(|e| e.id == entry.id), "{name:?}");
                }
                Lookup::NotFound { .. } => panic!("{name:?} of {} not found", entry.id),
            }
        }
        assert_eq!(unique(builtin().find(&entry.id)).id, entry.id);
    }
}

#[test]
fn find_cases_from_the_issue() {
    // Substring of exactly one entry.
    assert_eq!(unique(builtin().find("anthracis")).id, "ag-hap-b-anthracis");
    // Case and whitespace do not matter.
    assert_eq!(
        unique(builtin().find("  bacillus   ANTHRACIS ")).id,
        "ag-hap-b-anthracis"
    );
    // Taxid.
    assert_eq!(unique(builtin().find("1392")).id, "ag-hap-b-anthracis");
    assert_eq!(
        unique(builtin().find("taxid:1392")).id,
        "ag-hap-b-anthracis"
    );
    assert_eq!(unique(builtin().find("TXID1392")).id, "ag-hap-b-anthracis");
    assert_eq!(
        unique(builtin().find("taxid: 10255")).id,
        "ag-hap-v-variola"
    );
    // An exact name wins over the substring matches it also has.
    assert_eq!(
        unique(builtin().find("Clostridium perfringens")).id,
        "ag-hap-b-clostridium-perfringens"
    );
    // Several substring matches: ambiguous, never a pick.
    match builtin().find("brucella") {
        Lookup::Ambiguous(found) => {
            let ids: Vec<&str> = found.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(
                ids,
                [
                    "ag-hap-b-brucella-abortus",
                    "ag-hap-b-brucella-melitensis",
                    "ag-hap-b-brucella-suis"
                ]
            );
        }
        other => panic!("expected ambiguous, got {other:?}"),
    }
    // A misspelling is not found, but suggested.
    match builtin().find("antracis") {
        Lookup::NotFound { suggestions } => {
            assert_eq!(
                suggestions.first().map(|e| e.id.as_str()),
                Some("ag-hap-b-anthracis")
            );
        }
        other => panic!("expected not found, got {other:?}"),
    }
    // Nonsense: nothing, no suggestions.
    assert_eq!(
        builtin().find("zzzzqqqq"),
        Lookup::NotFound {
            suggestions: vec![]
        }
    );
    assert_eq!(
        builtin().find("   "),
        Lookup::NotFound {
            suggestions: vec![]
        }
    );
    // An unknown taxid.
    assert_eq!(
        builtin().find("9606"),
        Lookup::NotFound {
            suggestions: vec![]
        }
    );
    assert_eq!(
        builtin().find("99999999999999"),
        Lookup::NotFound {
            suggestions: vec![]
        }
    );
}

const MINIMAL: &str = r#"
[[list]]
id = "t"
title = "Test list"
version_date = "2024-01-31"
source = "test"

[[entry]]
id = "t-a"
list = "t"
category = "human_animal_pathogen"
group = "virus"
name = "Alpha virus"
taxid = 1
"#;

#[test]
fn from_toml_str_accepts_a_minimal_catalogue() {
    let catalogue = Catalogue::from_toml_str(MINIMAL).expect("valid");
    assert_eq!(catalogue.entries().len(), 1);
    assert_eq!(catalogue.lists()[0].version_date, "2024-01-31");
}

#[test]
fn from_toml_str_rejects_bad_data_with_a_precise_error() {
    let cases: Vec<(String, &str)> = vec![
        (MINIMAL.replace("2024-01-31", "2024-02-30"), "version_date"),
        (
            MINIMAL.replace("list = \"t\"", "list = \"nope\""),
            "names no list",
        ),
        (MINIMAL.replace("taxid = 1", ""), "needs a taxid"),
        (MINIMAL.replace("taxid = 1", "taxid = 0"), "taxid"),
        (
            MINIMAL.replace("taxid = 1", "taxid = -5"),
            "not valid list TOML",
        ),
        (
            MINIMAL.replace("\"human_animal_pathogen\"", "\"weapon\""),
            "not valid list TOML",
        ),
        (
            MINIMAL.replace("id = \"t-a\"", "id = \"T A\""),
            "field `id`",
        ),
        (
            MINIMAL.replace("name = \"Alpha virus\"", "name = \" \""),
            "field `name`",
        ),
        (
            MINIMAL.replace("group = \"virus\"", "group = \"virus\"\ncolour = \"red\""),
            "unknown field",
        ),
        (
            format!(
                "{MINIMAL}\n[[entry]]\nid = \"t-a\"\nlist = \"t\"\ncategory = \"toxin\"\ngroup = \"toxin\"\nname = \"X\"\n"
            ),
            "used twice",
        ),
        (
            format!(
                "{MINIMAL}\n[[entry]]\nid = \"t-b\"\nlist = \"t\"\ncategory = \"human_animal_pathogen\"\ngroup = \"virus\"\nname = \"Beta\"\ntaxid = 1\n"
            ),
            "taxid 1",
        ),
        ("this is = = not toml".to_owned(), "not valid list TOML"),
    ];
    for (text, expected) in cases {
        let error = Catalogue::from_toml_str(&text).expect_err(expected);
        let message = error.to_string();
        assert!(
            message.contains(expected),
            "{message:?} should mention {expected:?}"
        );
    }
    assert!(matches!(
        Catalogue::from_toml_str(&format!(
            "{MINIMAL}\n[[list]]\nid = \"t\"\ntitle = \"x\"\nversion_date = \"2024-01-01\"\nsource = \"s\"\n"
        )),
        Err(ListError::DuplicateList { .. })
    ));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Any query gets an answer, never a panic; a unique answer really
        /// contains the query (or is its taxid).
        #[test]
        fn find_never_panics(query in ".{0,40}") {
            if let Lookup::Unique(entry) = builtin().find(&query) {
                let wanted = query.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase();
                let by_name = entry.names().chain(std::iter::once(entry.id.as_str()))
                    .any(|name| name.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ").contains(&wanted));
                // A taxid query may be written "taxid:N" or "txidN".
                let by_taxid = entry.all_taxids().any(|t| wanted.ends_with(&t.to_string()));
                prop_assert!(by_name || by_taxid);
            }
        }

        /// Arbitrary text never makes the list parser panic.
        #[test]
        fn from_toml_str_never_panics(text in ".{0,200}") {
            let _ = Catalogue::from_toml_str(&text);
        }
    }
}
