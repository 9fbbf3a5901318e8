//! NCBI taxonomy dump (`nodes.dmp`, `names.dmp`) and the regulated-taxon rule.
//!
//! Format: NCBI taxdump readme (`taxdump_readme.txt`): fields separated by
//! `\t|\t`, lines ending in `\t|`; nodes.dmp field 1 tax_id, field 2 parent
//! tax_id, field 3 rank; names.dmp field 1 tax_id, field 2 name, field 4
//! name class (`scientific name`).

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::io::BufRead;

/// Errors reading a taxonomy dump.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The reader failed.
    #[error("{file}: read error at line {line}: {source}")]
    Io {
        /// Which dump file.
        file: &'static str,
        /// Line number.
        line: u64,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A line that is not a taxdump record.
    #[error("{file} line {line}: {reason}")]
    Format {
        /// Which dump file.
        file: &'static str,
        /// Line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
}

/// Parent links, ranks and scientific names of NCBI taxa.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Taxonomy {
    /// taxid → (parent taxid, rank).
    pub nodes: BTreeMap<u32, (u32, String)>,
    /// taxid → scientific name.
    pub names: BTreeMap<u32, String>,
}

/// Upper bound on lineage depth, so that a corrupt dump with a cycle cannot loop.
const MAX_DEPTH: usize = 256;

fn fields(line: &str) -> Vec<&str> {
    line.trim_end_matches(['\n', '\r'])
        .trim_end_matches("\t|")
        .split("\t|\t")
        .map(str::trim)
        .collect()
}

fn parse_taxid(text: &str, file: &'static str, line: u64) -> Result<u32, Error> {
    text.parse().map_err(|_| Error::Format {
        file,
        line,
        reason: format!("'{text}' is not a taxid"),
    })
}

impl Taxonomy {
    /// Reads `nodes.dmp` and (optionally) `names.dmp`.
    pub fn read(nodes: impl BufRead, names: Option<impl BufRead>) -> Result<Self, Error> {
        let mut taxonomy = Taxonomy::default();
        for (index, line) in nodes.lines().enumerate() {
            let line_number = index as u64 + 1;
            let line = line.map_err(|source| Error::Io {
                file: "nodes.dmp",
                line: line_number,
                source,
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let parts = fields(&line);
            if parts.len() < 3 {
                return Err(Error::Format {
                    file: "nodes.dmp",
                    line: line_number,
                    reason: "fewer than 3 fields".into(),
                });
            }
            let taxid = parse_taxid(parts[0], "nodes.dmp", line_number)?;
            let parent = parse_taxid(parts[1], "nodes.dmp", line_number)?;
            taxonomy.nodes.insert(taxid, (parent, parts[2].to_string()));
        }
        if let Some(names) = names {
            for (index, line) in names.lines().enumerate() {
                let line_number = index as u64 + 1;
                let line = line.map_err(|source| Error::Io {
                    file: "names.dmp",
                    line: line_number,
                    source,
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                let parts = fields(&line);
                if parts.len() < 4 {
                    return Err(Error::Format {
                        file: "names.dmp",
                        line: line_number,
                        reason: "fewer than 4 fields".into(),
                    });
                }
                if parts[3] == "scientific name" {
                    let taxid = parse_taxid(parts[0], "names.dmp", line_number)?;
                    taxonomy.names.insert(taxid, parts[1].to_string());
                }
            }
        }
        Ok(taxonomy)
    }

    /// `taxid` and its ancestors up to the root (the taxon itself first).
    /// A taxid absent from the dump has the lineage `[taxid]`.
    pub fn lineage(&self, taxid: u32) -> Vec<u32> {
        let mut lineage = vec![taxid];
        let mut current = taxid;
        while let Some((parent, _)) = self.nodes.get(&current) {
            if *parent == current || lineage.len() >= MAX_DEPTH || lineage.contains(parent) {
                break;
            }
            lineage.push(*parent);
            current = *parent;
        }
        lineage
    }

    /// Scientific name of `taxid`, if the dump has it.
    pub fn name(&self, taxid: u32) -> Option<&str> {
        self.names.get(&taxid).map(String::as_str)
    }
}

/// The regulated-taxon rule: a taxon is regulated when it or one of its
/// ancestors is a listed taxid. Returns the nearest listed taxid of the
/// lineage (the taxon itself if listed), or `None`.
pub fn regulating_taxid<V>(
    taxonomy: &Taxonomy,
    taxid: u32,
    listed: &BTreeMap<u32, V>,
) -> Option<u32> {
    taxonomy
        .lineage(taxid)
        .into_iter()
        .find(|ancestor| listed.contains_key(ancestor))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "1\t|\t1\t|\tno rank\t|\n10\t|\t1\t|\tgenus\t|\n11\t|\t10\t|\tspecies\t|\n12\t|\t11\t|\tno rank\t|\n20\t|\t1\t|\tspecies\t|\n";
    const NAMES: &str =
        "11\t|\tFoo virus\t|\t\t|\tscientific name\t|\n11\t|\tfoo\t|\t\t|\tsynonym\t|\n";

    #[test]
    fn lineage_and_regulation() {
        let taxonomy = Taxonomy::read(NODES.as_bytes(), Some(NAMES.as_bytes())).expect("parse");
        assert_eq!(taxonomy.lineage(12), vec![12, 11, 10, 1]);
        assert_eq!(taxonomy.lineage(999), vec![999]);
        assert_eq!(taxonomy.name(11), Some("Foo virus"));
        let listed: BTreeMap<u32, ()> = [(11, ())].into_iter().collect();
        assert_eq!(regulating_taxid(&taxonomy, 12, &listed), Some(11));
        assert_eq!(regulating_taxid(&taxonomy, 11, &listed), Some(11));
        assert_eq!(regulating_taxid(&taxonomy, 10, &listed), None);
        assert_eq!(regulating_taxid(&taxonomy, 20, &listed), None);
    }

    #[test]
    fn cycles_terminate_and_bad_lines_are_reported() {
        let cyclic = "5\t|\t6\t|\tno rank\t|\n6\t|\t5\t|\tno rank\t|\n";
        let taxonomy = Taxonomy::read(cyclic.as_bytes(), None::<&[u8]>).expect("parse");
        assert_eq!(taxonomy.lineage(5), vec![5, 6]);
        let error = Taxonomy::read("x\t|\t1\t|\tgenus\t|\n".as_bytes(), None::<&[u8]>)
            .expect_err("bad taxid");
        assert!(error.to_string().contains("nodes.dmp line 1"), "{error}");
    }
}
