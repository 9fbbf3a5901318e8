//! bwcv-seq: screening nucleic-acid sequences against sequences of concern.
//!
//! * [`fastx`]: streaming FASTA/FASTQ reader (plain or gzip) with line-numbered errors.
//! * [`taxonomy`]: NCBI taxonomy dump and the regulated-taxon rule.
//! * [`db`]: the reference database (concern, background, digests, parameters).
//! * [`index`], [`search`]: spaced-seed indexes, DNA and six-frame protein seed-and-extend.
//! * [`screen`]: the best-match rule per region and the per-record status.
//! * [`report`]: TSV, JSON and HTML reports.
//! * [`bench`]: the seeded benchmark order generator.
//!
//! No network, no database, no async: engines take readers and writers.

pub mod alphabet;
pub mod bench;
pub mod db;
pub mod fastx;
pub mod index;
mod prefetch;
pub mod report;
pub mod screen;
pub mod search;
pub mod taxonomy;

pub use db::{BuildParams, Database, Molecule, Origin};
pub use screen::{RecordReport, Region, RegionKind, ScreenParams, Screener, Status};
