//! bwcv-phylo: source tracing by phylogeny.
//!
//! Where does a genome sit among known strains, how fast is its lineage
//! evolving, when did it share an ancestor with them, and does it fit the
//! clock? This crate reads Newick trees, sampling dates and FASTA
//! alignments (or aligns genomes to a reference), builds neighbour-joining
//! trees, runs TreeTime's root-to-tip regression with best-root search and
//! clock filter, places new genomes by parsimony, and draws SVG plots.
//!
//! It reports findings with their numbers; it never decides anything about
//! compliance. It does no network or database I/O: engines take readers
//! and writers.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

pub mod align;
pub mod clock;
pub mod dates;
pub mod distance;
pub mod newick;
pub mod place;
pub mod plot;
pub mod seqio;
pub mod tree;

/// Version of this engine, recorded in every result.
pub const ENGINE_VERSION: &str = concat!("bwcv-phylo ", env!("CARGO_PKG_VERSION"));

/// SHA-256 of `bytes` as lowercase hex: the digest recorded for each input.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
