//! Sampling dates from a metadata table (CSV or TSV).
//!
//! Date values follow TreeTime's `utils.parse_dates` (TreeTime 0.12):
//! a decimal year (`2013.405`); a range `[2013.2:2013.5]`; an ISO date
//! `2014-08-16`, converted as `year + (day_of_year - 0.5) / days_in_year`
//! (TreeTime `numeric_date`); an incomplete date `2013-12-XX` or
//! `2014-XX-XX`, a range from the first to the last possible day. The
//! regression uses the midpoint of a range, as TreeTime does; the range is
//! kept and reported. Empty, `?` and unparseable values are "no date".

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Serialize;

/// A sampling date: exact or a range of decimal years.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SampleDate {
    /// A single decimal year.
    Exact { year: f64 },
    /// The date lies between `min` and `max` (decimal years).
    Range { min: f64, max: f64 },
}

impl SampleDate {
    /// The value used in the regression (TreeTime: `np.mean` of the range).
    pub fn mean(&self) -> f64 {
        match *self {
            SampleDate::Exact { year } => year,
            SampleDate::Range { min, max } => 0.5 * (min + max),
        }
    }
}

/// Errors reading the metadata table.
#[derive(Debug, thiserror::Error)]
pub enum DatesError {
    #[error("dates: cannot read line {line}: {source}")]
    Io {
        line: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("dates: the table is empty (no header line)")]
    Empty,
    #[error("dates: line {line} has {found} fields, the header has {expected}")]
    FieldCount {
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("dates: line {line}: unterminated quoted field")]
    Quote { line: usize },
    #[error("dates: no column named {wanted:?}; columns are: {columns}")]
    NoSuchColumn { wanted: String, columns: String },
    #[error(
        "dates: no name column (looked for a header 'name', 'strain' or 'accession'); columns are: {columns}"
    )]
    NoNameColumn { columns: String },
    #[error(
        "dates: no date column (looked for a header containing 'date'); columns are: {columns}"
    )]
    NoDateColumn { columns: String },
    #[error("dates: no row has a usable date in column {column:?}")]
    NoDates { column: String },
}

/// A parsed metadata table: header and rows of text cells.
#[derive(Debug, Clone)]
pub struct Table {
    /// Column names (surrounding blanks removed).
    pub header: Vec<String>,
    /// Rows with the same number of cells as the header.
    pub rows: Vec<Vec<String>>,
}

/// Field separator of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Separator {
    Comma,
    Tab,
}

/// Reads a CSV or TSV table. With `separator = None` a tab in the header
/// line means TSV, otherwise CSV. CSV cells may be double-quoted; blanks
/// around cells are removed (TreeTime splits on `\s*,\s*`). Lines starting
/// with `#` and blank lines are skipped.
pub fn read_table(reader: impl BufRead, separator: Option<Separator>) -> Result<Table, DatesError> {
    let mut header: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    let mut sep = separator;
    for (index, line) in reader.lines().enumerate() {
        let line_number = index + 1;
        let line = line.map_err(|source| DatesError::Io {
            line: line_number,
            source,
        })?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let sep_now = *sep.get_or_insert(if line.contains('\t') {
            Separator::Tab
        } else {
            Separator::Comma
        });
        let cells = split_line(line, sep_now, line_number)?;
        match &header {
            None => header = Some(cells),
            Some(h) => {
                if cells.len() != h.len() {
                    // Tolerate missing trailing empty cells.
                    if cells.len() < h.len() && sep_now == Separator::Tab {
                        let mut cells = cells;
                        cells.resize(h.len(), String::new());
                        rows.push(cells);
                        continue;
                    }
                    return Err(DatesError::FieldCount {
                        line: line_number,
                        found: cells.len(),
                        expected: h.len(),
                    });
                }
                rows.push(cells);
            }
        }
    }
    let header = header.ok_or(DatesError::Empty)?;
    Ok(Table { header, rows })
}

fn split_line(line: &str, sep: Separator, line_number: usize) -> Result<Vec<String>, DatesError> {
    match sep {
        Separator::Tab => Ok(line.split('\t').map(|c| unquote(c.trim())).collect()),
        Separator::Comma => {
            let mut cells = Vec::new();
            let mut current = String::new();
            let mut in_quotes = false;
            let mut chars = line.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' if in_quotes && chars.peek() == Some(&'"') => {
                        current.push('"');
                        chars.next();
                    }
                    '"' if in_quotes => in_quotes = false,
                    '"' if current.trim().is_empty() => {
                        current.clear();
                        in_quotes = true;
                    }
                    ',' if !in_quotes => {
                        cells.push(current.trim().to_string());
                        current.clear();
                    }
                    _ => current.push(c),
                }
            }
            if in_quotes {
                return Err(DatesError::Quote { line: line_number });
            }
            cells.push(current.trim().to_string());
            Ok(cells)
        }
    }
}

fn unquote(cell: &str) -> String {
    let stripped = cell
        .strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .map(|c| c.replace("\"\"", "\""));
    stripped.unwrap_or_else(|| cell.to_string())
}

/// Dates per taxon name, plus which columns were used.
#[derive(Debug, Clone, Serialize)]
pub struct DateMap {
    /// The column holding the taxon names.
    pub name_column: String,
    /// The column holding the dates.
    pub date_column: String,
    /// Dates by taxon name (ordered, deterministic).
    pub dates: BTreeMap<String, SampleDate>,
    /// Rows whose date could not be read, with the cell text.
    pub unreadable: Vec<(String, String)>,
}

impl Table {
    fn column(&self, wanted: &str) -> Result<usize, DatesError> {
        self.header
            .iter()
            .position(|h| h == wanted)
            .ok_or_else(|| DatesError::NoSuchColumn {
                wanted: wanted.to_string(),
                columns: self.header.join(", "),
            })
    }

    /// Extracts dates. The name column is `name_column` if given; else,
    /// among the columns named `name`, `strain` or `accession`, the one
    /// whose values match the most of `taxa` (TreeTime takes the first such
    /// column; choosing by matches lets `accession`-named alignments work).
    /// The date column is `date_column` or the first header containing
    /// `date`.
    pub fn dates(
        &self,
        name_column: Option<&str>,
        date_column: Option<&str>,
        taxa: &[String],
    ) -> Result<DateMap, DatesError> {
        let name_index = match name_column {
            Some(wanted) => self.column(wanted)?,
            None => {
                let candidates: Vec<usize> = self
                    .header
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| {
                        let lower = h.to_lowercase();
                        lower == "name" || lower == "strain" || lower == "accession"
                    })
                    .map(|(i, _)| i)
                    .collect();
                if candidates.is_empty() {
                    return Err(DatesError::NoNameColumn {
                        columns: self.header.join(", "),
                    });
                }
                let taxa_set: std::collections::BTreeSet<&str> =
                    taxa.iter().map(|s| s.as_str()).collect();
                let mut best = candidates[0];
                let mut best_hits = 0usize;
                for &c in &candidates {
                    let hits = self
                        .rows
                        .iter()
                        .filter(|r| taxa_set.contains(r[c].as_str()))
                        .count();
                    if hits > best_hits {
                        best = c;
                        best_hits = hits;
                    }
                }
                best
            }
        };
        let date_index = match date_column {
            Some(wanted) => self.column(wanted)?,
            None => self
                .header
                .iter()
                .position(|h| h.to_lowercase().contains("date"))
                .ok_or_else(|| DatesError::NoDateColumn {
                    columns: self.header.join(", "),
                })?,
        };
        let mut dates = BTreeMap::new();
        let mut unreadable = Vec::new();
        for row in &self.rows {
            let name = row[name_index].clone();
            let cell = row[date_index].as_str();
            match parse_date(cell) {
                Some(date) => {
                    dates.insert(name, date);
                }
                None => unreadable.push((name, cell.to_string())),
            }
        }
        if dates.is_empty() {
            return Err(DatesError::NoDates {
                column: self.header[date_index].clone(),
            });
        }
        Ok(DateMap {
            name_column: self.header[name_index].clone(),
            date_column: self.header[date_index].clone(),
            dates,
            unreadable,
        })
    }
}

/// Parses one date cell; `None` when it is empty or unreadable.
pub fn parse_date(cell: &str) -> Option<SampleDate> {
    let cell = cell.trim();
    if cell.is_empty() || cell == "?" {
        return None;
    }
    if let Ok(year) = cell.parse::<f64>() {
        return year.is_finite().then_some(SampleDate::Exact { year });
    }
    if let Some(inner) = cell.strip_prefix('[').and_then(|c| c.strip_suffix(']')) {
        let (a, b) = inner.split_once(':')?;
        let min: f64 = a.trim().parse().ok()?;
        let max: f64 = b.trim().parse().ok()?;
        return (min.is_finite() && max.is_finite() && min <= max)
            .then_some(SampleDate::Range { min, max });
    }
    let parts: Vec<&str> = cell.split('-').collect();
    if parts.len() != 3 {
        return None;
    }
    let year: i32 = parts[0].parse().ok()?;
    if parts[0].len() != 4 {
        return None;
    }
    let unknown = |p: &str| p.eq_ignore_ascii_case("XX");
    let (month_min, month_max) = if unknown(parts[1]) {
        (1, 12)
    } else {
        let m: u32 = parts[1].parse().ok()?;
        (m, m)
    };
    if !(1..=12).contains(&month_min) || !(1..=12).contains(&month_max) {
        return None;
    }
    if unknown(parts[2]) {
        let min = numeric_date(year, month_min, 1)?;
        let max = numeric_date(year, month_max, days_in_month(year, month_max))?;
        return Some(SampleDate::Range { min, max });
    }
    if unknown(parts[1]) {
        return None;
    }
    let day: u32 = parts[2].parse().ok()?;
    numeric_date(year, month_min, day).map(|year| SampleDate::Exact { year })
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// TreeTime `numeric_date`: `year + (day_of_year - 0.5) / days_in_year`.
pub fn numeric_date(year: i32, month: u32, day: u32) -> Option<f64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let day_of_year: u32 = (1..month).map(|m| days_in_month(year, m)).sum::<u32>() + day;
    let days_in_year = if is_leap(year) { 366.0 } else { 365.0 };
    Some(f64::from(year) + (f64::from(day_of_year) - 0.5) / days_in_year)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parse_date_never_panics(cell in "[0-9X\\-\\[\\]:.?a-z ]{0,14}") {
            if let Some(date) = parse_date(&cell) {
                prop_assert!(date.mean().is_finite());
            }
        }

        #[test]
        fn iso_dates_fall_inside_their_year(year in 1900i32..2100, month in 1u32..=12, day in 1u32..=28) {
            let date = parse_date(&format!("{year:04}-{month:02}-{day:02}")).expect("valid");
            let value = date.mean();
            prop_assert!(value > f64::from(year) && value < f64::from(year + 1));
            let month_range = parse_date(&format!("{year:04}-{month:02}-XX")).expect("range");
            match month_range {
                SampleDate::Range { min, max } => prop_assert!(min <= value && value <= max),
                SampleDate::Exact { .. } => prop_assert!(false, "expected a range"),
            }
        }

        #[test]
        fn read_table_never_panics(text in "[a-z,\t\"\n0-9#]{0,60}") {
            if let Ok(table) = read_table(text.as_bytes(), None) {
                let _ = table.dates(None, None, &[]);
            }
        }
    }

    #[test]
    fn date_formats() {
        assert_eq!(
            parse_date("2013.40520192"),
            Some(SampleDate::Exact {
                year: 2013.40520192
            })
        );
        assert_eq!(
            parse_date("2014-01-01"),
            Some(SampleDate::Exact {
                year: 2014.0 + 0.5 / 365.0
            })
        );
        assert_eq!(
            parse_date("2016-12-31"),
            Some(SampleDate::Exact {
                year: 2016.0 + 365.5 / 366.0
            })
        );
        let dec = parse_date("2013-12-XX").expect("range");
        assert_eq!(
            dec,
            SampleDate::Range {
                min: 2013.0 + 334.5 / 365.0,
                max: 2013.0 + 364.5 / 365.0
            }
        );
        let year = parse_date("2014-XX-XX").expect("range");
        assert_eq!(
            year,
            SampleDate::Range {
                min: 2014.0 + 0.5 / 365.0,
                max: 2014.0 + 364.5 / 365.0
            }
        );
        assert!((year.mean() - 2014.5).abs() < 1e-9);
        assert_eq!(
            parse_date("[2001.5:2002]"),
            Some(SampleDate::Range {
                min: 2001.5,
                max: 2002.0
            })
        );
        for bad in [
            "",
            "?",
            "2014-13-01",
            "2014-02-30",
            "14-01-01",
            "2014-XX-05",
            "soon",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn csv_with_blanks_and_quotes() {
        let text = "name, date\n\"A/x, y\",2013.5\nB , 2014-XX-XX\nC,\n";
        let table = read_table(text.as_bytes(), None).expect("table");
        let map = table.dates(None, None, &[]).expect("dates");
        assert_eq!(map.date_column, "date");
        assert_eq!(map.dates["A/x, y"], SampleDate::Exact { year: 2013.5 });
        assert!(matches!(map.dates["B"], SampleDate::Range { .. }));
        assert_eq!(map.unreadable, vec![("C".to_string(), String::new())]);
    }

    #[test]
    fn tsv_name_column_chosen_by_matches() {
        let text = "strain\taccession\tdate\nG1\tKR1\t2014-08-16\nG2\tKR2\t2014-06-29\n";
        let table = read_table(text.as_bytes(), None).expect("table");
        let taxa = vec!["KR1".to_string(), "KR2".to_string()];
        let map = table.dates(None, None, &taxa).expect("dates");
        assert_eq!(map.name_column, "accession");
        assert_eq!(map.dates.len(), 2);
        let map = table.dates(None, None, &[]).expect("dates");
        assert_eq!(map.name_column, "strain");
    }

    #[test]
    fn errors_name_the_line() {
        let err = read_table("name,date\nA,1,2\n".as_bytes(), None).expect_err("bad");
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = read_table("name,date\n\"A,1\n".as_bytes(), None).expect_err("bad");
        assert!(err.to_string().contains("line 2"), "{err}");
        let table = read_table("id,when\nA,2000\n".as_bytes(), None).expect("table");
        assert!(matches!(
            table.dates(None, None, &[]),
            Err(DatesError::NoNameColumn { .. })
        ));
    }
}
