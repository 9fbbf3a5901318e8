//! Nucleotide and amino-acid codes, reverse complement, the standard genetic
//! code and the BLOSUM62 matrix.
//!
//! Sequences are held as one code per residue: nucleotides `A=0 C=1 G=2 T=3`,
//! anything else (N and the IUPAC ambiguity letters) `4`; amino acids in the
//! order `ARNDCQEGHILKMFPSTWYV` (0..=19), `X=20`, stop `*=21`. A separate
//! sentinel code ends every reference in a concatenated text so that no
//! alignment crosses from one reference into the next.

#![forbid(unsafe_code)]

/// Code of an ambiguous nucleotide (N, IUPAC ambiguity letters).
pub const NT_AMBIGUOUS: u8 = 4;
/// Code that separates references in the concatenated nucleotide text.
pub const NT_SENTINEL: u8 = 5;
/// Number of unambiguous nucleotide codes.
pub const NT_ALPHABET: usize = 4;

/// Code of an unknown amino acid (X, B, Z, J, U, O).
pub const AA_UNKNOWN: u8 = 20;
/// Code of a stop codon.
pub const AA_STOP: u8 = 21;
/// Code that separates references in the concatenated amino-acid text.
pub const AA_SENTINEL: u8 = 22;
/// Number of amino-acid codes used in seeds (the twenty standard residues).
pub const AA_ALPHABET: usize = 20;

/// Amino-acid letters in code order.
pub const AA_LETTERS: &[u8; 22] = b"ARNDCQEGHILKMFPSTWYVX*";

/// Whether `byte` may appear in a nucleotide or protein sequence line
/// (IUPAC letters of either alphabet, gap `-`, stop `*`, and `.`).
pub fn is_sequence_byte(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'-' || byte == b'*' || byte == b'.'
}

/// Nucleotide code of an ASCII letter (`U` reads as `T`).
pub fn nt_code(byte: u8) -> u8 {
    match byte {
        b'A' | b'a' => 0,
        b'C' | b'c' => 1,
        b'G' | b'g' => 2,
        b'T' | b't' | b'U' | b'u' => 3,
        _ => NT_AMBIGUOUS,
    }
}

/// Encodes an ASCII nucleotide sequence.
pub fn encode_nt(sequence: &[u8]) -> Vec<u8> {
    sequence.iter().map(|&byte| nt_code(byte)).collect()
}

/// Reverse complement of an encoded nucleotide sequence.
pub fn reverse_complement(codes: &[u8]) -> Vec<u8> {
    codes
        .iter()
        .rev()
        .map(|&code| if code < 4 { 3 - code } else { code })
        .collect()
}

/// ASCII letter of a nucleotide code.
pub fn nt_letter(code: u8) -> u8 {
    match code {
        0 => b'A',
        1 => b'C',
        2 => b'G',
        3 => b'T',
        _ => b'N',
    }
}

/// Amino-acid code of an ASCII letter.
pub fn aa_code(byte: u8) -> u8 {
    let upper = byte.to_ascii_uppercase();
    if upper == b'*' {
        return AA_STOP;
    }
    AA_LETTERS[..20]
        .iter()
        .position(|&letter| letter == upper)
        .map_or(AA_UNKNOWN, |index| index as u8)
}

/// Encodes an ASCII protein sequence.
pub fn encode_aa(sequence: &[u8]) -> Vec<u8> {
    sequence.iter().map(|&byte| aa_code(byte)).collect()
}

/// The standard genetic code (NCBI translation table 1), indexed by
/// `16*first + 4*second + third` in `TCAG` order as the NCBI table prints it.
const CODON_TABLE_TCAG: &[u8; 64] =
    b"FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG";

/// Amino-acid code of the codon `(first, second, third)` given as
/// nucleotide codes; any ambiguous base gives `X`.
pub fn translate_codon(first: u8, second: u8, third: u8) -> u8 {
    if first > 3 || second > 3 || third > 3 {
        return AA_UNKNOWN;
    }
    CODON_CODES[16 * first as usize + 4 * second as usize + third as usize]
}

/// Amino-acid codes of the 64 codons indexed by `16*first + 4*second + third`
/// in nucleotide codes (ACGT order), derived from [`CODON_TABLE_TCAG`] at
/// compile time.
const CODON_CODES: [u8; 64] = {
    // ACGT codes -> TCAG positions
    const TCAG: [usize; 4] = [2, 1, 3, 0];
    let mut codes = [0u8; 64];
    let mut index = 0;
    while index < 64 {
        let (first, second, third) = (index / 16, (index / 4) % 4, index % 4);
        let letter = CODON_TABLE_TCAG[16 * TCAG[first] + 4 * TCAG[second] + TCAG[third]];
        let mut code = 0;
        while code < AA_LETTERS.len() && AA_LETTERS[code] != letter {
            code += 1;
        }
        codes[index] = code as u8;
        index += 1;
    }
    codes
};

/// Translates an encoded nucleotide sequence from `offset` (0, 1 or 2) in
/// whole codons.
pub fn translate(codes: &[u8], offset: usize) -> Vec<u8> {
    if codes.len() < offset + 3 {
        return Vec::new();
    }
    codes[offset..]
        .chunks_exact(3)
        .map(|codon| translate_codon(codon[0], codon[1], codon[2]))
        .collect()
}

/// Synonymous codons of every amino-acid code (index by code), as nucleotide
/// code triples. Used by the benchmark generator to recode genes.
pub fn synonymous_codons() -> Vec<Vec<[u8; 3]>> {
    let mut by_amino_acid: Vec<Vec<[u8; 3]>> = vec![Vec::new(); 22];
    for first in 0..4u8 {
        for second in 0..4u8 {
            for third in 0..4u8 {
                let amino_acid = translate_codon(first, second, third);
                by_amino_acid[amino_acid as usize].push([first, second, third]);
            }
        }
    }
    by_amino_acid
}

/// BLOSUM62 (Henikoff & Henikoff 1992, as distributed with NCBI BLAST) in
/// the order `ARNDCQEGHILKMFPSTWYV`.
const BLOSUM62_20: [[i8; 20]; 20] = [
    [
        4, -1, -2, -2, 0, -1, -1, 0, -2, -1, -1, -1, -1, -2, -1, 1, 0, -3, -2, 0,
    ],
    [
        -1, 5, 0, -2, -3, 1, 0, -2, 0, -3, -2, 2, -1, -3, -2, -1, -1, -3, -2, -3,
    ],
    [
        -2, 0, 6, 1, -3, 0, 0, 0, 1, -3, -3, 0, -2, -3, -2, 1, 0, -4, -2, -3,
    ],
    [
        -2, -2, 1, 6, -3, 0, 2, -1, -1, -3, -4, -1, -3, -3, -1, 0, -1, -4, -3, -3,
    ],
    [
        0, -3, -3, -3, 9, -3, -4, -3, -3, -1, -1, -3, -1, -2, -3, -1, -1, -2, -2, -1,
    ],
    [
        -1, 1, 0, 0, -3, 5, 2, -2, 0, -3, -2, 1, 0, -3, -1, 0, -1, -2, -1, -2,
    ],
    [
        -1, 0, 0, 2, -4, 2, 5, -2, 0, -3, -3, 1, -2, -3, -1, 0, -1, -3, -2, -2,
    ],
    [
        0, -2, 0, -1, -3, -2, -2, 6, -2, -4, -4, -2, -3, -3, -2, 0, -2, -2, -3, -3,
    ],
    [
        -2, 0, 1, -1, -3, 0, 0, -2, 8, -3, -3, -1, -2, -1, -2, -1, -2, -2, 2, -3,
    ],
    [
        -1, -3, -3, -3, -1, -3, -3, -4, -3, 4, 2, -3, 1, 0, -3, -2, -1, -3, -1, 3,
    ],
    [
        -1, -2, -3, -4, -1, -2, -3, -4, -3, 2, 4, -2, 2, 0, -3, -2, -1, -2, -1, 1,
    ],
    [
        -1, 2, 0, -1, -3, 1, 1, -2, -1, -3, -2, 5, -1, -3, -1, 0, -1, -3, -2, -2,
    ],
    [
        -1, -1, -2, -3, -1, 0, -2, -3, -2, 1, 2, -1, 5, 0, -2, -1, -1, -1, -1, 1,
    ],
    [
        -2, -3, -3, -3, -2, -3, -3, -3, -1, 0, 0, -3, 0, 6, -4, -2, -2, 1, 3, -1,
    ],
    [
        -1, -2, -2, -1, -3, -1, -1, -2, -2, -3, -3, -1, -2, -4, 7, -1, -1, -4, -3, -2,
    ],
    [
        1, -1, 1, 0, -1, 0, 0, 0, -1, -2, -2, 0, -1, -2, -1, 4, 1, -3, -2, -2,
    ],
    [
        0, -1, 0, -1, -1, -1, -1, -2, -2, -1, -1, -1, -1, -2, -1, 1, 5, -2, -2, 0,
    ],
    [
        -3, -3, -4, -4, -2, -2, -3, -2, -2, -3, -2, -3, -1, 1, -4, -3, -2, 11, 2, -3,
    ],
    [
        -2, -2, -2, -3, -2, -1, -2, -3, 2, -1, -1, -2, -1, 3, -3, -2, -2, 2, 7, -1,
    ],
    [
        0, -3, -3, -3, -1, -2, -2, -3, -3, 3, 1, -2, 1, -1, -2, -2, 0, -3, -1, 4,
    ],
];

/// BLOSUM62 score of two amino-acid codes. `X` scores −1 against anything,
/// a stop −4 against anything but another stop (+1); a sentinel scores so
/// low that every extension stops there.
#[inline]
pub fn blosum62(left: u8, right: u8) -> i32 {
    // one look-up in the full table for every code the encoder produces
    // (the extension's inner loop: no branch per residue)
    if (left | right) < 32 {
        BLOSUM62_FULL[left as usize][right as usize]
    } else {
        blosum62_rule(left, right)
    }
}

/// The rule [`blosum62`] tabulates.
const fn blosum62_rule(left: u8, right: u8) -> i32 {
    if left == AA_SENTINEL || right == AA_SENTINEL {
        return -1_000_000;
    }
    if left < 20 && right < 20 {
        return BLOSUM62_20[left as usize][right as usize] as i32;
    }
    if left == AA_STOP || right == AA_STOP {
        return if left == right { 1 } else { -4 };
    }
    -1
}

/// [`blosum62_rule`] for every pair of codes below 32.
static BLOSUM62_FULL: [[i32; 32]; 32] = {
    let mut table = [[0i32; 32]; 32];
    let mut left = 0;
    while left < 32 {
        let mut right = 0;
        while right < 32 {
            table[left][right] = blosum62_rule(left as u8, right as u8);
            right += 1;
        }
        left += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_table_is_the_rule() {
        for left in 0..=255u8 {
            for right in 0..=255u8 {
                assert_eq!(blosum62(left, right), blosum62_rule(left, right));
            }
        }
    }

    #[test]
    fn blosum62_is_symmetric_with_known_diagonal() {
        for left in 0..20u8 {
            for right in 0..20u8 {
                assert_eq!(blosum62(left, right), blosum62(right, left));
            }
        }
        let diagonal: Vec<i8> = (0..20).map(|index| BLOSUM62_20[index][index]).collect();
        assert_eq!(
            diagonal,
            vec![4, 5, 6, 6, 9, 5, 5, 6, 8, 4, 4, 5, 5, 6, 7, 4, 5, 11, 7, 4]
        );
    }

    #[test]
    fn genetic_code_spot_checks() {
        let codon = |text: &[u8]| {
            let codes = encode_nt(text);
            AA_LETTERS[translate_codon(codes[0], codes[1], codes[2]) as usize]
        };
        assert_eq!(codon(b"ATG"), b'M');
        assert_eq!(codon(b"TGG"), b'W');
        assert_eq!(codon(b"TAA"), b'*');
        assert_eq!(codon(b"TGA"), b'*');
        assert_eq!(codon(b"GCT"), b'A');
        assert_eq!(codon(b"AGA"), b'R');
        assert_eq!(codon(b"TTA"), b'L');
        assert_eq!(codon(b"NTG"), b'X');
        let synonymous = synonymous_codons();
        assert_eq!(synonymous[aa_code(b'L') as usize].len(), 6);
        assert_eq!(synonymous[AA_STOP as usize].len(), 3);
        assert_eq!(synonymous.iter().map(Vec::len).sum::<usize>(), 64);
    }

    #[test]
    fn reverse_complement_is_an_involution() {
        let codes = encode_nt(b"ACGTNNGATTACA");
        assert_eq!(reverse_complement(&reverse_complement(&codes)), codes);
        assert_eq!(reverse_complement(&encode_nt(b"AACG")), encode_nt(b"CGTT"));
    }
}
