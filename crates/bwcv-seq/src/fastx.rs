//! Streaming FASTA and FASTQ reader, plain or gzip (detected by its magic
//! bytes), that reports every malformed record with its line number and
//! either skips it or refuses the input.
//!
//! FASTA: NCBI "FASTA format" (a `>` header line, then sequence lines);
//! FASTQ: Cock et al. 2010, Nucleic Acids Res 38:1767 (`@` header, sequence,
//! `+` separator, quality of the same length; multi-line records accepted).
//!
//! needletail stops at the first malformed record (its readers mark
//! themselves finished on any error), which cannot implement
//! `--on-error skip`; this reader resynchronises at the next header line.

#![forbid(unsafe_code)]

use std::io::{self, BufRead, BufReader, Read};

use crate::alphabet::is_sequence_byte;

/// One sequence record as read from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// First word of the header line (without `>` or `@`).
    pub id: String,
    /// The rest of the header line.
    pub description: String,
    /// Residues as ASCII letters, line breaks removed.
    pub sequence: Vec<u8>,
    /// Line number (1-based) of the header line.
    pub line: u64,
}

/// What to do with a malformed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnError {
    /// Report it (see [`Reader::skipped`]) and carry on with the next record.
    Skip,
    /// Stop reading with an error.
    #[default]
    Fail,
}

/// A malformed record: where and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Malformed {
    /// 1-based line number where the problem was found.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// Reading errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The underlying reader failed.
    #[error("read error near line {line}: {source}")]
    Io {
        /// Last line read successfully.
        line: u64,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A malformed record in [`OnError::Fail`] mode.
    #[error("line {}: {}", .0.line, .0.reason)]
    Malformed(Malformed),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Fasta,
    Fastq,
}

/// A byte stream, plain or gzip-decompressed (detected by its magic bytes).
#[derive(Debug)]
pub enum Input<R: Read> {
    /// Not compressed.
    Plain(BufReader<R>),
    /// gzip (RFC 1952), possibly several members.
    Gzip(Box<BufReader<flate2::read::MultiGzDecoder<BufReader<R>>>>),
}

/// Opens a possibly gzip-compressed stream for [`Reader`].
pub fn decompress<R: Read>(input: R) -> io::Result<Input<R>> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let head = buffered.fill_buf()?;
    if head.len() >= 2 && head[0] == 0x1f && head[1] == 0x8b {
        Ok(Input::Gzip(Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(buffered),
        ))))
    } else {
        Ok(Input::Plain(buffered))
    }
}

impl<R: Read> Read for Input<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::Plain(inner) => inner.read(buffer),
            Input::Gzip(inner) => inner.read(buffer),
        }
    }
}

impl<R: Read> BufRead for Input<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Input::Plain(inner) => inner.fill_buf(),
            Input::Gzip(inner) => inner.fill_buf(),
        }
    }

    fn consume(&mut self, amount: usize) {
        match self {
            Input::Plain(inner) => inner.consume(amount),
            Input::Gzip(inner) => inner.consume(amount),
        }
    }
}

/// Streaming reader; an iterator of records.
#[derive(Debug)]
pub struct Reader<R> {
    input: R,
    line_number: u64,
    peeked: Option<Vec<u8>>,
    format: Option<Format>,
    on_error: OnError,
    skipped: Vec<Malformed>,
    done: bool,
}

impl<R: BufRead> Reader<R> {
    /// A reader over `input` (already decompressed, see [`decompress`]).
    pub fn new(input: R, on_error: OnError) -> Self {
        Self {
            input,
            line_number: 0,
            peeked: None,
            format: None,
            on_error,
            skipped: Vec::new(),
            done: false,
        }
    }

    /// Malformed records skipped so far (only in [`OnError::Skip`] mode).
    pub fn skipped(&self) -> &[Malformed] {
        &self.skipped
    }

    /// The underlying reader (positioned after the last line read).
    pub fn into_inner(self) -> R {
        self.input
    }

    /// Takes the list of skipped records, leaving it empty.
    pub fn take_skipped(&mut self) -> Vec<Malformed> {
        std::mem::take(&mut self.skipped)
    }

    /// The next line without its line ending, or `None` at the end.
    fn next_line(&mut self) -> Result<Option<Vec<u8>>, Error> {
        if let Some(line) = self.peeked.take() {
            self.line_number += 1;
            return Ok(Some(line));
        }
        let mut buffer = Vec::new();
        let n_read = self
            .input
            .read_until(b'\n', &mut buffer)
            .map_err(|source| Error::Io {
                line: self.line_number,
                source,
            })?;
        if n_read == 0 {
            return Ok(None);
        }
        self.line_number += 1;
        while matches!(buffer.last(), Some(b'\n' | b'\r')) {
            buffer.pop();
        }
        Ok(Some(buffer))
    }

    /// Puts `line` back so that the next call of `next_line` returns it.
    fn unread(&mut self, line: Vec<u8>) {
        self.peeked = Some(line);
        self.line_number -= 1;
    }

    /// Skips lines up to (not including) the next header line.
    fn resynchronise(&mut self) -> Result<(), Error> {
        let marker = match self.format {
            Some(Format::Fastq) => b'@',
            _ => b'>',
        };
        while let Some(line) = self.next_line()? {
            let starts_header = line.first() == Some(&marker)
                || (self.format.is_none() && line.first() == Some(&b'@'));
            if starts_header {
                self.unread(line);
                return Ok(());
            }
        }
        Ok(())
    }

    fn malformed(&mut self, line: u64, reason: String) -> Result<(), Error> {
        let problem = Malformed { line, reason };
        match self.on_error {
            OnError::Fail => {
                self.done = true;
                Err(Error::Malformed(problem))
            }
            OnError::Skip => {
                self.skipped.push(problem);
                self.resynchronise()
            }
        }
    }

    fn read_record(&mut self) -> Result<Option<Record>, Error> {
        loop {
            let Some(header) = self.next_line()? else {
                return Ok(None);
            };
            if header.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let header_line = self.line_number;
            let format = match (header[0], self.format) {
                (b'>', None | Some(Format::Fasta)) => Format::Fasta,
                (b'@', None | Some(Format::Fastq)) => Format::Fastq,
                (byte, expected) => {
                    let wanted = match expected {
                        Some(Format::Fastq) => "'@' (FASTQ header)",
                        Some(Format::Fasta) => "'>' (FASTA header)",
                        None => "'>' or '@' (FASTA or FASTQ header)",
                    };
                    let reason = format!(
                        "expected {wanted} but found '{}'",
                        char::from(byte).escape_default()
                    );
                    self.malformed(header_line, reason)?;
                    continue;
                }
            };
            self.format = Some(format);
            let header_text = String::from_utf8_lossy(&header[1..]).trim().to_string();
            let (id, description) = match header_text.split_once(char::is_whitespace) {
                Some((id, rest)) => (id.to_string(), rest.trim().to_string()),
                None => (header_text.clone(), String::new()),
            };
            if id.is_empty() {
                self.malformed(header_line, "header line has no identifier".into())?;
                continue;
            }
            let result = match format {
                Format::Fasta => self.read_fasta_body(),
                Format::Fastq => self.read_fastq_body(),
            }?;
            match result {
                Ok(sequence) => {
                    return Ok(Some(Record {
                        id,
                        description,
                        sequence,
                        line: header_line,
                    }));
                }
                Err((line, reason)) => {
                    self.malformed(line, format!("record '{id}': {reason}"))?;
                }
            }
        }
    }

    /// Sequence lines up to the next header; `Err((line, reason))` when malformed.
    #[allow(clippy::type_complexity)]
    fn read_fasta_body(&mut self) -> Result<Result<Vec<u8>, (u64, String)>, Error> {
        let mut sequence = Vec::new();
        let header_line = self.line_number;
        while let Some(line) = self.next_line()? {
            if line.first() == Some(&b'>') {
                self.unread(line);
                break;
            }
            if let Some(problem) = check_sequence_line(&line, self.line_number) {
                return Ok(Err(problem));
            }
            sequence.extend(line.iter().filter(|byte| !byte.is_ascii_whitespace()));
        }
        if sequence.is_empty() {
            return Ok(Err((header_line, "record has no sequence".into())));
        }
        Ok(Ok(sequence))
    }

    #[allow(clippy::type_complexity)]
    fn read_fastq_body(&mut self) -> Result<Result<Vec<u8>, (u64, String)>, Error> {
        let header_line = self.line_number;
        let mut sequence = Vec::new();
        loop {
            let Some(line) = self.next_line()? else {
                return Ok(Err((
                    header_line,
                    "truncated FASTQ record (no '+' separator line)".into(),
                )));
            };
            if line.first() == Some(&b'+') {
                break;
            }
            if line.first() == Some(&b'@') && !sequence.is_empty() {
                self.unread(line);
                return Ok(Err((
                    header_line,
                    "FASTQ record has no '+' separator line".into(),
                )));
            }
            if let Some(problem) = check_sequence_line(&line, self.line_number) {
                return Ok(Err(problem));
            }
            sequence.extend(line.iter().filter(|byte| !byte.is_ascii_whitespace()));
        }
        let separator_line = self.line_number;
        let mut n_quality = 0usize;
        while n_quality < sequence.len() {
            let Some(line) = self.next_line()? else {
                break;
            };
            // a header line where quality is still missing: the record is short
            if n_quality > 0
                && line.first() == Some(&b'@')
                && n_quality + line.len() != sequence.len()
            {
                self.unread(line);
                break;
            }
            if let Some(&bad) = line.iter().find(|byte| !(b'!'..=b'~').contains(*byte)) {
                return Ok(Err((
                    self.line_number,
                    format!(
                        "invalid quality character '{}'",
                        char::from(bad).escape_default()
                    ),
                )));
            }
            n_quality += line.len();
        }
        if sequence.is_empty() {
            return Ok(Err((header_line, "record has no sequence".into())));
        }
        if n_quality != sequence.len() {
            return Ok(Err((
                separator_line,
                format!(
                    "quality length {n_quality} differs from sequence length {}",
                    sequence.len()
                ),
            )));
        }
        Ok(Ok(sequence))
    }
}

fn check_sequence_line(line: &[u8], line_number: u64) -> Option<(u64, String)> {
    line.iter()
        .position(|&byte| !is_sequence_byte(byte) && !byte.is_ascii_whitespace())
        .map(|column| {
            (
                line_number,
                format!(
                    "invalid sequence character '{}' in column {}",
                    char::from(line[column]).escape_default(),
                    column + 1
                ),
            )
        })
}

impl<R: BufRead> Iterator for Reader<R> {
    type Item = Result<Record, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.read_record() {
            Ok(Some(record)) => Some(Ok(record)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all(text: &[u8], on_error: OnError) -> (Vec<Record>, Vec<Malformed>, Option<String>) {
        let mut reader = Reader::new(text, on_error);
        let mut records = Vec::new();
        let mut error = None;
        for item in reader.by_ref() {
            match item {
                Ok(record) => records.push(record),
                Err(failure) => error = Some(failure.to_string()),
            }
        }
        (records, reader.take_skipped(), error)
    }

    #[test]
    fn reads_multiline_fasta_with_crlf() {
        let (records, skipped, error) =
            read_all(b">one first\r\nACGT\r\nAC\r\n\n>two\nGG\n", OnError::Fail);
        assert!(error.is_none() && skipped.is_empty());
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].id, "one");
        assert_eq!(records[0].description, "first");
        assert_eq!(records[0].sequence, b"ACGTAC");
        assert_eq!(records[1].line, 5);
    }

    #[test]
    fn reads_fastq() {
        let (records, _, error) =
            read_all(b"@r1\nACGT\n+\nIIII\n@r2\nGG\n+r2\n!!\n", OnError::Fail);
        assert!(error.is_none());
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].sequence, b"GG");
        assert_eq!(records[1].line, 5);
    }

    #[test]
    fn malformed_records_are_skipped_with_line_numbers() {
        let text = b">good\nACGT\n>bad\nAC9T\n>empty\n>good2\nTTTT\n";
        let (records, skipped, error) = read_all(text, OnError::Skip);
        assert!(error.is_none());
        let ids: Vec<&str> = records.iter().map(|record| record.id.as_str()).collect();
        assert_eq!(ids, vec!["good", "good2"]);
        assert_eq!(skipped.len(), 2);
        assert_eq!(skipped[0].line, 4);
        assert!(skipped[0].reason.contains("'9'"), "{:?}", skipped[0]);
        assert_eq!(skipped[1].line, 5);
    }

    #[test]
    fn malformed_record_refused_in_fail_mode() {
        let (records, _, error) = read_all(b">good\nACGT\n>bad\nAC9T\n>x\nA\n", OnError::Fail);
        assert_eq!(records.len(), 1);
        let message = error.expect("an error");
        assert!(message.starts_with("line 4:"), "{message}");
    }

    #[test]
    fn fastq_errors() {
        let (records, skipped, _) = read_all(
            b"@r1\nACGT\n+\nIII\n@r2\nACGT\nIIII\n@r3\nAC\n+\nII\n",
            OnError::Skip,
        );
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].id, "r3");
        assert_eq!(skipped.len(), 2, "{skipped:?}");
        assert!(skipped[0].reason.contains("quality length 3"));
        let (_, _, error) = read_all(b"hello\n", OnError::Fail);
        assert!(error.expect("error").contains("expected '>' or '@'"));
    }

    #[test]
    fn gzip_is_detected() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(b">z\nACGTACGT\n").expect("write");
        let compressed = encoder.finish().expect("finish");
        let input = decompress(std::io::Cursor::new(compressed)).expect("open");
        let records: Vec<Record> = Reader::new(input, OnError::Fail)
            .collect::<Result<_, _>>()
            .expect("records");
        assert_eq!(records[0].sequence, b"ACGTACGT");
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_all(&bytes, OnError::Skip);
            let _ = read_all(&bytes, OnError::Fail);
        }

        #[test]
        fn round_trips_generated_fasta(
            sequences in proptest::collection::vec("[ACGTN]{1,120}", 1..8),
            width in 1usize..80,
        ) {
            let mut text = Vec::new();
            for (index, sequence) in sequences.iter().enumerate() {
                text.extend(format!(">seq{index} d\n").as_bytes());
                for chunk in sequence.as_bytes().chunks(width) {
                    text.extend(chunk);
                    text.push(b'\n');
                }
            }
            let (records, skipped, error) = read_all(&text, OnError::Fail);
            prop_assert!(error.is_none());
            prop_assert!(skipped.is_empty());
            let read: Vec<String> = records.iter().map(|r| String::from_utf8_lossy(&r.sequence).into_owned()).collect();
            prop_assert_eq!(read, sequences);
        }
    }
}
