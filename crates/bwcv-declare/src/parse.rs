//! Reading a submission from bytes: JSON syntax, then structure, then the
//! typed [`Submission`]. Never panics, whatever the input (serde_json limits
//! nesting depth, so hostile nesting is an error, not a stack overflow).

use serde_json::Value;

use crate::model::Submission;
use crate::problem::{Problem, Rule, pointer_push};

/// Keys under `forms` under which a (deleted) Form D might be submitted.
const FORM_D_KEYS: [&str; 3] = ["d", "form_d", "D"];

/// The outcome of reading a submission: the typed submission if the file
/// had its structure, and the problems met on the way (a Form D, or why the
/// file could not be read).
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub submission: Option<Submission>,
    pub problems: Vec<Problem>,
}

/// Reads a submission from JSON bytes.
pub fn parse(input: &[u8]) -> Parsed {
    let mut value: Value = match serde_json::from_slice(input) {
        Ok(value) => value,
        Err(error) => {
            return Parsed {
                submission: None,
                problems: vec![json_error_problem("", Rule::ParseSyntax, &error)],
            };
        }
    };
    let mut problems = Vec::new();
    let mut removed_form_d = false;
    if let Some(forms) = value.get_mut("forms").and_then(Value::as_object_mut) {
        for key in FORM_D_KEYS {
            if forms.remove(key).is_some() {
                removed_form_d = true;
                problems.push(Problem::new(
                    pointer_push("/forms", key),
                    Rule::FormDDeleted,
                    "Form D (active promotion of contacts) was deleted by the Seventh Review Conference (2011): remove it; forward-looking information on conferences and exchanges is no longer a CBM form",
                ));
            }
        }
    }
    let typed = if removed_form_d {
        serde_path_to_error::deserialize::<_, Submission>(value).map_err(|error| {
            let path = path_to_pointer(error.path());
            Problem::new(path, Rule::ParseStructure, error.inner().to_string())
        })
    } else {
        // Deserialize from the bytes again for line and column numbers.
        let mut deserializer = serde_json::Deserializer::from_slice(input);
        serde_path_to_error::deserialize::<_, Submission>(&mut deserializer).map_err(|error| {
            let path = path_to_pointer(error.path());
            json_error_problem(&path, Rule::ParseStructure, error.inner())
        })
    };
    match typed {
        Ok(submission) => Parsed {
            submission: Some(submission),
            problems,
        },
        Err(problem) => {
            problems.push(problem);
            Parsed {
                submission: None,
                problems,
            }
        }
    }
}

fn json_error_problem(path: &str, rule: Rule, error: &serde_json::Error) -> Problem {
    let mut problem = Problem::new(path, rule, strip_position(&error.to_string()));
    if error.line() > 0 {
        problem.line = Some(error.line());
        problem.column = Some(error.column());
    }
    problem
}

/// serde_json appends " at line L column C"; the problem carries those separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        pointer = match segment {
            Segment::Seq { index } => pointer_push(&pointer, &index.to_string()),
            Segment::Map { key } => pointer_push(&pointer, key),
            Segment::Enum { variant } => pointer_push(&pointer, variant),
            Segment::Unknown => pointer_push(&pointer, "?"),
        };
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_has_line_and_column() {
        let parsed = parse(b"{\n  \"format_version\": 1,\n  oops\n}");
        assert!(parsed.submission.is_none());
        let problem = &parsed.problems[0];
        assert_eq!(problem.rule, Rule::ParseSyntax);
        assert_eq!(problem.line, Some(3));
        assert!(problem.column.is_some());
    }

    #[test]
    fn type_error_has_path() {
        let text = br#"{"format_version": 1, "state_party": "XAR", "reporting_year": "2024",
            "visibility": "public", "forms": {}}"#;
        let parsed = parse(text);
        let problem = &parsed.problems[0];
        assert_eq!(problem.rule, Rule::ParseStructure);
        assert_eq!(problem.path, "/reporting_year");
        assert_eq!(problem.line, Some(1));
    }

    #[test]
    fn bad_facility_id_is_named() {
        let text = br#"{"format_version": 1, "state_party": "XAR", "reporting_year": 2024,
            "visibility": "public", "forms": {"g": {"facilities": [{"facility_id": "nonsense",
            "name": "n", "location": "l", "diseases_covered": "d"}]}}}"#;
        let parsed = parse(text);
        let problem = &parsed.problems[0];
        assert_eq!(problem.path, "/forms/g/facilities/0/facility_id");
        assert!(problem.message.contains("XAR-F") || problem.message.contains("-F"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let mut text = "[".repeat(100_000);
        text.push_str(&"]".repeat(100_000));
        let parsed = parse(text.as_bytes());
        assert_eq!(parsed.problems[0].rule, Rule::ParseSyntax);
    }
}
