//! Validation on real genomes (`../shared/data/genomes`, or `BWCV_SHARED_DATA`).
//!
//! 1. Concern SARS-CoV, SARS-CoV-2, MERS-CoV, monkeypox virus (regulated by
//!    the built-in catalogue); background phage lambda, HIV-1/2, influenza,
//!    *E. coli* K-12 and EC590: concern genomes are flagged over their length
//!    (also a monkeypox clade I genome that is not in the database), background
//!    genomes and K-12 reads are not flagged at all.
//! 2. *E. coli* O157:H7 as the concern, K-12 and EC590 as background: the
//!    flagged regions are O157-specific and the shared backbone is not
//!    flagged, checked independently with exact 25-mers.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use bwcv_seq::db::{self, BuildParams, Builder, Database, ListEntry, Molecule, Origin};
use bwcv_seq::fastx::{self, OnError, Record};
use bwcv_seq::screen::{RecordReport, RegionKind, ScreenParams, Screener, Status};

fn shared_data() -> Option<PathBuf> {
    let folder = std::env::var_os("BWCV_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if folder.join("genomes").is_dir() {
        return Some(folder);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "shared data folder {} is missing (CI has it)",
        folder.display()
    );
    eprintln!(
        "note: {} not found; skipping the real-data validation",
        folder.display()
    );
    None
}

fn records(path: &Path) -> Vec<Record> {
    let file = File::open(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let input = fastx::decompress(file).expect("open");
    fastx::Reader::new(input, OnError::Fail)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn add(builder: &mut Builder, path: &Path, origin: Origin) {
    let file = File::open(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    builder
        .add(
            &path.display().to_string(),
            file,
            origin,
            Molecule::Nucleotide,
        )
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}

fn covered(report: &RecordReport, kind: RegionKind) -> usize {
    report
        .regions
        .iter()
        .filter(|region| region.kind == kind)
        .map(|region| region.aligned_length)
        .sum()
}

#[test]
fn viral_and_bacterial_genomes() {
    let Some(data) = shared_data() else { return };
    let genomes = data.join("genomes");
    let viral = genomes.join("viral");
    let listed = db::listed_from_catalogue(bwcv_core::lists::Catalogue::builtin());
    let mut builder = Builder::new(BuildParams::default(), listed, "bwcv-core built-in");
    builder
        .taxonomy(
            BufReader::new(File::open(viral.join("nodes.dmp")).expect("nodes")),
            Some(BufReader::new(
                File::open(viral.join("names.dmp")).expect("names"),
            )),
            ("nodes.dmp", "names.dmp"),
        )
        .expect("taxonomy");
    builder
        .taxid_map("mpox.map", "NC_063383.1\t10244\n".as_bytes())
        .expect("map");
    let concern = [
        viral.join("SARS.fa"),
        viral.join("COVID_19.fa"),
        viral.join("MERS.fa"),
        genomes.join("mpox/NC_063383.1.fasta"),
    ];
    let background = [
        viral.join("Lambda.fa"),
        viral.join("HIV_1.fa"),
        viral.join("HIV_2.fa"),
        viral.join("FluA_H1N1.fa"),
        viral.join("FluA_H2N2.fa"),
        viral.join("FluA_H3N2.fa"),
        viral.join("FluB.fa"),
        genomes.join("ecoli/e.coli-K12.fasta.gz"),
        genomes.join("ecoli/e.coli-EC590.fasta.gz"),
    ];
    for path in &concern {
        add(&mut builder, path, Origin::Concern);
    }
    for path in &background {
        add(&mut builder, path, Origin::Background);
    }
    let database = builder.finish().expect("database");
    let bytes = database.to_bytes().expect("bytes");
    let database = Database::from_bytes(&bytes).expect("round trip");
    let screener = Screener::new(&database, ScreenParams::default()).expect("screener");

    // concern genomes, and a clade I monkeypox genome absent from the database
    // (the clade I genome differs by indels and ~1 % of substitutions)
    let mut queries: Vec<(PathBuf, f64)> =
        concern.iter().map(|path| (path.clone(), 0.99)).collect();
    queries.push((genomes.join("mpox/KJ642613.1.fasta"), 0.97));
    for (path, minimum) in &queries {
        for record in records(path) {
            let report = screener.screen(&record, &path.display().to_string());
            let flagged = covered(&report, RegionKind::Concern);
            let fraction = flagged as f64 / record.sequence.len() as f64;
            eprintln!(
                "{}: {} flagged {:.4} of {} nt",
                path.display(),
                report.status.as_str(),
                fraction,
                record.sequence.len()
            );
            assert_eq!(report.status, Status::Flag, "{}", record.id);
            assert!(
                fraction >= *minimum,
                "{}: only {fraction:.4} flagged",
                record.id
            );
            assert!(
                report
                    .regions
                    .iter()
                    .filter(|region| region.kind == RegionKind::Concern)
                    .all(|region| region.list_entry.is_some()),
                "{}",
                record.id
            );
        }
    }
    // background genomes and reads: nothing flagged, nothing weak
    let mut background_queries = background.to_vec();
    background_queries.push(genomes.join("ecoli/k12_R1.fq"));
    for path in &background_queries {
        let batch: Vec<(Record, String)> = records(path)
            .into_iter()
            .map(|record| (record, path.display().to_string()))
            .collect();
        for report in screener.screen_batch(&batch) {
            assert_eq!(
                report.status,
                Status::Pass,
                "{}: {:#?}",
                report.record,
                report.regions
            );
            assert!(
                report
                    .regions
                    .iter()
                    .all(|region| region.kind == RegionKind::Common),
                "{}",
                report.record
            );
        }
        eprintln!("{}: {} records pass", path.display(), batch.len());
    }
}

fn kmers(sequence: &[u8], k: usize) -> impl Iterator<Item = u64> + '_ {
    sequence.windows(k).filter_map(|window| {
        let mut forward = 0u64;
        let mut reverse = 0u64;
        for (index, byte) in window.iter().enumerate() {
            let code = match byte.to_ascii_uppercase() {
                b'A' => 0,
                b'C' => 1,
                b'G' => 2,
                b'T' => 3,
                _ => return None,
            };
            forward = (forward << 2) | code;
            reverse |= (3 - code) << (2 * index);
        }
        Some(forward.min(reverse))
    })
}

#[test]
fn ecoli_o157_specific_regions() {
    let Some(data) = shared_data() else { return };
    let ecoli = data.join("genomes/ecoli");
    // E. coli O157:H7 stands in for a listed agent here (taxid 83334)
    let listed: BTreeMap<u32, ListEntry> = [(
        83334,
        ListEntry {
            taxid: 83334,
            id: "validation-o157".into(),
            name: "Escherichia coli O157:H7 (validation stand-in)".into(),
            category: "bacterium".into(),
        },
    )]
    .into_iter()
    .collect();
    let mut builder = Builder::new(BuildParams::default(), listed, "validation");
    builder
        .taxid_map(
            "o157.map",
            "NZ_CP017438.1 83334\nNZ_CP017439.1 83334\n".as_bytes(),
        )
        .expect("map");
    add(
        &mut builder,
        &ecoli.join("e.coli-o157.fasta.gz"),
        Origin::Concern,
    );
    add(
        &mut builder,
        &ecoli.join("e.coli-K12.fasta.gz"),
        Origin::Background,
    );
    add(
        &mut builder,
        &ecoli.join("e.coli-EC590.fasta.gz"),
        Origin::Background,
    );
    let database = builder.finish().expect("database");
    let screener = Screener::new(&database, ScreenParams::default()).expect("screener");

    let k = 25;
    let mut background: HashSet<u64> = HashSet::new();
    for name in ["e.coli-K12.fasta.gz", "e.coli-EC590.fasta.gz"] {
        for record in records(&ecoli.join(name)) {
            background.extend(kmers(&record.sequence, k));
        }
    }
    let (mut all_shared, mut all_shared_flagged, mut all_specific_flagged) = (0u64, 0u64, 0u64);
    for record in records(&ecoli.join("e.coli-o157.fasta.gz")) {
        let report = screener.screen(&record, "o157");
        let length = record.sequence.len();
        let mut flagged = vec![false; length];
        for region in report
            .regions
            .iter()
            .filter(|region| region.kind == RegionKind::Concern)
        {
            flagged[region.start - 1..region.end].fill(true);
        }
        // per 25-mer start: shared with background or not
        let (mut shared, mut shared_flagged, mut specific, mut specific_flagged) =
            (0u64, 0u64, 0u64, 0u64);
        for (position, window) in record.sequence.windows(k).enumerate() {
            let Some(kmer) = kmers(window, k).next() else {
                continue;
            };
            let is_flagged = flagged[position + k / 2];
            if background.contains(&kmer) {
                shared += 1;
                shared_flagged += u64::from(is_flagged);
            } else {
                specific += 1;
                specific_flagged += u64::from(is_flagged);
            }
        }
        let flagged_total = flagged.iter().filter(|value| **value).count();
        let n_regions = report
            .regions
            .iter()
            .filter(|region| region.kind == RegionKind::Concern)
            .count();
        let shared_rate = shared_flagged as f64 / shared.max(1) as f64;
        let precision = specific_flagged as f64 / (specific_flagged + shared_flagged).max(1) as f64;
        eprintln!(
            "{}: {length} nt, {n_regions} flagged regions over {flagged_total} nt; shared 25-mers flagged {shared_rate:.4}; flagged 25-mers absent from background {precision:.4}; O157-only 25-mers flagged {:.4}",
            record.id,
            specific_flagged as f64 / specific.max(1) as f64
        );
        assert_eq!(report.status, Status::Flag, "{}", record.id);
        all_shared += shared;
        all_shared_flagged += shared_flagged;
        all_specific_flagged += specific_flagged;
    }
    // the shared backbone is not flagged
    let shared_rate = all_shared_flagged as f64 / all_shared.max(1) as f64;
    assert!(shared_rate < 0.02, "{shared_rate}");
    // what is flagged is O157-specific
    let precision =
        all_specific_flagged as f64 / (all_specific_flagged + all_shared_flagged).max(1) as f64;
    assert!(precision > 0.95, "{precision}");
}
