//! bwcv-cases: the Secretariat's operational core as pure code.
//!
//! Case kinds (clarification, transparency and assistance visits, field and
//! facility investigations) are explicit state machines; Executive Council
//! decisions are pure tallies; inspection teams are checked against the
//! roster and refusals; reports hold findings and the inspected State Party's
//! comments. Random selection of transparency visits follows RFC 3797 over
//! a pool published in advance, with randomness from drand or lotteries.
//!
//! No I/O, no clock, no async: every time is passed in (UTC), every
//! transition yields a [`case::CaseEvent`] with a canonical serialisation
//! for the ledger. bwcv records facts and findings; it never rules on a
//! State Party's conduct.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

pub mod canonical;
pub mod case;
pub mod council;
pub mod deadline;
pub mod drand;
pub mod draw;
pub mod investigation;
pub mod report;
pub mod rfc3797;
pub mod team;
