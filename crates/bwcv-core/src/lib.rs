//! bwcv-core: the vocabulary every other bwcv crate shares.
//!
//! Identifiers of States Parties and facilities, classification levels and
//! visibility of submissions, access rules, the controlled lists of agents,
//! toxins and equipment ([`lists`]) and the versioned protocol parameters
//! ([`params`]). This crate does no I/O: no files, no network, no database,
//! no clock (list and parameter data are compiled in; a replacement
//! parameter file is read by the caller and handed over as text).

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

pub mod access;
pub mod classification;
pub mod ids;
pub mod lists;
pub mod params;

pub use classification::{Classification, Visibility};
pub use ids::{FacilityId, IdError, StatePartyCode};
