//! Sequence input: FASTA (alignments or genomes) and the sequence of a
//! GenBank flat-file record (an outgroup reference).
//!
//! FASTA: a record starts with `>`; its name is the header up to the first
//! blank (as Bio.SeqIO's `id`, which TreeTime matches to tree names).
//! Sequence lines are concatenated and upper-cased; blanks are ignored.
//! GenBank: the `LOCUS`/`ACCESSION` name and the `ORIGIN` section
//! (NCBI GenBank release notes §3.4.4 and §3.4.16).

use std::io::BufRead;

/// One sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// First word of the header.
    pub name: String,
    /// Residues, upper case.
    pub seq: Vec<u8>,
}

/// Errors reading sequences.
#[derive(Debug, thiserror::Error)]
pub enum SeqError {
    #[error("{format}: cannot read line {line}: {source}")]
    Io {
        format: &'static str,
        line: usize,
        #[source]
        source: std::io::Error,
    },
    #[error("FASTA line {line}: sequence text before the first '>' header")]
    NoHeader { line: usize },
    #[error("FASTA line {line}: empty record name")]
    EmptyName { line: usize },
    #[error("FASTA line {line}: character {found:?} is not a sequence letter")]
    BadChar { line: usize, found: char },
    #[error("FASTA line {line}: record {name:?} appears twice")]
    Duplicate { line: usize, name: String },
    #[error("FASTA: no records")]
    Empty,
    #[error("GenBank: no ORIGIN section with a sequence")]
    NoOrigin,
    #[error("GenBank line {line}: character {found:?} in ORIGIN is not a sequence letter")]
    GenBankChar { line: usize, found: char },
}

fn is_residue(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'-' || c == b'*' || c == b'.' || c == b'?'
}

/// Reads all FASTA records; names must be unique.
pub fn read_fasta(reader: impl BufRead) -> Result<Vec<Record>, SeqError> {
    let mut records: Vec<Record> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (index, line) in reader.lines().enumerate() {
        let line_number = index + 1;
        let line = line.map_err(|source| SeqError::Io {
            format: "FASTA",
            line: line_number,
            source,
        })?;
        if let Some(header) = line.strip_prefix('>') {
            let name = header.split_whitespace().next().unwrap_or("").to_string();
            if name.is_empty() {
                return Err(SeqError::EmptyName { line: line_number });
            }
            if !seen.insert(name.clone()) {
                return Err(SeqError::Duplicate {
                    line: line_number,
                    name,
                });
            }
            records.push(Record {
                name,
                seq: Vec::new(),
            });
            continue;
        }
        let bytes = line.trim().as_bytes();
        if bytes.is_empty() || line.starts_with(';') {
            continue;
        }
        let Some(record) = records.last_mut() else {
            return Err(SeqError::NoHeader { line: line_number });
        };
        for &c in bytes {
            if c.is_ascii_whitespace() {
                continue;
            }
            if !is_residue(c) {
                return Err(SeqError::BadChar {
                    line: line_number,
                    found: char::from(c),
                });
            }
            record.seq.push(c.to_ascii_uppercase());
        }
    }
    if records.is_empty() {
        return Err(SeqError::Empty);
    }
    Ok(records)
}

/// Reads the first record of a GenBank flat file.
pub fn read_genbank(reader: impl BufRead) -> Result<Record, SeqError> {
    let mut name = String::new();
    let mut accession = String::new();
    let mut seq = Vec::new();
    let mut in_origin = false;
    for (index, line) in reader.lines().enumerate() {
        let line_number = index + 1;
        let line = line.map_err(|source| SeqError::Io {
            format: "GenBank",
            line: line_number,
            source,
        })?;
        if line.starts_with("//") {
            break;
        }
        if in_origin {
            for c in line.bytes() {
                if c.is_ascii_digit() || c.is_ascii_whitespace() {
                    continue;
                }
                if !is_residue(c) {
                    return Err(SeqError::GenBankChar {
                        line: line_number,
                        found: char::from(c),
                    });
                }
                seq.push(c.to_ascii_uppercase());
            }
        } else if let Some(rest) = line.strip_prefix("LOCUS") {
            name = rest.split_whitespace().next().unwrap_or("").to_string();
        } else if let Some(rest) = line.strip_prefix("ACCESSION") {
            accession = rest.split_whitespace().next().unwrap_or("").to_string();
        } else if line.starts_with("ORIGIN") {
            in_origin = true;
        }
    }
    if seq.is_empty() {
        return Err(SeqError::NoOrigin);
    }
    Ok(Record {
        name: if accession.is_empty() {
            name
        } else {
            accession
        },
        seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn fasta_never_panics(text in "[>ACGTN\n a-z0-9;]{0,80}") {
            let _ = read_fasta(text.as_bytes());
            let _ = read_genbank(text.as_bytes());
        }

        #[test]
        fn fasta_round_trips(seqs in proptest::collection::vec("[ACGTN-]{1,70}", 1..5)) {
            let text: String = seqs
                .iter()
                .enumerate()
                .map(|(i, s)| format!(">r{i} description\n{s}\n"))
                .collect();
            let records = read_fasta(text.as_bytes()).expect("valid");
            prop_assert_eq!(records.len(), seqs.len());
            for (r, s) in records.iter().zip(seqs.iter()) {
                prop_assert_eq!(r.seq.as_slice(), s.as_bytes());
            }
        }
    }

    #[test]
    fn fasta_records_and_errors() {
        let text = ">a desc\nacg-t\nNN\n\n>b\nACGT\n";
        let records = read_fasta(text.as_bytes()).expect("valid");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].name, "a");
        assert_eq!(records[0].seq, b"ACG-TNN");
        let err = read_fasta("ACGT\n".as_bytes()).expect_err("no header");
        assert!(err.to_string().contains("line 1"));
        let err = read_fasta(">a\nAC1T\n".as_bytes()).expect_err("digit");
        assert!(err.to_string().contains("line 2"), "{err}");
        let err = read_fasta(">a\nA\n>a\nC\n".as_bytes()).expect_err("dup");
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(matches!(read_fasta("".as_bytes()), Err(SeqError::Empty)));
    }

    #[test]
    fn genbank_origin() {
        let text = "LOCUS       X1   12 bp\nACCESSION   KX1\nFEATURES\nORIGIN\n        1 acgtacgtac gt\n//\n";
        let record = read_genbank(text.as_bytes()).expect("valid");
        assert_eq!(record.name, "KX1");
        assert_eq!(record.seq, b"ACGTACGTACGT");
        assert!(matches!(
            read_genbank("LOCUS x\n".as_bytes()),
            Err(SeqError::NoOrigin)
        ));
    }
}
