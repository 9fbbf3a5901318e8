//! The screening rules on generated genomes (seeded RNG): both strands, six
//! frames, best match, common sequences, short fragments, inserts inside
//! background, short records, database round trip.

use std::collections::BTreeMap;

use bwcv_seq::alphabet;
use bwcv_seq::bench::mutate_synonymous;
use bwcv_seq::db::{BuildParams, Builder, Database, ListEntry, Molecule, Origin};
use bwcv_seq::fastx::Record;
use bwcv_seq::screen::{RegionKind, ScreenParams, Screener, Status};
use bwcv_seq::search::Level;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CONCERN_TAXID: u32 = 694009;
const BACKGROUND_TAXID: u32 = 10710;

fn random_dna(rng: &mut ChaCha8Rng, length: usize) -> Vec<u8> {
    (0..length).map(|_| b"ACGT"[rng.gen_range(0..4)]).collect()
}

/// A stop-free open reading frame of `n_codons` codons.
fn random_gene(rng: &mut ChaCha8Rng, n_codons: usize) -> Vec<u8> {
    let mut gene = b"ATG".to_vec();
    while gene.len() < 3 * n_codons {
        let codon = random_dna(rng, 3);
        let codes = alphabet::encode_nt(&codon);
        if alphabet::translate_codon(codes[0], codes[1], codes[2]) != alphabet::AA_STOP {
            gene.extend(codon);
        }
    }
    gene
}

fn diverge(rng: &mut ChaCha8Rng, sequence: &[u8], fraction: f64) -> Vec<u8> {
    let mut copy = sequence.to_vec();
    bwcv_seq::bench::mutate_random(&mut copy, fraction, rng);
    copy
}

fn reverse_complement(sequence: &[u8]) -> Vec<u8> {
    alphabet::reverse_complement(&alphabet::encode_nt(sequence))
        .into_iter()
        .map(alphabet::nt_letter)
        .collect()
}

struct World {
    concern: Vec<u8>,
    background: Vec<u8>,
    /// offset of the toxin-like gene in `concern`
    gene_at: usize,
    gene: Vec<u8>,
    /// offset of the shared (vector-like) segment in `concern`
    shared_at: usize,
    shared: Vec<u8>,
    /// housekeeping gene: identical in concern, 12 % diverged in background
    housekeeping_concern_at: usize,
    housekeeping_background_at: usize,
    housekeeping_length: usize,
    database: Database,
}

fn fasta(name: &str, taxid: u32, sequence: &[u8]) -> Vec<u8> {
    let mut text = format!(">{name} taxid|{taxid}| generated\n").into_bytes();
    for line in sequence.chunks(70) {
        text.extend_from_slice(line);
        text.push(b'\n');
    }
    text
}

fn world() -> World {
    world_built_with(BuildParams::default())
}

/// The database of [`world`] built with other DNA seeds.
fn world_with_seeds(dna_seeds: Vec<String>) -> Database {
    world_built_with(BuildParams {
        dna_seeds,
        ..BuildParams::default()
    })
    .database
}

fn world_built_with(build_params: BuildParams) -> World {
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    let gene = random_gene(&mut rng, 300);
    let shared = random_dna(&mut rng, 800);
    let housekeeping = random_gene(&mut rng, 250);
    let housekeeping_background = diverge(&mut rng, &housekeeping, 0.12);
    let mut concern = random_dna(&mut rng, 6000);
    let gene_at = concern.len();
    concern.extend(&gene);
    concern.extend(random_dna(&mut rng, 3000));
    let shared_at = concern.len();
    concern.extend(&shared);
    concern.extend(random_dna(&mut rng, 2000));
    let housekeeping_concern_at = concern.len();
    concern.extend(&housekeeping);
    concern.extend(random_dna(&mut rng, 2000));
    let mut background = random_dna(&mut rng, 5000);
    background.extend(&shared);
    background.extend(random_dna(&mut rng, 4000));
    let housekeeping_background_at = background.len();
    background.extend(&housekeeping_background);
    background.extend(random_dna(&mut rng, 9000));

    let listed: BTreeMap<u32, ListEntry> = [(
        CONCERN_TAXID,
        ListEntry {
            taxid: CONCERN_TAXID,
            id: "T-1".into(),
            name: "Test agent".into(),
            category: "virus".into(),
        },
    )]
    .into_iter()
    .collect();
    let mut builder = Builder::new(build_params, listed, "test list");
    builder
        .add(
            "concern.fa",
            fasta("concern1", CONCERN_TAXID, &concern).as_slice(),
            Origin::Concern,
            Molecule::Nucleotide,
        )
        .expect("concern");
    builder
        .add(
            "background.fa",
            fasta("background1", BACKGROUND_TAXID, &background).as_slice(),
            Origin::Background,
            Molecule::Nucleotide,
        )
        .expect("background");
    let database = builder.finish().expect("database");
    World {
        housekeeping_length: housekeeping.len(),
        concern,
        background,
        gene_at,
        gene,
        shared_at,
        shared,
        housekeeping_concern_at,
        housekeeping_background_at,
        database,
    }
}

fn record(id: &str, sequence: &[u8]) -> Record {
    Record {
        id: id.into(),
        description: String::new(),
        sequence: sequence.to_vec(),
        line: 1,
    }
}

#[test]
fn screening_rules_on_generated_genomes() {
    let world = world();
    // round trip through the file format before screening
    let bytes = world.database.to_bytes().expect("bytes");
    let database = Database::from_bytes(&bytes).expect("read back");
    assert_eq!(database.digest_hex(), world.database.digest_hex());
    let screener = Screener::new(&database, ScreenParams::default()).expect("screener");

    // forward strand, 200 nt of the gene of concern
    let fragment = &world.concern[world.gene_at + 100..world.gene_at + 300];
    let report = screener.screen(&record("forward", fragment), "t");
    assert_eq!(report.status, Status::Flag, "{report:#?}");
    let region = &report.regions[0];
    assert_eq!(region.kind, RegionKind::Concern);
    assert_eq!(region.strand, '+');
    assert_eq!((region.start, region.end), (1, 200));
    assert_eq!(region.reference, "concern1");
    assert_eq!(region.taxid, Some(CONCERN_TAXID));
    assert_eq!(region.list_entry.as_deref(), Some("T-1"));
    assert_eq!(
        (region.reference_start, region.reference_end),
        ((world.gene_at + 101) as u64, (world.gene_at + 300) as u64)
    );
    assert!((region.identity - 1.0).abs() < 1e-9);

    // reverse strand
    let report = screener.screen(&record("reverse", &reverse_complement(fragment)), "t");
    assert_eq!(report.status, Status::Flag);
    assert_eq!(report.regions[0].strand, '-');
    assert_eq!(
        (
            report.regions[0].reference_start,
            report.regions[0].reference_end
        ),
        ((world.gene_at + 101) as u64, (world.gene_at + 300) as u64)
    );

    // 50-nt fragment, 4 % diverged
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let short = diverge(
        &mut rng,
        &world.concern[world.gene_at + 400..world.gene_at + 450],
        0.04,
    );
    let report = screener.screen(&record("short", &short), "t");
    assert_eq!(report.status, Status::Flag, "{report:#?}");

    // a 50-nt insert of concern inside 1,000 nt of background
    let mut chimera = world.background[100..600].to_vec();
    chimera.extend(&world.concern[world.gene_at + 500..world.gene_at + 550]);
    chimera.extend(&world.background[600..1100]);
    let report = screener.screen(&record("chimera", &chimera), "t");
    assert_eq!(report.status, Status::Flag, "{report:#?}");
    let flagged: Vec<_> = report
        .regions
        .iter()
        .filter(|region| region.kind == RegionKind::Concern)
        .collect();
    assert_eq!(flagged.len(), 1);
    assert!(
        flagged[0].start >= 490 && flagged[0].start <= 505,
        "{:?}",
        flagged[0]
    );
    assert!(
        flagged[0].end >= 546 && flagged[0].end <= 560,
        "{:?}",
        flagged[0]
    );

    // background only: nothing at all
    let report = screener.screen(&record("background", &world.background[2000..3000]), "t");
    assert_eq!(report.status, Status::Pass);
    assert!(report.regions.is_empty(), "{report:#?}");

    // sequence common to both (vector-like): reported as common, not flagged
    let report = screener.screen(&record("common", &world.shared[100..600]), "t");
    assert_eq!(report.status, Status::Pass, "{report:#?}");
    assert!(!report.regions.is_empty());
    assert!(
        report
            .regions
            .iter()
            .all(|region| region.kind == RegionKind::Common)
    );
    assert!(report.regions[0].background.is_some());
    let _ = world.shared_at;

    // best match: the background copy of the housekeeping gene is not flagged,
    // the concern copy is (it is best explained by the regulated taxon)
    let background_copy = &world.background[world.housekeeping_background_at
        ..world.housekeeping_background_at + world.housekeeping_length];
    let report = screener.screen(&record("housekeeping-background", background_copy), "t");
    assert_ne!(report.status, Status::Flag, "{report:#?}");
    let concern_copy = &world.concern
        [world.housekeeping_concern_at..world.housekeeping_concern_at + world.housekeeping_length];
    let report = screener.screen(&record("housekeeping-concern", concern_copy), "t");
    assert_eq!(report.status, Status::Flag, "{report:#?}");

    // too short to screen
    let report = screener.screen(&record("tiny", &world.concern[..30]), "t");
    assert_eq!(report.status, Status::Warn);
    assert!(report.note.is_some());
}

#[test]
fn synonymous_recoding_is_found_at_protein_level_in_six_frames() {
    let world = world();
    let screener = Screener::new(&world.database, ScreenParams::default()).expect("screener");
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // recode 300 nt of the gene as far as synonymous codons allow (the
    // protein is unchanged, about a third of the nt differ)
    let mut recoded = world.gene[150..450].to_vec();
    let changed = mutate_synonymous(&mut recoded, 0, 0.5, &mut rng);
    assert!(changed >= 75, "{changed}");
    for (name, query, expected_frame_sign) in [
        ("plus", recoded.clone(), 1i8),
        ("minus", reverse_complement(&recoded), -1i8),
    ] {
        let report = screener.screen(&record(name, &query), "t");
        assert_eq!(report.status, Status::Flag, "{name}: {report:#?}");
        let best = report
            .regions
            .iter()
            .find(|region| region.kind == RegionKind::Concern)
            .expect("a region");
        assert!(best.aligned_length >= 250, "{best:?}");
        assert_eq!(best.level, Level::Protein, "{best:?}");
        assert_eq!(best.frame.signum(), expected_frame_sign, "{best:?}");
        assert!((best.identity - 1.0).abs() < 1e-9, "{best:?}");
    }
    // with the protein level off, the codon seed (blind to third positions)
    // still finds the recoded gene at DNA level, at about two thirds identity
    let params = ScreenParams {
        search: bwcv_seq::search::SearchParams {
            protein_level: false,
            ..Default::default()
        },
        ..ScreenParams::default()
    };
    let dna_only = Screener::new(&world.database, params.clone()).expect("screener");
    let report = dna_only.screen(&record("plus", &recoded), "t");
    assert!(
        report
            .regions
            .iter()
            .all(|region| region.level == Level::Dna)
    );
    assert_eq!(report.status, Status::Flag, "{report:#?}");
    let best = report
        .regions
        .iter()
        .find(|region| region.kind == RegionKind::Concern)
        .expect("a region");
    assert!(
        best.identity < 0.8 && best.aligned_length >= 150,
        "{best:?}"
    );
    // a DNA index with the PatternHunter seed alone misses it
    let world_ph = world_with_seeds(vec!["111010010100110111".into()]);
    let screener = Screener::new(&world_ph, params).expect("screener");
    let report = screener.screen(&record("plus", &recoded), "t");
    assert_ne!(report.status, Status::Flag, "{report:#?}");
}

#[test]
fn long_records_are_screened_per_region_across_windows() {
    let world = world();
    let params = ScreenParams {
        search: bwcv_seq::search::SearchParams {
            window_nt: 1000,
            window_overlap_nt: 200,
            ..Default::default()
        },
        ..ScreenParams::default()
    };
    let screener = Screener::new(&world.database, params).expect("screener");
    let report = screener.screen(&record("whole", &world.concern), "t");
    assert_eq!(report.status, Status::Flag);
    let flagged: usize = report
        .regions
        .iter()
        .filter(|region| region.kind == RegionKind::Concern)
        .map(|region| region.aligned_length)
        .sum();
    let common: usize = report
        .regions
        .iter()
        .filter(|region| region.kind == RegionKind::Common)
        .map(|region| region.aligned_length)
        .sum();
    // everything but the 800-nt shared segment is flagged
    assert!(
        flagged + 30 >= world.concern.len() - world.shared.len(),
        "{report:#?}"
    );
    assert!(
        common + 30 >= world.shared.len() && common <= world.shared.len() + 30,
        "{report:#?}"
    );
}

/// Regression: a short chance match to background (20 nt, not significant
/// on its own) has a higher score density than a 50-nt fragment of concern
/// with one substitution; it used to split the fragment into pieces too
/// short to flag (50-nt orders were lost against a 10 Mb background).
/// Only significant background alignments explain positions now.
#[test]
fn insignificant_background_does_not_split_a_region_of_concern() {
    let world = world();
    let start = world.gene_at + 700;
    let mut fragment = world.concern[start..start + 50].to_vec();
    fragment[5] = if fragment[5] == b'A' { b'C' } else { b'A' };
    let mut rng = ChaCha8Rng::seed_from_u64(77);
    let mut background = world.background.clone();
    background.extend(&fragment[20..40]);
    background.extend(random_dna(&mut rng, 500));
    let listed: BTreeMap<u32, ListEntry> = [(
        CONCERN_TAXID,
        ListEntry {
            taxid: CONCERN_TAXID,
            id: "T-1".into(),
            name: "Test agent".into(),
            category: "virus".into(),
        },
    )]
    .into_iter()
    .collect();
    let mut builder = Builder::new(BuildParams::default(), listed, "test list");
    builder
        .add(
            "concern.fa",
            fasta("concern1", CONCERN_TAXID, &world.concern).as_slice(),
            Origin::Concern,
            Molecule::Nucleotide,
        )
        .expect("concern");
    builder
        .add(
            "background.fa",
            fasta("background1", BACKGROUND_TAXID, &background).as_slice(),
            Origin::Background,
            Molecule::Nucleotide,
        )
        .expect("background");
    let database = builder.finish().expect("database");
    // a strict threshold plays the part of the large database: the 20-nt
    // background match is not significant at 1e-6 in 43 kb
    let params = ScreenParams {
        max_evalue: 1e-6,
        ..ScreenParams::default()
    };
    let screener = Screener::new(&database, params).expect("screener");
    let report = screener.screen(&record("short", &fragment), "t");
    assert_eq!(report.status, Status::Flag, "{report:#?}");
    let region = report
        .regions
        .iter()
        .find(|region| region.kind == RegionKind::Concern)
        .expect("flagged region");
    assert!(region.aligned_length >= 45, "{region:#?}");
    // regression: the report named that insignificant 20-nt match as the
    // region's best background (identity 1.0), as if background explained it
    assert!(region.background.is_none(), "{region:#?}");
}

/// Regression: with the weak level at E ≤ 10 (BLAST's display default),
/// three quarters of random, unrelated orders came out as "warn". An
/// E-value counts the chance alignments expected in the record, so at the
/// default `warn_evalue` of 0.01 about 1 in 100 unrelated records warns and
/// about 1 in 1,000 is flagged.
#[test]
fn unrelated_records_rarely_warn() {
    let world = world();
    let screener = Screener::new(&world.database, ScreenParams::default()).expect("screener");
    let mut rng = ChaCha8Rng::seed_from_u64(4242);
    let n_records = 300;
    let mut n_not_pass = 0;
    for index in 0..n_records {
        let length = [50, 150, 500][index % 3];
        let sequence = random_dna(&mut rng, length);
        let report = screener.screen(&record(&format!("random{index}"), &sequence), "t");
        if report.status != Status::Pass {
            n_not_pass += 1;
        }
    }
    // expected about 3 of 300 (E ≤ 0.01 each); 12 leaves room for chance
    assert!(
        n_not_pass <= 12,
        "{n_not_pass} of {n_records} random records did not pass"
    );
}

/// An order with a deletion and an insertion relative to the reference:
/// the ungapped pieces are joined through gapped alignments, so the region
/// is reported from one alignment over the whole order (reference span
/// includes the deleted nt, identity counts the gap columns) and is more
/// significant than any piece; without joins only the best piece is.
#[test]
fn indels_are_bridged_by_gapped_joins() {
    let world = world();
    let gene = &world.concern[world.gene_at..world.gene_at + 200];
    // 40 nt, 2 nt deleted, 40 nt, 3 nt inserted, 40 nt
    let mut order = gene[10..50].to_vec();
    order.extend_from_slice(&gene[52..92]);
    order.extend_from_slice(b"GTA");
    order.extend_from_slice(&gene[92..132]);
    let screen = |join_gaps: bool| {
        let params = ScreenParams {
            search: bwcv_seq::search::SearchParams {
                join_gaps,
                ..Default::default()
            },
            ..ScreenParams::default()
        };
        let screener = Screener::new(&world.database, params).expect("screener");
        screener.screen(&record("indels", &order), "t")
    };
    let joined = screen(true);
    let pieces = screen(false);
    assert_eq!(joined.status, Status::Flag, "{joined:#?}");
    let concern: Vec<_> = joined
        .regions
        .iter()
        .filter(|region| region.kind == RegionKind::Concern)
        .collect();
    assert_eq!(concern.len(), 1, "{joined:#?}");
    let region = concern[0];
    assert_eq!((region.start, region.end), (1, order.len()), "{region:#?}");
    // 120 identical columns, 2 + 3 gap columns
    assert!(
        (region.identity - 120.0 / 125.0).abs() < 1e-9,
        "{region:#?}"
    );
    assert_eq!(
        region.reference_end + 1 - region.reference_start,
        122,
        "{region:#?}"
    );
    let best_piece = pieces
        .regions
        .iter()
        .filter(|region| region.kind == RegionKind::Concern)
        .map(|region| region.evalue)
        .fold(f64::INFINITY, f64::min);
    assert!(
        region.evalue < best_piece / 1e6,
        "{} vs {best_piece}",
        region.evalue
    );
}
