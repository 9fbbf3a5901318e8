//! bwcv-core: the vocabulary every other bwcv crate shares.
//!
//! Identifiers of States Parties and facilities, classification levels and
//! visibility of submissions. This crate does no I/O: no files, no network,
//! no database, no clock.

pub mod access;
pub mod classification;
pub mod ids;
pub mod lists;
pub mod params;

pub use classification::{Classification, Visibility};
pub use ids::{FacilityId, IdError, StatePartyCode};
