//! Newick trees: reader and writer.
//!
//! Grammar as in the PHYLIP Newick standard (J. Felsenstein, "The Newick
//! tree format"): `tree := subtree [':' length] ';'`,
//! `subtree := '(' subtree (',' subtree)* ')' [label] | label`.
//! Quoted labels (`'...'`, a doubled `''` is one quote) may contain any
//! character; unquoted labels are kept verbatim (underscores are not turned
//! into blanks, matching Bio.Phylo and TreeTime, so names match metadata).
//! Comments `[...]` may appear between tokens; the last comment after a
//! node is kept with the node (e.g. NHX `[&&NHX:...]`). Errors carry the
//! byte offset, line and column.

use crate::tree::{NodeId, Tree};

/// Where in the text a parse error happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Byte offset from the start (0-based).
    pub offset: usize,
    /// Line (1-based).
    pub line: usize,
    /// Column in characters (1-based).
    pub column: usize,
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {} (byte {})",
            self.line, self.column, self.offset
        )
    }
}

/// A malformed Newick text.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NewickError {
    /// A character that cannot appear here.
    #[error("Newick: unexpected {found} at {position}; expected {expected}")]
    Unexpected {
        found: String,
        expected: &'static str,
        position: Position,
    },
    /// The text ended too early.
    #[error("Newick: text ends at {position} inside {context}; expected {expected}")]
    UnexpectedEnd {
        context: &'static str,
        expected: &'static str,
        position: Position,
    },
    /// A branch length that is not a number.
    #[error("Newick: branch length {text:?} at {position} is not a number")]
    BadLength { text: String, position: Position },
    /// Text after the final `;`.
    #[error("Newick: text after the closing ';' at {position}")]
    TrailingText { position: Position },
}

/// Parses one Newick tree.
pub fn parse(text: &str) -> Result<Tree, NewickError> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let mut tree = Tree::new();
    let root = tree.root;
    parser.skip_space_and_comments(&mut None)?;
    parser.subtree(&mut tree, root)?;
    parser.skip_space_and_comments(&mut None)?;
    match parser.peek() {
        Some(b';') => parser.pos += 1,
        Some(_) => return Err(parser.unexpected("';' at the end of the tree")),
        None => {
            return Err(NewickError::UnexpectedEnd {
                context: "the tree",
                expected: "';'",
                position: parser.position(),
            });
        }
    }
    parser.skip_space_and_comments(&mut None)?;
    if parser.pos < parser.bytes.len() {
        return Err(NewickError::TrailingText {
            position: parser.position(),
        });
    }
    Ok(tree)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

const SPECIAL: &[u8] = b"()[]':;,";

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn position_at(&self, offset: usize) -> Position {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = before[line_start..].chars().count() + 1;
        Position {
            offset,
            line,
            column,
        }
    }

    fn position(&self) -> Position {
        self.position_at(self.pos)
    }

    fn unexpected(&self, expected: &'static str) -> NewickError {
        let found = self.text[self.pos..]
            .chars()
            .next()
            .map(|c| format!("{c:?}"))
            .unwrap_or_else(|| "end of text".to_string());
        NewickError::Unexpected {
            found,
            expected,
            position: self.position(),
        }
    }

    /// Skips whitespace and comments; the last comment seen is stored.
    fn skip_space_and_comments(&mut self, comment: &mut Option<String>) -> Result<(), NewickError> {
        loop {
            match self.peek() {
                Some(c) if c.is_ascii_whitespace() => self.pos += 1,
                Some(b'[') => {
                    let start = self.pos;
                    match self.text[self.pos + 1..].find(']') {
                        Some(end) => {
                            *comment = Some(self.text[start + 1..start + 1 + end].to_string());
                            self.pos = start + 1 + end + 1;
                        }
                        None => {
                            return Err(NewickError::UnexpectedEnd {
                                context: "a comment opened",
                                expected: "']'",
                                position: self.position_at(start),
                            });
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn subtree(&mut self, tree: &mut Tree, node: NodeId) -> Result<(), NewickError> {
        let mut comment = None;
        if self.peek() == Some(b'(') {
            self.pos += 1;
            loop {
                self.skip_space_and_comments(&mut None)?;
                let child = tree.add_child(node);
                self.subtree(tree, child)?;
                self.skip_space_and_comments(&mut None)?;
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(b')') => {
                        self.pos += 1;
                        break;
                    }
                    Some(_) => return Err(self.unexpected("',' or ')'")),
                    None => {
                        return Err(NewickError::UnexpectedEnd {
                            context: "a group opened with '('",
                            expected: "',' or ')'",
                            position: self.position(),
                        });
                    }
                }
            }
        }
        self.skip_space_and_comments(&mut comment)?;
        let label = self.label()?;
        if label.is_none() && tree.nodes[node].children.is_empty() {
            // An empty tip label is allowed by the standard (e.g. "(,);").
        }
        tree.nodes[node].name = label;
        self.skip_space_and_comments(&mut comment)?;
        if self.peek() == Some(b':') {
            self.pos += 1;
            self.skip_space_and_comments(&mut comment)?;
            let start = self.pos;
            while let Some(c) = self.peek() {
                if c.is_ascii_whitespace() || SPECIAL.contains(&c) {
                    break;
                }
                self.pos += 1;
            }
            let text = &self.text[start..self.pos];
            if text.is_empty() {
                return Err(self.unexpected("a branch length after ':'"));
            }
            let value: f64 = text.parse().map_err(|_| NewickError::BadLength {
                text: text.to_string(),
                position: self.position_at(start),
            })?;
            if !value.is_finite() {
                return Err(NewickError::BadLength {
                    text: text.to_string(),
                    position: self.position_at(start),
                });
            }
            tree.nodes[node].branch_length = Some(value);
            self.skip_space_and_comments(&mut comment)?;
        }
        tree.nodes[node].comment = comment;
        Ok(())
    }

    fn label(&mut self) -> Result<Option<String>, NewickError> {
        if self.peek() == Some(b'\'') {
            let start = self.pos;
            self.pos += 1;
            let mut out = String::new();
            loop {
                let rest = &self.text[self.pos..];
                match rest.find('\'') {
                    None => {
                        return Err(NewickError::UnexpectedEnd {
                            context: "a quoted label opened",
                            expected: "a closing quote",
                            position: self.position_at(start),
                        });
                    }
                    Some(i) => {
                        out.push_str(&rest[..i]);
                        self.pos += i + 1;
                        if self.peek() == Some(b'\'') {
                            out.push('\'');
                            self.pos += 1;
                        } else {
                            return Ok(Some(out));
                        }
                    }
                }
            }
        }
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || SPECIAL.contains(&c) {
                break;
            }
            self.pos += 1;
        }
        if self.pos == start {
            Ok(None)
        } else {
            Ok(Some(self.text[start..self.pos].to_string()))
        }
    }
}

/// Writes `tree` as one line of Newick ending in `;`. Branch lengths are
/// written in Rust's shortest round-trip form, so parsing the output gives
/// back the same numbers. Labels that need it are quoted.
pub fn write(tree: &Tree) -> String {
    let mut out = String::new();
    write_node(tree, tree.root, &mut out);
    out.push(';');
    out
}

fn write_node(tree: &Tree, id: NodeId, out: &mut String) {
    let node = &tree.nodes[id];
    if !node.children.is_empty() {
        out.push('(');
        for (i, &child) in node.children.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_node(tree, child, out);
        }
        out.push(')');
    }
    if let Some(name) = &node.name {
        out.push_str(&quote_label(name));
    }
    if let Some(comment) = &node.comment {
        out.push('[');
        out.push_str(comment);
        out.push(']');
    }
    if let Some(length) = node.branch_length {
        out.push(':');
        out.push_str(&format!("{length}"));
    }
}

/// Quotes a label when it contains Newick punctuation or blanks.
pub fn quote_label(name: &str) -> String {
    let needs = name.is_empty()
        || name
            .bytes()
            .any(|c| c.is_ascii_whitespace() || SPECIAL.contains(&c));
    if needs {
        format!("'{}'", name.replace('\'', "''"))
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_lengths_labels_and_comments() {
        let tree = parse("((A:0.1,'B c''d':2e-3)0.97[&support=97]:0.5,C)root;").expect("valid");
        let tips: Vec<String> = tree
            .tips()
            .iter()
            .map(|&id| tree.nodes[id].name.clone().unwrap_or_default())
            .collect();
        assert_eq!(tips, vec!["A", "B c'd", "C"]);
        let b = tree.tip_by_name("B c'd").expect("B");
        assert_eq!(tree.nodes[b].branch_length, Some(2e-3));
        let inner = tree.nodes[b].parent.expect("parent");
        assert_eq!(tree.nodes[inner].name.as_deref(), Some("0.97"));
        assert_eq!(tree.nodes[inner].comment.as_deref(), Some("&support=97"));
        assert_eq!(tree.nodes[tree.root].name.as_deref(), Some("root"));
        assert_eq!(
            write(&tree),
            "((A:0.1,'B c''d':0.002)0.97[&support=97]:0.5,C)root;"
        );
    }

    #[test]
    fn whitespace_and_newlines_between_tokens() {
        let tree = parse(" (\n A : 1 ,\n B:2 [x] ) ; \n").expect("valid");
        assert_eq!(write(&tree), "(A:1,B[x]:2);");
    }

    #[test]
    fn malformed_input_reports_position() {
        let cases: &[(&str, usize, usize)] = &[
            ("((A,B),C;", 1, 9),
            ("(A,B):x;", 1, 7),
            ("(A,B)\n(C);", 2, 1),
            ("(A,'B);", 1, 4),
            ("(A[unclosed,B);", 1, 3),
            ("(A,B);C", 1, 7),
            ("(A:,B);", 1, 4),
        ];
        for &(text, line, column) in cases {
            let err = parse(text).expect_err(text);
            let position = match &err {
                NewickError::Unexpected { position, .. }
                | NewickError::UnexpectedEnd { position, .. }
                | NewickError::BadLength { position, .. }
                | NewickError::TrailingText { position } => *position,
            };
            assert_eq!(
                (position.line, position.column),
                (line, column),
                "{text}: {err}"
            );
            assert!(err.to_string().contains("line"), "{err}");
        }
    }

    fn arb_label() -> impl Strategy<Value = Option<String>> {
        prop_oneof![
            Just(None),
            "[A-Za-z0-9_|/.-]{1,12}".prop_map(Some),
            "[ A-Za-z(),:;'\\[\\]]{1,8}".prop_map(Some),
        ]
    }

    fn arb_tree() -> impl Strategy<Value = Tree> {
        let leaf = (arb_label(), proptest::option::of(0.0f64..10.0)).prop_map(|(name, length)| {
            let mut tree = Tree::new();
            tree.nodes[0].name = name;
            tree.nodes[0].branch_length = length;
            tree
        });
        leaf.prop_recursive(4, 40, 4, |inner| {
            (
                proptest::collection::vec(inner, 1..4),
                arb_label(),
                proptest::option::of(0.0f64..1.0),
                proptest::option::of("[a-z=&0-9]{0,6}"),
            )
                .prop_map(|(subtrees, name, length, comment)| {
                    let mut tree = Tree::new();
                    tree.nodes[0].name = name;
                    tree.nodes[0].branch_length = length;
                    tree.nodes[0].comment = comment;
                    for sub in subtrees {
                        graft(&mut tree, 0, &sub, sub.root);
                    }
                    tree
                })
        })
    }

    fn graft(into: &mut Tree, parent: NodeId, from: &Tree, id: NodeId) {
        let new = into.add_child(parent);
        into.nodes[new].name = from.nodes[id].name.clone();
        into.nodes[new].branch_length = from.nodes[id].branch_length;
        into.nodes[new].comment = from.nodes[id].comment.clone();
        for &child in &from.nodes[id].children {
            graft(into, new, from, child);
        }
    }

    proptest! {
        #[test]
        fn write_then_parse_round_trips(tree in arb_tree()) {
            let text = write(&tree);
            let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(write(&back), text.clone());
            prop_assert_eq!(back, tree);
        }

        #[test]
        fn parse_never_panics(text in "[(),:;'\\[\\]A-Za-z0-9. \n]{0,40}") {
            let _ = parse(&text);
        }
    }
}
