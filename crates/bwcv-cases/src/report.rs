//! Visit and investigation reports: findings, and the inspected State
//! Party's comments appended unedited.
//!
//! A report records what was observed, which samples were taken (by their
//! chain-of-custody identifiers) and which analysis results were obtained
//! (by the digest of the result record). By design it has no field for any
//! judgement of the State Party's conduct: findings only. Comments of the
//! inspected State Party are appended exactly as submitted (not trimmed,
//! not re-encoded) and never change what came before.

use bwcv_core::StatePartyCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::canonical;
use crate::team::InspectorId;

/// Which report of the case this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// Investigations: due shortly after the team leaves.
    Preliminary,
    /// The visit report, or the final investigation report.
    Final,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// A fact observed by the team.
    Observation {
        observed_at: DateTime<Utc>,
        place: String,
        text: String,
    },
    /// A sample taken, identified by its chain-of-custody identifier.
    SampleTaken {
        taken_at: DateTime<Utc>,
        custody_id: String,
        description: String,
    },
    /// An analysis result, identified by the digest of its result record
    /// (which itself records engine version, reference data and parameters).
    AnalysisResult {
        custody_id: String,
        result_sha256: String,
        summary: String,
    },
}

/// A comment of the inspected State Party, as submitted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    pub state_party: StatePartyCode,
    pub author: String,
    pub submitted_at: DateTime<Utc>,
    pub text: String,
}

/// Why a report or comment is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("only the inspected State Party ({inspected}) comments on this report, not {given}")]
    NotInspectedParty {
        inspected: StatePartyCode,
        given: StatePartyCode,
    },
    #[error("the comment is empty")]
    EmptyComment,
    #[error("comment submitted at {submitted_at}, before the report was issued at {issued_at}")]
    CommentBeforeIssue {
        submitted_at: DateTime<Utc>,
        issued_at: DateTime<Utc>,
    },
    #[error("finding {index}: {reason}")]
    BadFinding { index: usize, reason: String },
    #[error("a report needs at least one author")]
    NoAuthor,
}

/// A report of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub case_id: String,
    pub kind: ReportKind,
    pub inspected: StatePartyCode,
    pub issued_at: DateTime<Utc>,
    pub authors: Vec<InspectorId>,
    pub findings: Vec<Finding>,
    /// Appended in order of submission; never edited.
    comments: Vec<Comment>,
}

impl Report {
    /// A report with its findings; refuses findings with blank identifiers
    /// or malformed digests.
    pub fn new(
        case_id: &str,
        kind: ReportKind,
        inspected: StatePartyCode,
        issued_at: DateTime<Utc>,
        authors: Vec<InspectorId>,
        findings: Vec<Finding>,
    ) -> Result<Self, ReportError> {
        if authors.is_empty() {
            return Err(ReportError::NoAuthor);
        }
        for (index, finding) in findings.iter().enumerate() {
            let bad = |reason: &str| ReportError::BadFinding {
                index,
                reason: reason.to_owned(),
            };
            match finding {
                Finding::Observation { text, .. } if text.trim().is_empty() => {
                    return Err(bad("an observation needs its text"));
                }
                Finding::SampleTaken { custody_id, .. } if custody_id.trim().is_empty() => {
                    return Err(bad("a sample needs its custody identifier"));
                }
                Finding::AnalysisResult {
                    custody_id,
                    result_sha256,
                    ..
                } => {
                    if custody_id.trim().is_empty() {
                        return Err(bad(
                            "an analysis result names its sample's custody identifier",
                        ));
                    }
                    let is_digest = result_sha256.len() == 64
                        && result_sha256.bytes().all(|b| b.is_ascii_hexdigit());
                    if !is_digest {
                        return Err(bad("result_sha256 must be 64 hex digits"));
                    }
                }
                _ => {}
            }
        }
        Ok(Self {
            case_id: case_id.to_owned(),
            kind,
            inspected,
            issued_at,
            authors,
            findings,
            comments: Vec::new(),
        })
    }

    /// Appends the inspected State Party's comment exactly as given.
    pub fn append_comment(&mut self, comment: Comment) -> Result<(), ReportError> {
        if comment.state_party != self.inspected {
            return Err(ReportError::NotInspectedParty {
                inspected: self.inspected.clone(),
                given: comment.state_party,
            });
        }
        if comment.text.trim().is_empty() {
            return Err(ReportError::EmptyComment);
        }
        if comment.submitted_at < self.issued_at {
            return Err(ReportError::CommentBeforeIssue {
                submitted_at: comment.submitted_at,
                issued_at: self.issued_at,
            });
        }
        self.comments.push(comment);
        Ok(())
    }

    /// The comments, in order of submission.
    pub fn comments(&self) -> &[Comment] {
        &self.comments
    }

    /// Hex SHA-256 of the canonical JSON of the findings part (without
    /// comments): fixed when the report is issued.
    pub fn findings_digest(&self) -> String {
        canonical::digest(&(
            &self.case_id,
            self.kind,
            &self.inspected,
            self.issued_at,
            &self.authors,
            &self.findings,
        ))
    }

    /// Hex SHA-256 of the whole report, comments included.
    pub fn digest(&self) -> String {
        canonical::digest(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(code: &str) -> StatePartyCode {
        StatePartyCode::new(code).unwrap()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap()
    }

    fn report() -> Report {
        Report::new(
            "CASE-1",
            ReportKind::Final,
            sp("BOR"),
            at(0),
            vec![InspectorId("I1".to_owned())],
            vec![
                Finding::Observation {
                    observed_at: at(-100),
                    place: "Building 2".to_owned(),
                    text: "Fermenter of 500 l present, not in use".to_owned(),
                },
                Finding::SampleTaken {
                    taken_at: at(-90),
                    custody_id: "CUST-0001".to_owned(),
                    description: "Swab, fermenter outlet".to_owned(),
                },
                Finding::AnalysisResult {
                    custody_id: "CUST-0001".to_owned(),
                    result_sha256: "0f".repeat(32),
                    summary: "No sequence of concern detected".to_owned(),
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn comments_are_appended_unedited() {
        let mut report = report();
        let findings_before = report.findings_digest();
        let text = "  We note the fermenter\tis a spare.\n\n— Délégation  ".to_owned();
        report
            .append_comment(Comment {
                state_party: sp("BOR"),
                author: "na-bor".to_owned(),
                submitted_at: at(10),
                text: text.clone(),
            })
            .unwrap();
        assert_eq!(report.comments()[0].text, text);
        assert_eq!(report.findings_digest(), findings_before);
        let json = serde_json::to_string(&report).unwrap();
        let back: Report = serde_json::from_str(&json).unwrap();
        assert_eq!(back.comments()[0].text, text);
        assert_eq!(back.digest(), report.digest());
    }

    #[test]
    fn refusals() {
        let mut report = report();
        let comment = |code: &str, seconds, text: &str| Comment {
            state_party: sp(code),
            author: "x".to_owned(),
            submitted_at: at(seconds),
            text: text.to_owned(),
        };
        assert!(matches!(
            report.append_comment(comment("ARC", 10, "ours")),
            Err(ReportError::NotInspectedParty { .. })
        ));
        assert_eq!(
            report.append_comment(comment("BOR", 10, " \n")),
            Err(ReportError::EmptyComment)
        );
        assert!(matches!(
            report.append_comment(comment("BOR", -1, "early")),
            Err(ReportError::CommentBeforeIssue { .. })
        ));
        assert!(report.comments().is_empty());
        let bad = Report::new(
            "C",
            ReportKind::Preliminary,
            sp("BOR"),
            at(0),
            vec![InspectorId("I1".to_owned())],
            vec![Finding::AnalysisResult {
                custody_id: "CUST-1".to_owned(),
                result_sha256: "nope".to_owned(),
                summary: String::new(),
            }],
        );
        assert!(matches!(bad, Err(ReportError::BadFinding { index: 0, .. })));
        let anonymous = Report::new("C", ReportKind::Final, sp("BOR"), at(0), vec![], vec![]);
        assert_eq!(anonymous, Err(ReportError::NoAuthor));
    }

    /// The report format has no place for a judgement: the serialised field
    /// names are exactly these.
    #[test]
    fn no_judgement_field() {
        let value = serde_json::to_value(report()).unwrap();
        let keys: Vec<&String> = value.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "authors",
                "case_id",
                "comments",
                "findings",
                "inspected",
                "issued_at",
                "kind"
            ]
        );
    }
}
