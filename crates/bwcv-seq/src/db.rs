//! The screening reference database: sequences of concern and background,
//! each with its taxon and (for concern) the list entry that regulates it,
//! the digests of every input, the build parameters and the engine version.
//!
//! File format (version [`FORMAT_VERSION`], all integers little-endian):
//!
//! ```text
//! magic "BWCVSQDB" (8 bytes) | format version u32 | metadata length u64 |
//! metadata (JSON, [`Meta`]) | number of sequences u64 |
//! per sequence: length u64, codes (one byte per residue, see `alphabet`) |
//! index section: number of DNA indexes u64, each index; protein flag u8
//!   (0 or 1), then the protein index if 1 |
//! SHA-256 of every preceding byte (32 bytes)
//! ```
//!
//! An index is: seed pattern length u64, pattern (ASCII '1'/'0'), masked
//! keys u64, table size u64 (alphabet^weight), block shift u64 (log2 of the
//! keys per block of the offsets table), number of positions u64, zero bytes
//! up to the next multiple of 4 from the start of the file, the offsets
//! table (block starts u32 × ((table size >> block shift) + 1), then key
//! starts relative to their block u16 × (table size + 1); see
//! [`crate::index::KmerIndex`]), zero bytes up to the next multiple of 4,
//! positions u32 each (text positions, ascending within a key). Everything
//! an index holds is used in place in the file's buffer or map, never
//! decoded or copied; opening checks that the table ascends and that every
//! position lies inside its text. DNA indexes cover
//! [`crate::index::Text::nucleotide`], the protein index
//! [`crate::index::Text::protein`], both deterministic functions of the
//! sequences. Files of versions 1–3 (version 3 stored key counts, decoded
//! into a table at every opening) are refused with a request to rebuild.
//!
//! The trailing SHA-256 is the database digest that every report carries;
//! reading verifies it, so a corrupt file is refused.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read, Write};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::alphabet;
use crate::fastx::{self, OnError};
use crate::index::{
    IndexParts, Indexes, KmerIndex, Seed, SeedError, SharedSlice, Text, Texts, WordBuffer,
};

/// One `read` into `buffer`, retried when interrupted; 0 at the end of the file.
fn read_some(reader: &mut impl Read, buffer: &mut [u8]) -> Result<usize, Error> {
    loop {
        match reader.read(buffer) {
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            result => {
                return result.map_err(|source| Error::Io {
                    context: "reading the database".into(),
                    source,
                });
            }
        }
    }
}

/// Files at least this large are read into an anonymous map (huge pages).
const HUGE_BUFFER_BYTES: u64 = 8 << 20;

/// An anonymous map for a file of `size_hint` bytes (and one page more, so
/// the end of the file is seen without growing), advised to use huge pages;
/// `None` if the system refuses the map.
fn anonymous_map(size_hint: u64) -> Option<memmap2::MmapMut> {
    let len = usize::try_from(size_hint.checked_add(4096)?.next_multiple_of(4096)).ok()?;
    let map = memmap2::MmapOptions::new().len(len).map_anon().ok()?;
    #[cfg(target_os = "linux")]
    {
        // only a hint: without transparent huge pages it changes nothing
        let _ = map.advise(memmap2::Advice::HugePage);
    }
    Some(map)
}
/// A read-only shared map of `file` with its pages populated up front;
/// `None` if the system refuses the map.
///
/// The one `unsafe` block of bwcv. SAFETY: memmap2 requires that the mapped
/// file is not modified or truncated while the map lives, or the bytes the
/// engine reads could change under it (a truncation raises SIGBUS, a write
/// shows through the shared map). bwcv itself never writes a database in
/// place: `bwcv seq db build` writes a temporary file and renames it over
/// the old one, so an open map keeps the old file's pages. Outside bwcv
/// this is an operating requirement, stated in `bwcv seq screen --help`:
/// replace a database by renaming (`mv`), never by writing over it (`cp`,
/// `rsync --inplace`, an unfinished download). The engine reads only plain
/// bytes and `u32`/`u16` values from the map (no bit pattern is invalid),
/// checks every stored offset and position against its bounds, and uses
/// nothing it parsed unless the SHA-256 of every byte matches the recorded
/// digest (the parse runs in parallel with the digest), so while the
/// requirement holds, what it reads is what the digest in the report names.
#[allow(unsafe_code)]
fn map_file(file: &std::fs::File) -> Option<memmap2::Mmap> {
    // SAFETY: see the function's documentation.
    unsafe { memmap2::MmapOptions::new().populate().map(file) }.ok()
}

use crate::taxonomy::{self, Taxonomy};

/// First bytes of every database file.
pub const MAGIC: &[u8; 8] = b"BWCVSQDB";
/// Version of the file format this engine reads and writes.
pub const FORMAT_VERSION: u32 = 4;
/// Engine name and version recorded in databases and reports.
pub const ENGINE: &str = concat!("bwcv-seq ", env!("CARGO_PKG_VERSION"));

/// Which set a reference belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A sequence of concern (its taxon is regulated).
    Concern,
    /// A sequence from an unregulated organism.
    Background,
}

/// Nucleotide or protein reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Molecule {
    /// DNA or RNA (indexed at DNA level and in six translated frames).
    Nucleotide,
    /// Protein (indexed at amino-acid level; matched by translated queries).
    Protein,
}

/// The list entry that makes a taxon regulated, as recorded at build time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// Listed NCBI taxid.
    pub taxid: u32,
    /// Identifier of the list entry.
    pub id: String,
    /// Name of the list entry.
    pub name: String,
    /// Category of the list entry (e.g. "virus", "toxin").
    pub category: String,
}

/// One reference sequence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Identifier (first word of the FASTA header).
    pub name: String,
    /// Rest of the FASTA header.
    pub description: String,
    /// NCBI taxid, if known.
    pub taxid: Option<u32>,
    /// Scientific name of the taxon, if the taxonomy has it.
    pub taxon: Option<String>,
    /// Concern or background.
    pub origin: Origin,
    /// Nucleotide or protein.
    pub molecule: Molecule,
    /// The list entry regulating this taxon (concern references only).
    pub list_entry: Option<ListEntry>,
    /// Length in residues.
    pub length: u64,
    /// Index into [`Meta::inputs`] of the file it came from.
    pub input: usize,
}

/// An input file of the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Role: "concern", "background", "protein", "taxid-map", "nodes.dmp", "names.dmp".
    pub role: String,
    /// The name given by the caller (usually the path).
    pub name: String,
    /// SHA-256 of the file's bytes as read (compressed if compressed).
    pub sha256: String,
    /// Number of records taken from it.
    pub n_records: u64,
}

/// Build parameters (engine tuning knobs, recorded in every report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildParams {
    /// Spaced seeds of the DNA index ('1' = must match, '0' = don't care).
    pub dna_seeds: Vec<String>,
    /// Spaced seed of the amino-acid index.
    pub protein_seed: String,
    /// k-mers occurring more often than this in a text are not indexed
    /// (repeats and low-complexity words); at most 65,535.
    pub max_occurrences: u32,
    /// Whether the six-frame translated (amino-acid) index is built.
    pub protein_level: bool,
}

impl Default for BuildParams {
    fn default() -> Self {
        Self {
            // PatternHunter's weight-11 seed (Ma, Tromp & Li 2002,
            // Bioinformatics 18:440) for random substitutions, and a
            // weight-11 codon seed that ignores every third position (in
            // every phase, as every query offset is looked up), blind to
            // synonymous third-position changes. Hit probability on a 50-nt
            // fragment (simulated, 4,000 trials): 15 % random 97.8 % with
            // the first alone, 99.6 % with both; 15 % synonymous 100 %.
            dna_seeds: vec!["111010010100110111".into(), "1101101101101101".into()],
            protein_seed: "11111".into(),
            max_occurrences: 512,
            protein_level: true,
        }
    }
}

/// Everything about the database except the sequences.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    /// Engine that built it.
    pub engine: String,
    /// File format version.
    pub format_version: u32,
    /// Build parameters.
    pub params: BuildParams,
    /// Where the regulated taxids came from (e.g. the bwcv-core catalogue).
    pub list_source: String,
    /// Listed taxids in force at build time, with their entries.
    pub listed: Vec<ListEntry>,
    /// Input files with digests.
    pub inputs: Vec<InputFile>,
    /// The references, in file order.
    pub references: Vec<Reference>,
}

/// A database in memory.
#[derive(Debug, Clone)]
pub struct Database {
    /// Metadata.
    pub meta: Meta,
    /// Residue codes of each reference (see [`crate::alphabet`]).
    pub sequences: Vec<Vec<u8>>,
    /// The seed indexes (stored in the file).
    pub index: Indexes,
    /// The texts the indexes cover (derived from `sequences`, not stored).
    pub texts: Texts,
    /// SHA-256 of the serialised file (the database digest).
    pub digest: [u8; 32],
}

/// Errors building, reading or writing a database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// I/O failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A FASTA input could not be read.
    #[error("{file}: {source}")]
    Fasta {
        /// The input's name.
        file: String,
        /// The reader's error.
        #[source]
        source: fastx::Error,
    },
    /// The taxonomy dump is malformed.
    #[error(transparent)]
    Taxonomy(#[from] taxonomy::Error),
    /// A line of the taxid map is malformed.
    #[error("{file} line {line}: {reason}")]
    TaxidMap {
        /// The map's name.
        file: String,
        /// Line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A concern sequence has no taxid.
    #[error(
        "{file} line {line}: concern sequence '{name}' has no taxid (write 'taxid|N|' or 'taxid=N' in its header, or give a --taxid-map)"
    )]
    MissingTaxid {
        /// Input name.
        file: String,
        /// Header line.
        line: u64,
        /// Sequence name.
        name: String,
    },
    /// A concern sequence's taxon is not regulated by any list entry.
    #[error(
        "{file} line {line}: concern sequence '{name}' has taxid {taxid}, which neither is nor descends from a listed taxid"
    )]
    NotRegulated {
        /// Input name.
        file: String,
        /// Header line.
        line: u64,
        /// Sequence name.
        name: String,
        /// Its taxid.
        taxid: u32,
    },
    /// A background sequence belongs to a regulated taxon.
    #[error(
        "{file} line {line}: background sequence '{name}' has taxid {taxid}, regulated by listed taxid {listed}; background must come from unregulated organisms"
    )]
    RegulatedBackground {
        /// Input name.
        file: String,
        /// Header line.
        line: u64,
        /// Sequence name.
        name: String,
        /// Its taxid.
        taxid: u32,
        /// The listed ancestor.
        listed: u32,
    },
    /// The database has no concern sequence.
    #[error("the database has no sequence of concern")]
    NoConcern,
    /// Not a bwcv-seq database.
    #[error("not a bwcv sequence database (bad magic bytes)")]
    BadMagic,
    /// A format version this engine cannot read.
    #[error(
        "database format version {found} is not supported (this engine reads version {supported}); rebuild the database with `bwcv seq db build` from its inputs (listed by `bwcv seq db info` of an engine that reads it)"
    )]
    UnsupportedVersion {
        /// Version in the file.
        found: u32,
        /// Version supported.
        supported: u32,
    },
    /// The file ends early or has trailing garbage.
    #[error("database file is truncated or malformed: {0}")]
    Truncated(String),
    /// The trailing digest does not match the content.
    #[error(
        "database file is corrupt: SHA-256 of the content is {computed}, the file records {recorded}"
    )]
    DigestMismatch {
        /// Digest computed now.
        computed: String,
        /// Digest stored in the file.
        recorded: String,
    },
    /// A seed pattern of the build parameters is invalid.
    #[error(transparent)]
    Seed(#[from] SeedError),
    /// The stored index does not fit the sequences or parameters.
    #[error("database index is malformed: {0}")]
    Index(String),
    /// The metadata is not valid JSON for this version.
    #[error("database metadata unreadable: {0}")]
    Meta(#[from] serde_json::Error),
}

/// Reads `reader` and hashes every byte it yields.
struct HashingReader<'a, R> {
    inner: R,
    hasher: &'a mut Sha256,
}

impl<R: Read> Read for HashingReader<'_, R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let n_read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..n_read]);
        Ok(n_read)
    }
}

/// The listed taxids of a controlled-list catalogue: each entry's taxid and
/// covered taxids, mapped to the entry (the first entry wins for a taxid
/// listed twice, in catalogue order).
pub fn listed_from_catalogue(catalogue: &bwcv_core::lists::Catalogue) -> BTreeMap<u32, ListEntry> {
    let mut listed = BTreeMap::new();
    for entry in catalogue.entries() {
        for taxid in entry.all_taxids() {
            listed.entry(taxid).or_insert_with(|| ListEntry {
                taxid,
                id: entry.id.clone(),
                name: entry.name.clone(),
                category: entry.category.as_str().to_string(),
            });
        }
    }
    listed
}

/// Taxid written in a FASTA header as `taxid|N|` or `taxid=N`.
pub fn taxid_from_header(header: &str) -> Option<u32> {
    for marker in ["taxid|", "taxid="] {
        let mut rest = header;
        while let Some(position) = rest.find(marker) {
            let after = &rest[position + marker.len()..];
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() {
                if let Ok(taxid) = digits.parse() {
                    return Some(taxid);
                }
            }
            rest = after;
        }
    }
    None
}

/// Builds a database from readers.
#[derive(Debug)]
pub struct Builder {
    params: BuildParams,
    taxonomy: Taxonomy,
    listed: BTreeMap<u32, ListEntry>,
    list_source: String,
    taxid_map: BTreeMap<String, u32>,
    inputs: Vec<InputFile>,
    references: Vec<Reference>,
    sequences: Vec<Vec<u8>>,
}

impl Builder {
    /// A builder with the listed taxids in force (`listed`: taxid → entry).
    pub fn new(params: BuildParams, listed: BTreeMap<u32, ListEntry>, list_source: &str) -> Self {
        Self {
            params,
            taxonomy: Taxonomy::default(),
            listed,
            list_source: list_source.to_string(),
            taxid_map: BTreeMap::new(),
            inputs: Vec::new(),
            references: Vec::new(),
            sequences: Vec::new(),
        }
    }

    /// Reads the NCBI taxonomy dump (`nodes.dmp`, optional `names.dmp`).
    pub fn taxonomy(
        &mut self,
        nodes: impl Read,
        names: Option<impl Read>,
        names_label: (&str, &str),
    ) -> Result<(), Error> {
        let mut nodes_hasher = Sha256::new();
        let mut names_hasher = Sha256::new();
        let nodes_reader = io::BufReader::new(HashingReader {
            inner: nodes,
            hasher: &mut nodes_hasher,
        });
        let names_reader = names.map(|reader| {
            io::BufReader::new(HashingReader {
                inner: reader,
                hasher: &mut names_hasher,
            })
        });
        let has_names = names_reader.is_some();
        self.taxonomy = Taxonomy::read(nodes_reader, names_reader)?;
        self.inputs.push(InputFile {
            role: "nodes.dmp".into(),
            name: names_label.0.to_string(),
            sha256: hex::encode(nodes_hasher.finalize()),
            n_records: self.taxonomy.nodes.len() as u64,
        });
        if has_names {
            self.inputs.push(InputFile {
                role: "names.dmp".into(),
                name: names_label.1.to_string(),
                sha256: hex::encode(names_hasher.finalize()),
                n_records: self.taxonomy.names.len() as u64,
            });
        }
        Ok(())
    }

    /// Reads a two-column map `sequence-id <whitespace> taxid` (`#` comments).
    pub fn taxid_map(&mut self, name: &str, reader: impl Read) -> Result<(), Error> {
        let mut hasher = Sha256::new();
        let buffered = io::BufReader::new(HashingReader {
            inner: reader,
            hasher: &mut hasher,
        });
        let mut n_records = 0;
        for (index, line) in buffered.lines().enumerate() {
            let line_number = index as u64 + 1;
            let line = line.map_err(|source| Error::Io {
                context: format!("{name} line {line_number}"),
                source,
            })?;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut parts = trimmed.split_whitespace();
            let (Some(id), Some(taxid), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(Error::TaxidMap {
                    file: name.into(),
                    line: line_number,
                    reason: "expected two columns: sequence id and taxid".into(),
                });
            };
            let taxid: u32 = taxid.parse().map_err(|_| Error::TaxidMap {
                file: name.into(),
                line: line_number,
                reason: format!("'{taxid}' is not a taxid"),
            })?;
            self.taxid_map.insert(id.to_string(), taxid);
            n_records += 1;
        }
        self.inputs.push(InputFile {
            role: "taxid-map".into(),
            name: name.into(),
            sha256: hex::encode(hasher.finalize()),
            n_records,
        });
        Ok(())
    }

    /// Adds every record of a FASTA/FASTQ input (plain or gzip). Returns the
    /// number of records added.
    pub fn add(
        &mut self,
        name: &str,
        reader: impl Read,
        origin: Origin,
        molecule: Molecule,
    ) -> Result<u64, Error> {
        let mut hasher = Sha256::new();
        let input_index = self.inputs.len();
        let mut n_records = 0;
        {
            let hashing = HashingReader {
                inner: reader,
                hasher: &mut hasher,
            };
            let input = fastx::decompress(hashing).map_err(|source| Error::Io {
                context: format!("opening {name}"),
                source,
            })?;
            let mut records = fastx::Reader::new(input, OnError::Fail);
            for record in records.by_ref() {
                let record = record.map_err(|source| Error::Fasta {
                    file: name.into(),
                    source,
                })?;
                self.add_record(name, input_index, record, origin, molecule)?;
                n_records += 1;
            }
            // hash any bytes the parser did not need
            let mut rest = records_into_inner(records);
            io::copy(&mut rest, &mut io::sink()).map_err(|source| Error::Io {
                context: format!("reading {name}"),
                source,
            })?;
        }
        let role = match (origin, molecule) {
            (_, Molecule::Protein) => "protein",
            (Origin::Concern, _) => "concern",
            (Origin::Background, _) => "background",
        };
        self.inputs.push(InputFile {
            role: role.into(),
            name: name.into(),
            sha256: hex::encode(hasher.finalize()),
            n_records,
        });
        Ok(n_records)
    }

    fn add_record(
        &mut self,
        file: &str,
        input: usize,
        record: fastx::Record,
        origin: Origin,
        molecule: Molecule,
    ) -> Result<(), Error> {
        let taxid = self
            .taxid_map
            .get(&record.id)
            .copied()
            .or_else(|| taxid_from_header(&record.id))
            .or_else(|| taxid_from_header(&record.description));
        let mut list_entry = None;
        match (origin, taxid) {
            (Origin::Concern, None) => {
                return Err(Error::MissingTaxid {
                    file: file.into(),
                    line: record.line,
                    name: record.id,
                });
            }
            (Origin::Concern, Some(taxid)) => {
                let Some(listed) = taxonomy::regulating_taxid(&self.taxonomy, taxid, &self.listed)
                else {
                    return Err(Error::NotRegulated {
                        file: file.into(),
                        line: record.line,
                        name: record.id,
                        taxid,
                    });
                };
                list_entry = self.listed.get(&listed).cloned();
            }
            (Origin::Background, Some(taxid)) => {
                if let Some(listed) =
                    taxonomy::regulating_taxid(&self.taxonomy, taxid, &self.listed)
                {
                    return Err(Error::RegulatedBackground {
                        file: file.into(),
                        line: record.line,
                        name: record.id,
                        taxid,
                        listed,
                    });
                }
            }
            (Origin::Background, None) => {}
        }
        let codes = match molecule {
            Molecule::Nucleotide => alphabet::encode_nt(&record.sequence),
            Molecule::Protein => alphabet::encode_aa(&record.sequence),
        };
        self.references.push(Reference {
            taxon: taxid.and_then(|taxid| self.taxonomy.name(taxid).map(str::to_string)),
            name: record.id,
            description: record.description,
            taxid,
            origin,
            molecule,
            list_entry,
            length: codes.len() as u64,
            input,
        });
        self.sequences.push(codes);
        Ok(())
    }

    /// Finishes the build: serialises once to compute the digest.
    pub fn finish(self) -> Result<Database, Error> {
        if self.params.max_occurrences > u32::from(u16::MAX) {
            return Err(Error::Index(format!(
                "max_occurrences {} is above 65,535 (a key's positions are counted in 16 bits)",
                self.params.max_occurrences
            )));
        }
        if !self
            .references
            .iter()
            .any(|reference| reference.origin == Origin::Concern)
        {
            return Err(Error::NoConcern);
        }
        let meta = Meta {
            engine: ENGINE.into(),
            format_version: FORMAT_VERSION,
            params: self.params,
            list_source: self.list_source,
            listed: self.listed.into_values().collect(),
            inputs: self.inputs,
            references: self.references,
        };
        let texts = Texts::build(&meta.references, &self.sequences, meta.params.protein_level);
        let mut database = Database {
            meta,
            sequences: self.sequences,
            index: Indexes::default(),
            texts,
            digest: [0; 32],
        };
        database.index = Indexes::build(&database)?;
        let bytes = database.to_bytes()?;
        database.digest.copy_from_slice(&bytes[bytes.len() - 32..]);
        Ok(database)
    }
}

/// The reader a `fastx::Reader` wraps (to drain it for hashing).
fn records_into_inner<R: BufRead>(records: fastx::Reader<R>) -> R {
    records.into_inner()
}

impl Database {
    /// The database digest as lowercase hex.
    pub fn digest_hex(&self) -> String {
        hex::encode(self.digest)
    }

    /// Serialises the database (see the module documentation for the format).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Error> {
        let meta = serde_json::to_vec(&self.meta)?;
        let total: usize = self
            .sequences
            .iter()
            .map(|sequence| sequence.len() + 8)
            .sum();
        let mut bytes = Vec::with_capacity(meta.len() + total + 64);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        bytes.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&meta);
        bytes.extend_from_slice(&(self.sequences.len() as u64).to_le_bytes());
        for sequence in &self.sequences {
            bytes.extend_from_slice(&(sequence.len() as u64).to_le_bytes());
            bytes.extend_from_slice(sequence);
        }
        bytes.extend_from_slice(&(self.index.dna.len() as u64).to_le_bytes());
        for index in &self.index.dna {
            write_index(&mut bytes, index);
        }
        match &self.index.protein {
            Some(index) => {
                bytes.push(1);
                write_index(&mut bytes, index);
            }
            None => bytes.push(0),
        }
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        Ok(bytes)
    }

    /// Writes the database file.
    pub fn write(&self, mut writer: impl Write) -> Result<(), Error> {
        let bytes = self.to_bytes()?;
        writer.write_all(&bytes).map_err(|source| Error::Io {
            context: "writing the database".into(),
            source,
        })?;
        writer.flush().map_err(|source| Error::Io {
            context: "writing the database".into(),
            source,
        })
    }

    /// Reads and verifies a database file.
    pub fn read(reader: impl Read) -> Result<Self, Error> {
        Self::read_sized(reader, 0)
    }

    /// Reads and verifies a database file of about `size_hint` bytes (the
    /// file's length, when known, so the buffer is allocated once). The
    /// file is read into a buffer of `u32` words, in which the stored
    /// positions are then used in place.
    pub fn read_sized(reader: impl Read, size_hint: u64) -> Result<Self, Error> {
        // a large file goes into an anonymous map that may use huge pages
        if size_hint >= HUGE_BUFFER_BYTES {
            if let Some(map) = anonymous_map(size_hint) {
                return Self::read_mapped(reader, map);
            }
        }
        // one word more than the hint, so that the end of the file is seen
        // without growing the buffer
        let hint_words = usize::try_from(size_hint / 4 + 2).unwrap_or(usize::MAX / 8);
        let mut words: Vec<u32> = vec![0; hint_words.max(1 << 14)];
        let len = Self::read_rest(reader, &mut words, 0)?;
        words.truncate(len.div_ceil(4));
        Self::from_words(WordBuffer::Vec(words), len)
    }

    /// Opens and verifies a database file by mapping it read-only: the
    /// pages are the kernel's page cache, shared by every process screening
    /// against the same file, so opening copies nothing and allocates no
    /// memory the size of the file (reading the 155 MiB database of the
    /// benchmark's large set into fresh memory cost more than its digest).
    /// Anything that cannot be mapped (a pipe, a special file, an empty
    /// file, a system that refuses) is read with [`Database::read_sized`].
    ///
    /// The file must not be changed in place while it is open: `bwcv seq db
    /// build` writes a new file next to the old one and renames it over it,
    /// which leaves a mapped file untouched.
    pub fn open(file: &std::fs::File) -> Result<Self, Error> {
        let metadata = file.metadata().map_err(|source| Error::Io {
            context: "reading the database's metadata".into(),
            source,
        })?;
        if metadata.is_file() && metadata.len() > 0 {
            if let Some(map) = map_file(file) {
                let len = map.len();
                return Self::from_words(WordBuffer::File(map), len);
            }
        }
        Self::read_sized(file, metadata.len())
    }

    /// Reads `reader` into `map`; if the file is longer than the map, goes
    /// on in a vector.
    fn read_mapped(mut reader: impl Read, mut map: memmap2::MmapMut) -> Result<Self, Error> {
        let mut len = 0usize;
        loop {
            if len == map.len() {
                // longer than announced: continue in a vector
                let mut words: Vec<u32> = bytemuck::cast_slice(&map[..]).to_vec();
                drop(map);
                let len = Self::read_rest(reader, &mut words, len)?;
                words.truncate(len.div_ceil(4));
                return Self::from_words(WordBuffer::Vec(words), len);
            }
            match read_some(&mut reader, &mut map[len..])? {
                0 => break,
                n_read => len += n_read,
            }
        }
        Self::from_words(WordBuffer::Map(map), len)
    }

    /// Reads the rest of `reader` into `words` after its first `len` bytes,
    /// growing it as needed; returns the number of bytes.
    fn read_rest(
        mut reader: impl Read,
        words: &mut Vec<u32>,
        mut len: usize,
    ) -> Result<usize, Error> {
        loop {
            if len == words.len() * 4 {
                let grown = (words.len() * 2).max(1 << 14);
                words.resize(grown, 0);
            }
            let buffer: &mut [u8] = bytemuck::cast_slice_mut(&mut words[..]);
            match read_some(&mut reader, &mut buffer[len..])? {
                0 => return Ok(len),
                n_read => len += n_read,
            }
        }
    }

    /// Parses and verifies a serialised database (copied once into an
    /// aligned buffer; [`Database::read_sized`] reads a file without the copy).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let mut words: Vec<u32> = vec![0; bytes.len().div_ceil(4)];
        bytemuck::cast_slice_mut::<u32, u8>(&mut words[..])[..bytes.len()].copy_from_slice(bytes);
        Self::from_words(WordBuffer::Vec(words), bytes.len())
    }

    /// Parses and verifies the first `len` bytes of `buffer` (the file's
    /// bytes in order, in a word-aligned buffer).
    fn from_words(buffer: WordBuffer, len: usize) -> Result<Self, Error> {
        let words = Arc::new(buffer);
        let bytes: &[u8] = &words.bytes()[..len];
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::BadMagic);
        }
        let mut cursor = Cursor {
            bytes,
            position: MAGIC.len(),
        };
        let version = u32::from_le_bytes(cursor.take_array::<4>("format version")?);
        if version != FORMAT_VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if bytes.len() < MAGIC.len() + 4 + 32 {
            return Err(Error::Truncated(
                "shorter than its header and digest".into(),
            ));
        }
        let content = &bytes[..bytes.len() - 32];
        let recorded = &bytes[bytes.len() - 32..];
        // the digest and the parse of the content run in parallel (both
        // read every byte); a digest mismatch is reported before any parse error
        let header_end = cursor.position;
        let (computed, parsed) = rayon::join(
            || Sha256::digest(content),
            || Self::parse_content(&words, content, header_end, recorded),
        );
        if computed.as_slice() != recorded {
            return Err(Error::DigestMismatch {
                computed: hex::encode(computed),
                recorded: hex::encode(recorded),
            });
        }
        parsed
    }

    /// Parses the content after the header (`position`: first byte after
    /// the format version); `recorded` is the digest the file carries.
    fn parse_content(
        words: &Arc<WordBuffer>,
        content: &[u8],
        position: usize,
        recorded: &[u8],
    ) -> Result<Self, Error> {
        let mut cursor = Cursor {
            bytes: content,
            position,
        };
        let meta_length = cursor.take_length("metadata length")?;
        let meta: Meta = serde_json::from_slice(cursor.take(meta_length, "metadata")?)?;
        let n_sequences = cursor.take_length("number of sequences")?;
        if n_sequences != meta.references.len() {
            return Err(Error::Truncated(format!(
                "{n_sequences} sequences but {} references in the metadata",
                meta.references.len()
            )));
        }
        let mut sequences = Vec::with_capacity(n_sequences);
        for index in 0..n_sequences {
            let length = cursor.take_length("sequence length")?;
            if length as u64 != meta.references[index].length {
                return Err(Error::Truncated(format!(
                    "sequence {index} has {length} residues, the metadata says {}",
                    meta.references[index].length
                )));
            }
            sequences.push(cursor.take(length, "sequence")?.to_vec());
        }
        let n_dna = cursor.take_length("number of DNA indexes")?;
        if n_dna != meta.params.dna_seeds.len() {
            return Err(Error::Index(format!(
                "{n_dna} DNA indexes for {} seeds",
                meta.params.dna_seeds.len()
            )));
        }
        let dna_len = Text::nucleotide_len(&meta.references);
        let mut dna = Vec::with_capacity(n_dna);
        for pattern in &meta.params.dna_seeds {
            let seed = Seed::parse(pattern, crate::alphabet::NT_ALPHABET)?;
            dna.push(read_index(
                &mut cursor,
                seed,
                crate::alphabet::NT_ALPHABET,
                dna_len,
            )?);
        }
        let protein_raw = match cursor.take(1, "protein index flag")?[0] {
            0 if !meta.params.protein_level => None,
            1 if meta.params.protein_level => {
                let seed = Seed::parse(&meta.params.protein_seed, crate::alphabet::AA_ALPHABET)?;
                let protein_len = Text::protein_len(&meta.references);
                Some(read_index(
                    &mut cursor,
                    seed,
                    crate::alphabet::AA_ALPHABET,
                    protein_len,
                )?)
            }
            flag => {
                return Err(Error::Index(format!(
                    "protein index flag {flag} does not match protein_level {}",
                    meta.params.protein_level
                )));
            }
        };
        if cursor.position != content.len() {
            return Err(Error::Truncated("trailing bytes after the index".into()));
        }
        // the framed indexes are checked in parallel with the texts they cover
        let ((dna, protein), texts) = rayon::join(
            || {
                rayon::join(
                    || {
                        dna.into_par_iter()
                            .map(|raw| raw.check(words))
                            .collect::<Result<Vec<KmerIndex>, Error>>()
                    },
                    || protein_raw.map(|raw| raw.check(words)).transpose(),
                )
            },
            || Texts::build(&meta.references, &sequences, meta.params.protein_level),
        );
        let (dna, protein) = (dna?, protein?);
        let mut digest = [0; 32];
        digest.copy_from_slice(recorded);
        Ok(Self {
            meta,
            sequences,
            index: Indexes { dna, protein },
            texts,
            digest,
        })
    }

    /// Total residues of nucleotide references.
    pub fn nucleotide_length(&self) -> u64 {
        self.meta
            .references
            .iter()
            .filter(|reference| reference.molecule == Molecule::Nucleotide)
            .map(|reference| reference.length)
            .sum()
    }
}

/// Zero bytes up to the next multiple of 4 from the start of the file.
fn pad_to_word(bytes: &mut Vec<u8>) {
    bytes.resize(bytes.len().next_multiple_of(4), 0);
}

/// Appends one index (see the module documentation).
fn write_index(bytes: &mut Vec<u8>, index: &KmerIndex) {
    let pattern = index.seed.pattern.as_bytes();
    let parts = index.parts();
    let (blocks, starts, positions) = (
        parts.block_starts.as_slice(),
        parts.key_starts.as_slice(),
        parts.positions.as_slice(),
    );
    bytes.extend_from_slice(&(pattern.len() as u64).to_le_bytes());
    bytes.extend_from_slice(pattern);
    bytes.extend_from_slice(&index.n_masked_keys.to_le_bytes());
    bytes.extend_from_slice(&(index.seed.table_size(index.alphabet) as u64).to_le_bytes());
    bytes.extend_from_slice(&u64::from(parts.block_shift).to_le_bytes());
    bytes.extend_from_slice(&(positions.len() as u64).to_le_bytes());
    pad_to_word(bytes);
    bytes.reserve(blocks.len() * 4 + starts.len() * 2 + 4 + positions.len() * 4);
    for start in blocks {
        bytes.extend_from_slice(&start.to_le_bytes());
    }
    for start in starts {
        bytes.extend_from_slice(&start.to_le_bytes());
    }
    pad_to_word(bytes);
    for position in positions {
        bytes.extend_from_slice(&position.to_le_bytes());
    }
}

/// One stored index, framed but not checked.
struct RawIndex {
    seed: Seed,
    alphabet: usize,
    n_masked_keys: u64,
    block_shift: u32,
    /// Byte ranges in the file (each a multiple of 4 from its start).
    block_starts: std::ops::Range<usize>,
    key_starts: std::ops::Range<usize>,
    positions: std::ops::Range<usize>,
    text_len: usize,
}

/// Takes the zero padding up to the next multiple of 4.
fn take_padding(cursor: &mut Cursor<'_>, what: &str) -> Result<(), Error> {
    let padding = cursor.position.next_multiple_of(4) - cursor.position;
    if cursor.take(padding, what)?.iter().any(|byte| *byte != 0) {
        return Err(Error::Index(format!("the {what} is not zero")));
    }
    Ok(())
}

/// Takes `n` items of `size` bytes; returns their byte range.
fn take_items(
    cursor: &mut Cursor<'_>,
    n: usize,
    size: usize,
    what: &str,
) -> Result<std::ops::Range<usize>, Error> {
    let start = cursor.position;
    cursor.take(
        n.checked_mul(size)
            .ok_or_else(|| Error::Truncated(format!("too many {what}")))?,
        what,
    )?;
    Ok(start..cursor.position)
}

/// Frames one index for `seed` over a text of `text_len` residues (cheap:
/// the table and positions are checked by [`RawIndex::check`], in parallel).
fn read_index(
    cursor: &mut Cursor<'_>,
    seed: Seed,
    alphabet: usize,
    text_len: usize,
) -> Result<RawIndex, Error> {
    let pattern_len = cursor.take_length("seed pattern length")?;
    let pattern = cursor.take(pattern_len, "seed pattern")?;
    if pattern != seed.pattern.as_bytes() {
        return Err(Error::Index(format!(
            "stored index is for seed '{}', the parameters name '{}'",
            String::from_utf8_lossy(pattern),
            seed.pattern
        )));
    }
    let n_masked_keys = u64::from_le_bytes(cursor.take_array::<8>("masked keys")?);
    let table_size = cursor.take_length("table size")?;
    if table_size != seed.table_size(alphabet) {
        return Err(Error::Index(format!(
            "seed '{}' has {} keys, the file records {table_size}",
            seed.pattern,
            seed.table_size(alphabet)
        )));
    }
    let block_shift = cursor.take_length("block shift")?;
    if block_shift > 16 {
        return Err(Error::Index(format!(
            "block shift {block_shift} is larger than 16"
        )));
    }
    let n_positions = cursor.take_length("number of positions")?;
    take_padding(cursor, "padding before the offsets table")?;
    let block_starts = take_items(cursor, (table_size >> block_shift) + 1, 4, "block starts")?;
    let key_starts = take_items(cursor, table_size + 1, 2, "key starts")?;
    take_padding(cursor, "padding before the positions")?;
    let positions = take_items(cursor, n_positions, 4, "positions")?;
    Ok(RawIndex {
        seed,
        alphabet,
        n_masked_keys,
        block_shift: block_shift as u32,
        block_starts,
        key_starts,
        positions,
        text_len,
    })
}

/// `range` (bytes, a multiple of the value size from the start of the
/// file) of `words` as values of `T`, in place; a big-endian machine
/// converts a copy with `from_le` (the file is little-endian).
fn in_place<T: bytemuck::Pod>(
    words: &Arc<WordBuffer>,
    range: std::ops::Range<usize>,
    from_le: fn(T) -> T,
) -> Result<SharedSlice<T>, Error> {
    let size = std::mem::size_of::<T>();
    let values = SharedSlice::new(Arc::clone(words), range.start / size..range.end / size)
        .ok_or_else(|| Error::Truncated("file ends inside an index".into()))?;
    if cfg!(target_endian = "little") {
        Ok(values)
    } else {
        Ok(values
            .as_slice()
            .iter()
            .map(|&value| from_le(value))
            .collect::<Vec<T>>()
            .into())
    }
}

impl RawIndex {
    /// Checks the stored table and positions, which stay in place in
    /// `words`, the file's buffer.
    fn check(self, words: &Arc<WordBuffer>) -> Result<KmerIndex, Error> {
        let parts = IndexParts {
            block_shift: self.block_shift,
            block_starts: in_place(words, self.block_starts, u32::from_le)?,
            key_starts: in_place(words, self.key_starts, u16::from_le)?,
            positions: in_place(words, self.positions, u32::from_le)?,
            n_masked_keys: self.n_masked_keys,
        };
        KmerIndex::from_parts(self.seed, self.alphabet, parts, self.text_len).map_err(Error::Index)
    }
}

struct Cursor<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, length: usize, what: &str) -> Result<&'a [u8], Error> {
        let end = self
            .position
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| Error::Truncated(format!("file ends inside the {what}")))?;
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    fn take_array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Error> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N, what)?);
        Ok(array)
    }

    fn take_length(&mut self, what: &str) -> Result<usize, Error> {
        let value = u64::from_le_bytes(self.take_array::<8>(what)?);
        usize::try_from(value).map_err(|_| Error::Truncated(format!("{what} {value} too large")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed() -> BTreeMap<u32, ListEntry> {
        [(
            100,
            ListEntry {
                taxid: 100,
                id: "test-1".into(),
                name: "Test agent".into(),
                category: "virus".into(),
            },
        )]
        .into_iter()
        .collect()
    }

    fn small_database() -> Database {
        let mut builder = Builder::new(BuildParams::default(), listed(), "test");
        builder
            .taxonomy(
                "100\t|\t1\t|\tspecies\t|\n101\t|\t100\t|\tno rank\t|\n".as_bytes(),
                Some("101\t|\tTest strain\t|\t\t|\tscientific name\t|\n".as_bytes()),
                ("nodes.dmp", "names.dmp"),
            )
            .expect("taxonomy");
        builder
            .add(
                "concern.fa",
                ">c1 taxid|101| x\nACGTACGTTT\n".as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect("concern");
        builder
            .add(
                "bg.fa",
                ">b1\nGGGGCCCC\n".as_bytes(),
                Origin::Background,
                Molecule::Nucleotide,
            )
            .expect("background");
        builder.finish().expect("finish")
    }

    #[test]
    fn builtin_catalogue_lists_the_validation_agents() {
        let listed = listed_from_catalogue(bwcv_core::lists::Catalogue::builtin());
        for taxid in [694009, 2697049, 1335626, 10244] {
            assert!(listed.contains_key(&taxid), "{taxid}");
        }
        assert!(!listed.contains_key(&10710), "phage lambda is not listed");
    }

    #[test]
    fn header_taxids() {
        assert_eq!(
            taxid_from_header("kraken:taxid|694009|NC_004718.3"),
            Some(694009)
        );
        assert_eq!(taxid_from_header("x taxid=11 y"), Some(11));
        assert_eq!(taxid_from_header("taxid|abc| taxid=7"), Some(7));
        assert_eq!(taxid_from_header("no tag"), None);
    }

    #[test]
    fn round_trip_and_digest() {
        let database = small_database();
        let reference = &database.meta.references[0];
        assert_eq!(reference.taxid, Some(101));
        assert_eq!(reference.taxon.as_deref(), Some("Test strain"));
        assert_eq!(
            reference.list_entry.as_ref().map(|entry| entry.id.as_str()),
            Some("test-1")
        );
        assert_eq!(database.meta.inputs.len(), 4);
        let bytes = database.to_bytes().expect("bytes");
        let again = Database::from_bytes(&bytes).expect("read");
        assert_eq!(again.meta, database.meta);
        assert_eq!(again.sequences, database.sequences);
        assert_eq!(again.digest, database.digest);
        assert_eq!(again.to_bytes().expect("bytes"), bytes);
    }

    /// Re-frames `content` (everything before the digest) with a fresh digest.
    fn with_digest(mut content: Vec<u8>) -> Vec<u8> {
        let digest = Sha256::digest(&content);
        content.extend_from_slice(&digest);
        content
    }

    #[test]
    fn the_index_round_trips_through_the_file() {
        let database = small_database();
        assert_eq!(
            database.index.dna.len(),
            database.meta.params.dna_seeds.len()
        );
        assert!(database.index.protein.is_some());
        let bytes = database.to_bytes().expect("bytes");
        let again = Database::from_bytes(&bytes).expect("read");
        assert_eq!(again.index, database.index);
        // what is loaded is what a rebuild from the sequences gives
        assert_eq!(Indexes::build(&again).expect("rebuild"), again.index);
        // without the protein level there is no protein index, also after a round trip
        let mut builder = Builder::new(
            BuildParams {
                protein_level: false,
                ..BuildParams::default()
            },
            listed(),
            "test",
        );
        builder
            .add(
                "c.fa",
                ">c taxid=100\nACGTACGTTTGACCA\n".as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect("concern");
        let dna_only = builder.finish().expect("finish");
        assert!(dna_only.index.protein.is_none());
        let again = Database::from_bytes(&dna_only.to_bytes().expect("bytes")).expect("read");
        assert_eq!(again.index, dna_only.index);
    }

    #[test]
    fn version_1_files_are_refused_with_a_rebuild_hint() {
        // a version-1 file: header, metadata and sequences, no index section
        let database = small_database();
        let meta = serde_json::to_vec(&database.meta).expect("meta");
        let mut content = MAGIC.to_vec();
        content.extend_from_slice(&1u32.to_le_bytes());
        content.extend_from_slice(&(meta.len() as u64).to_le_bytes());
        content.extend_from_slice(&meta);
        content.extend_from_slice(&(database.sequences.len() as u64).to_le_bytes());
        for sequence in &database.sequences {
            content.extend_from_slice(&(sequence.len() as u64).to_le_bytes());
            content.extend_from_slice(sequence);
        }
        let error = Database::from_bytes(&with_digest(content)).expect_err("version 1");
        let message = error.to_string();
        assert!(
            message.contains("format version 1 is not supported")
                && message.contains("reads version 4")
                && message.contains("bwcv seq db build"),
            "{message}"
        );
        // version-2 files (index without alignment padding) and version-3
        // files (key counts instead of an offsets table) likewise
        for old_version in [2u32, 3] {
            let mut old = database.to_bytes().expect("bytes");
            old.truncate(old.len() - 32);
            old[MAGIC.len()..MAGIC.len() + 4].copy_from_slice(&old_version.to_le_bytes());
            let message = Database::from_bytes(&with_digest(old))
                .expect_err("old version")
                .to_string();
            assert!(
                message.contains(&format!("format version {old_version} is not supported"))
                    && message.contains("bwcv seq db build"),
                "{message}"
            );
        }
    }

    /// A database of one concern sequence of `length` nt (deterministic,
    /// not periodic over a seed's span).
    fn concern_database(list_source: &str, length: u32) -> Database {
        let sequence: String = (0..length)
            .map(|index| b"ACGT"[((index * 7 + index / 5 + index / 131) % 4) as usize] as char)
            .collect();
        let mut builder = Builder::new(BuildParams::default(), listed(), list_source);
        builder
            .taxonomy(
                "100\t|\t1\t|\tspecies\t|\n101\t|\t100\t|\tno rank\t|\n".as_bytes(),
                None::<&[u8]>,
                ("nodes.dmp", "names.dmp"),
            )
            .expect("taxonomy");
        builder
            .add(
                "concern.fa",
                format!(">c1 taxid|101| x\n{sequence}\n").as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect("concern");
        builder.finish().expect("finish")
    }

    /// Every index's offsets table and positions start at a multiple of 4 from the
    /// start of the file, so they are used in place; the padding before
    /// them must be zero, and reading through `read` (a stream of unknown
    /// length) and `read_sized` (one buffer) gives the same database.
    #[test]
    fn positions_are_aligned_and_used_in_place() {
        let mut n_padded = 0;
        // metadata lengths of every residue mod 4, so some file needs padding
        for list_source in ["test", "test1", "test12", "test123"] {
            // long enough for every seed to index positions
            let database = concern_database(list_source, 300);
            let bytes = database.to_bytes().expect("bytes");
            let streamed = Database::read(io::Cursor::new(&bytes)).expect("read");
            let sized = Database::read_sized(io::Cursor::new(&bytes), bytes.len() as u64)
                .expect("read_sized");
            let small_hint = Database::read_sized(io::Cursor::new(&bytes), 7).expect("small hint");
            // a hint this large reads into an anonymous map (huge pages),
            // here far longer than the file
            let huge_hint = Database::read_sized(io::Cursor::new(&bytes), HUGE_BUFFER_BYTES)
                .expect("huge hint");
            for again in [&streamed, &sized, &small_hint, &huge_hint] {
                assert_eq!(again.index, database.index);
                assert_eq!(again.digest, database.digest);
                assert_eq!(again.texts.dna.codes, database.texts.dna.codes);
            }
            // find the first positions section through its framing
            let first = database.index.dna.first().expect("a DNA index");
            let positions_bytes: Vec<u8> = first
                .positions()
                .iter()
                .flat_map(|position| position.to_le_bytes())
                .collect();
            let at = bytes
                .windows(positions_bytes.len())
                .position(|window| window == positions_bytes.as_slice())
                .expect("positions in the file");
            assert_eq!(at % 4, 0, "positions start at {at}");
            // the index header ends with table size, block shift and number
            // of positions; padding follows up to a multiple of 4
            let parts = first.parts();
            let mut header = (first.seed.table_size(first.alphabet) as u64)
                .to_le_bytes()
                .to_vec();
            header.extend_from_slice(&u64::from(parts.block_shift).to_le_bytes());
            header.extend_from_slice(&(first.positions().len() as u64).to_le_bytes());
            let header_end = bytes
                .windows(header.len())
                .position(|window| window == header.as_slice())
                .expect("index header")
                + header.len();
            let table_at = header_end.next_multiple_of(4);
            let block_bytes: Vec<u8> = parts
                .block_starts
                .as_slice()
                .iter()
                .flat_map(|start| start.to_le_bytes())
                .collect();
            assert_eq!(
                &bytes[table_at..table_at + block_bytes.len()],
                &block_bytes[..]
            );
            if table_at > header_end {
                n_padded += 1;
                // a padding byte that is not zero is refused (with a valid digest)
                let mut content = bytes[..bytes.len() - 32].to_vec();
                content[header_end] = 1;
                let message = Database::from_bytes(&with_digest(content))
                    .expect_err("padding")
                    .to_string();
                assert!(message.contains("padding"), "{message}");
            }
            // an offsets table that does not ascend is refused (valid digest)
            let mut content = bytes[..bytes.len() - 32].to_vec();
            let last_block = table_at + block_bytes.len() - 4;
            content[last_block..last_block + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            let message = Database::from_bytes(&with_digest(content))
                .expect_err("table")
                .to_string();
            assert!(message.contains("offsets table"), "{message}");
        }
        assert!(n_padded > 0, "no file needed padding");
    }

    /// Large files are read into an anonymous map; a file longer than its
    /// announced size goes on in a vector; both give the same database.
    #[test]
    fn the_mapped_buffer_reads_exact_and_longer_files() {
        let database = concern_database("test", 20_000);
        let bytes = database.to_bytes().expect("bytes");
        let exact = anonymous_map(bytes.len() as u64).expect("map");
        let mapped = Database::read_mapped(io::Cursor::new(&bytes), exact).expect("mapped");
        assert_eq!(mapped.index, database.index);
        assert_eq!(mapped.digest, database.digest);
        // announced as 1 byte: the map (two pages) fills, the rest of the
        // file continues in a vector
        let short = anonymous_map(1).expect("map");
        assert!(bytes.len() > short.len(), "{} bytes", bytes.len());
        let longer = Database::read_mapped(io::Cursor::new(&bytes), short).expect("longer");
        assert_eq!(longer.index, database.index);
        assert_eq!(longer.digest, database.digest);
    }

    /// A file is mapped read-only; the map and the built database are the
    /// same, an empty file is read (and refused) rather than mapped, and a
    /// map keeps reading the old file after a new one is renamed over it.
    #[test]
    fn a_database_file_is_mapped_and_equals_what_was_built() {
        let database = concern_database("test", 20_000);
        let folder = tempfile::tempdir().expect("folder");
        let path = folder.path().join("screen.db");
        database
            .write(std::fs::File::create(&path).expect("create"))
            .expect("write");
        let opened = Database::open(&std::fs::File::open(&path).expect("open")).expect("mapped");
        assert_eq!(opened.index, database.index);
        assert_eq!(opened.digest, database.digest);
        assert_eq!(opened.texts.dna.codes, database.texts.dna.codes);
        assert_eq!(opened.sequences, database.sequences);
        // a new database renamed over the path (what `bwcv seq db build`
        // does) leaves the open map reading the old file
        let newer = concern_database("newer", 5_000);
        let partial = folder.path().join(".screen.db.partial");
        newer
            .write(std::fs::File::create(&partial).expect("create"))
            .expect("write");
        std::fs::rename(&partial, &path).expect("rename");
        assert_eq!(opened.index, database.index);
        assert_eq!(opened.texts.dna.codes, database.texts.dna.codes);
        let reopened = Database::open(&std::fs::File::open(&path).expect("open")).expect("new");
        assert_eq!(reopened.digest, newer.digest);
        // an empty file is not mapped: it is read and refused
        let empty = folder.path().join("empty.db");
        std::fs::write(&empty, b"").expect("empty");
        let error = Database::open(&std::fs::File::open(&empty).expect("open")).expect_err("empty");
        assert!(matches!(error, Error::BadMagic), "{error}");
        // a file whose length is not a multiple of 4 (trailing byte): the
        // map holds it whole and the parse refuses the trailing byte
        let odd = folder.path().join("odd.db");
        let mut bytes = database.to_bytes().expect("bytes");
        bytes.insert(bytes.len() - 32, 0);
        std::fs::write(&odd, with_digest(bytes[..bytes.len() - 32].to_vec())).expect("odd");
        let error = Database::open(&std::fs::File::open(&odd).expect("open")).expect_err("odd");
        assert!(error.to_string().contains("trailing bytes"), "{error}");
    }

    #[test]
    fn a_stored_index_that_does_not_fit_is_refused_even_with_a_valid_digest() {
        let mut builder = Builder::new(BuildParams::default(), listed(), "test");
        builder
            .add(
                "c.fa",
                ">c taxid=100\nATGGCTAAAGTTCTGGCAGCTGGTATTTGGCGTCGTACCGAAGAATCTCTGCTGAAACAG\n"
                    .as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect("concern");
        let database = builder.finish().expect("finish");
        assert!(
            database
                .index
                .protein
                .as_ref()
                .is_some_and(|index| !index.is_empty())
        );
        let bytes = database.to_bytes().expect("bytes");
        let content = &bytes[..bytes.len() - 32];
        // the last 4 bytes of the content are the protein index's last position
        let mut bad_position = content.to_vec();
        let at = bad_position.len() - 4;
        bad_position[at..].copy_from_slice(&u32::MAX.to_le_bytes());
        let error = Database::from_bytes(&with_digest(bad_position)).expect_err("position");
        assert!(matches!(error, Error::Index(_)), "{error}");
        assert!(error.to_string().contains("outside the text"), "{error}");
        // cut inside the index section
        let error = Database::from_bytes(&with_digest(content[..content.len() - 9].to_vec()))
            .expect_err("cut");
        assert!(
            matches!(error, Error::Truncated(_) | Error::Index(_)),
            "{error}"
        );
        // seeds in the metadata that the stored index was not built for
        let mut other = database.clone();
        other.meta.params.dna_seeds[0] = "1111111111".into();
        let error = Database::from_bytes(&other.to_bytes().expect("bytes")).expect_err("seed");
        assert!(
            error.to_string().contains("stored index is for seed"),
            "{error}"
        );
    }

    #[test]
    fn corruption_and_versions_are_refused() {
        let bytes = small_database().to_bytes().expect("bytes");
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 0x01;
        assert!(matches!(
            Database::from_bytes(&flipped),
            Err(Error::DigestMismatch { .. })
        ));
        let mut version = bytes.clone();
        version[8] = 9;
        let error = Database::from_bytes(&version).expect_err("version");
        assert!(
            error.to_string().contains("version 9 is not supported"),
            "{error}"
        );
        assert!(matches!(
            Database::from_bytes(b"GARBAGE!xxxx"),
            Err(Error::BadMagic)
        ));
        assert!(Database::from_bytes(&bytes[..bytes.len() - 5]).is_err());
        assert!(Database::from_bytes(&bytes[..10]).is_err());
    }

    #[test]
    fn max_occurrences_must_fit_16_bits() {
        let params = BuildParams {
            max_occurrences: 65_536,
            ..BuildParams::default()
        };
        let mut builder = Builder::new(params, listed(), "test");
        builder
            .add(
                "c.fa",
                ">c taxid=100\nATGGCTAAAGTTCTGGCAGCTGGTATTTGG\n".as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect("concern");
        let error = builder.finish().expect_err("too many");
        assert!(error.to_string().contains("65,535"), "{error}");
    }

    #[test]
    fn labelling_rules() {
        let mut builder = Builder::new(BuildParams::default(), listed(), "test");
        let error = builder
            .add(
                "c.fa",
                ">c\nACGT\n".as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect_err("no taxid");
        assert!(error.to_string().contains("has no taxid"), "{error}");
        let error = builder
            .add(
                "c.fa",
                ">c taxid=5\nACGT\n".as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect_err("unlisted");
        assert!(matches!(error, Error::NotRegulated { taxid: 5, .. }));
        let error = builder
            .add(
                "b.fa",
                ">b taxid=100\nACGT\n".as_bytes(),
                Origin::Background,
                Molecule::Nucleotide,
            )
            .expect_err("regulated background");
        assert!(matches!(
            error,
            Error::RegulatedBackground { listed: 100, .. }
        ));
        builder
            .taxid_map("map.tsv", "# id taxid\nc 100\n".as_bytes())
            .expect("map");
        builder
            .add(
                "c.fa",
                ">c\nACGT\n".as_bytes(),
                Origin::Concern,
                Molecule::Nucleotide,
            )
            .expect("mapped");
        let error = Builder::new(BuildParams::default(), listed(), "t")
            .taxid_map("m", "c\n".as_bytes())
            .expect_err("bad map");
        assert!(error.to_string().contains("m line 1"), "{error}");
    }
}
