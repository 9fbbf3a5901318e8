//! Validation on real public data (`/work/shared/data/phylo`, see its
//! README for origins and the published reference numbers).
//!
//! The folder is found from `CARGO_MANIFEST_DIR` as `../../../shared/data`
//! or from `BWCV_SHARED_DATA`. When it is absent the suite passes with a
//! note, unless `CI` is set (CI has the data), then it fails.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use bwcv_phylo::clock::{self, ClockParams};
use bwcv_phylo::dates::{self, SampleDate};
use bwcv_phylo::newick;

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("BWCV_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("phylo").is_dir() {
        return Some(dir.join("phylo"));
    }
    if std::env::var_os("CI").is_some() {
        panic!("shared data folder {} is missing in CI", dir.display());
    }
    eprintln!(
        "note: {} not found; skipping the phylo validation suite",
        dir.display()
    );
    None
}

fn read_dates(path: &PathBuf, taxa: &[String]) -> BTreeMap<String, SampleDate> {
    let file = BufReader::new(File::open(path).expect("metadata"));
    let table = dates::read_table(file, None).expect("table");
    table.dates(None, None, taxa).expect("dates").dates
}

fn within(value: f64, target: f64, relative: f64) -> bool {
    ((value - target) / target).abs() <= relative
}

fn h3n2(n: usize) -> Option<clock::ClockResult> {
    let dir = shared_data()?.join("h3n2_na");
    let text = std::fs::read_to_string(dir.join(format!("h3n2_na_{n}.nwk"))).expect("tree");
    let mut tree = newick::parse(&text).expect("newick");
    let dates = read_dates(&dir.join(format!("h3n2_na_{n}.metadata.csv")), &[]);
    let params = ClockParams {
        sequence_length: Some(1407),
        ..ClockParams::default()
    };
    Some(clock::run(&mut tree, &dates, &params).expect("clock"))
}

/// TreeTime 0.12.1 `treetime clock` on h3n2_na_20: rate 2.826e-3, r² 0.98,
/// root 1996.75.
#[test]
fn h3n2_na_20_matches_treetime() {
    let Some(result) = h3n2(20) else { return };
    eprintln!(
        "h3n2_na_20: rate {:.4e} r2 {:.4} root {:.3} outliers {}",
        result.rate,
        result.r2,
        result.root_date,
        result.outliers.len()
    );
    assert!(within(result.rate, 2.826e-3, 0.005), "rate {}", result.rate);
    assert_eq!(format!("{:.2}", result.r2), "0.98");
    assert!(
        (result.root_date - 1996.75).abs() <= 0.05,
        "root {}",
        result.root_date
    );
}

/// TreeTime 0.12.1 on h3n2_na_200: rate 3.355e-3, r² 0.99, root 1965.46.
#[test]
fn h3n2_na_200_matches_treetime() {
    let Some(result) = h3n2(200) else { return };
    eprintln!(
        "h3n2_na_200: rate {:.4e} r2 {:.4} root {:.3} outliers {}",
        result.rate,
        result.r2,
        result.root_date,
        result.outliers.len()
    );
    assert!(within(result.rate, 3.355e-3, 0.01), "rate {}", result.rate);
    assert_eq!(format!("{:.2}", result.r2), "0.99");
    assert!(
        (result.root_date - 1965.46).abs() <= 0.1,
        "root {}",
        result.root_date
    );
}
