//! bwcv-ledger: the evidence ledger of bwcv, pure and without I/O.
//!
//! - [`merkle`]: the RFC 6962 Merkle log, its proofs (verified as RFC 9162
//!   §2.1.3.2 and §2.1.4.2) and the node-cache planner storage backends use.
//! - [`note`]: C2SP signed notes with Ed25519 keys and vkeys.
//! - [`checkpoint`]: C2SP tlog-checkpoints, tlog-cosignature/v1 cosignatures,
//!   the witness state machine and split-view detection.
//! - [`entry`]: canonical, versioned encodings of the events the log records.
//! - [`custody`]: the chain of custody of samples and its verification.
//! - [`bundle`]: self-contained custody bundles verifiable offline.
//!
//! Nothing here judges anyone's conduct: verification produces
//! findings, each naming the event and the reason.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

pub mod bundle;
pub mod checkpoint;
pub mod custody;
pub mod entry;
pub mod merkle;
pub mod note;
