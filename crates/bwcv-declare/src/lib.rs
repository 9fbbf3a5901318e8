//! bwcv-declare: the confidence-building measures (CBMs) of the Biological
//! Weapons Convention, as revised by the Seventh Review Conference (2011).
//!
//! - [`model`]: the typed forms of a State Party's yearly [`Submission`].
//! - [`parse`]: reading a submission from JSON, with line, column and path
//!   of anything that does not fit.
//! - [`validate`]: every problem of a submission at once, each with its JSON
//!   path and a stable rule id ([`Rule`]).
//! - [`diff`]: what changed from one year to the next, and inconsistencies
//!   across a State Party's history.
//! - [`render`]: the submission as a document laid out like the forms.
//! - [`demo`]: seeded, clearly fictional States Parties and their returns.
//! - [`overview`]: the Secretariat's overview of a year.
//! - [`schema`]: the JSON Schema of the format.
//!
//! The crate does no I/O: callers pass bytes and get values. Nothing here
//! decides compliance; the checks report facts about the paperwork.

// The workspace denies unsafe code; only bwcv-seq maps a file (ARCHITECTURE.md).
#![forbid(unsafe_code)]

pub mod demo;
pub mod diff;
pub mod model;
pub mod overview;
pub mod parse;
pub mod problem;
pub mod render;
pub mod schema;
pub mod validate;

pub use model::{FORMAT_VERSION, Forms, Measure, Submission};
pub use parse::{Parsed, parse};
pub use problem::{Problem, Rule, Severity};
pub use validate::{Context, validate};

/// Parses and validates one file's bytes: the parse problems, then (if the
/// file could be read as a submission) every validation problem.
pub fn check(input: &[u8], context: &Context<'_>) -> Parsed {
    let mut parsed = parse(input);
    if let Some(submission) = &parsed.submission {
        parsed.problems.extend(validate(submission, context));
    }
    parsed
}
