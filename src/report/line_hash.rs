//! GitHub's `primaryLocationLineHash`, computed the way the codeql-action upload step does
//! (`src/fingerprints.ts`), so SARIF uploaded through the REST API deduplicates alerts exactly
//! like SARIF uploaded with `github/codeql-action/upload-sarif`.
//!
//! The hash of a line is a rolling hash (base 37, wrapping signed 64-bit arithmetic, like the
//! `long` package the action uses) over the next 100 UTF-16 code units starting at that line,
//! skipping spaces and tabs, with CR and CRLF read as LF. An end-of-file marker (65535) and 100
//! NUL units pad the end. A value that occurs again gets the next occurrence number
//! (`hash:1`, `hash:2`, ...).
//!
//! Hash the text as it is on disk: the action rehashes the checked-out file and warns when a
//! value in the log disagrees with its own.

use foldhash::{HashMap, HashMapExt};

const BLOCK_SIZE: usize = 100;
const MOD: i64 = 37;
const EOF: u16 = 65535;
const TAB: u16 = b'\t' as u16;
const SPACE: u16 = b' ' as u16;
const LF: u16 = b'\n' as u16;
const CR: u16 = b'\r' as u16;

/// `primaryLocationLineHash` for every line of `text`: index 0 is line 1. A text ending with a
/// newline has one more (empty) line, as the action counts it.
pub fn line_hashes(text: &str) -> Vec<String> {
    let hashes = LineHashes::of(text);
    (0..hashes.0.len()).map(|i| hashes.get(i)).collect()
}

/// The [`line_hashes`] of a text, written out only for the lines asked for.
pub struct LineHashes(Vec<(u64, u32)>);

impl LineHashes {
    pub fn of(text: &str) -> LineHashes {
        let mut h = Hasher::new();
        for unit in text.encode_utf16() {
            h.process(unit);
        }
        h.process(EOF);
        for _ in 0..BLOCK_SIZE {
            if h.line_numbers[h.index] != 0 {
                h.output();
            }
            h.update(0);
        }
        h.hashes.resize(h.line_number, (0, 0));
        LineHashes(h.hashes)
    }

    /// The hash of line `index + 1`; empty past the end.
    pub fn get(&self, index: usize) -> String {
        match self.0.get(index) {
            Some(&(value, n)) if n > 0 => format!("{value:x}:{n}"),
            _ => String::new(),
        }
    }
}

struct Hasher {
    /// The last `BLOCK_SIZE` code units hashed (a ring buffer).
    window: [u16; BLOCK_SIZE],
    /// 1-based line number starting at each window slot, 0 if none.
    line_numbers: [usize; BLOCK_SIZE],
    hash: i64,
    first_mod: i64,
    index: usize,
    line_number: usize,
    line_start: bool,
    prev_cr: bool,
    counts: HashMap<u64, u32>,
    /// (hash, occurrence) by line; occurrence 0: none yet.
    hashes: Vec<(u64, u32)>,
}

impl Hasher {
    fn new() -> Hasher {
        Hasher {
            window: [0; BLOCK_SIZE],
            line_numbers: [0; BLOCK_SIZE],
            hash: 0,
            first_mod: (0..BLOCK_SIZE).fold(1i64, |m, _| m.wrapping_mul(MOD)),
            index: 0,
            line_number: 0,
            line_start: true,
            prev_cr: false,
            counts: HashMap::new(),
            hashes: Vec::new(),
        }
    }

    fn output(&mut self) {
        let value = self.hash as u64;
        let n = self.counts.entry(value).or_insert(0);
        *n += 1;
        let line = self.line_numbers[self.index];
        if self.hashes.len() < line {
            self.hashes.resize(line, (0, 0));
        }
        self.hashes[line - 1] = (value, *n);
        self.line_numbers[self.index] = 0;
    }

    fn update(&mut self, current: u16) {
        let begin = self.window[self.index];
        self.window[self.index] = current;
        self.hash = MOD
            .wrapping_mul(self.hash)
            .wrapping_add(i64::from(current))
            .wrapping_sub(self.first_mod.wrapping_mul(i64::from(begin)));
        self.index = (self.index + 1) % BLOCK_SIZE;
    }

    fn process(&mut self, mut current: u16) {
        if current == SPACE || current == TAB || (self.prev_cr && current == LF) {
            self.prev_cr = false;
            return;
        }
        if current == CR {
            current = LF;
            self.prev_cr = true;
        } else {
            self.prev_cr = false;
        }
        if self.line_numbers[self.index] != 0 {
            self.output();
        }
        if self.line_start {
            self.line_start = false;
            self.line_number += 1;
            self.line_numbers[self.index] = self.line_number;
        }
        if current == LF {
            self.line_start = true;
        }
        self.update(current);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_codeql_action() {
        // Reference values from a line-by-line port of codeql-action's fingerprints.ts
        // (BigInt.asIntN(64, ..) standing in for `long`), run under node.
        assert_eq!(line_hashes(""), ["c129715d7a2bc9a3:1"]);
        assert_eq!(
            line_hashes("a\nb\n"),
            [
                "81b8d8db678b2bbe:1",
                "ade70578248be16f:1",
                "c129715d7a2bc9a3:1"
            ]
        );
        assert_eq!(
            line_hashes("x = 1\r\nprint(\"é😀\")  \r\n\r\n\tend"),
            [
                "2cfccb5999828cb2:1",
                "118f1fa15e868b66:1",
                "165fbdbbce84915c:1",
                "43b6461eda086fe2:1"
            ]
        );
        // A space between CR and LF makes the LF a line of its own.
        assert_eq!(
            line_hashes("\r \n"),
            [
                "5b5d4caf73a13177:1",
                "3c5bef55b72b93c9:1",
                "c129715d7a2bc9a3:1"
            ]
        );
    }

    #[test]
    fn deterministic_and_one_per_line() {
        let text = "def f(x):\n    return x\n";
        let a = line_hashes(text);
        assert_eq!(a, line_hashes(text));
        assert_eq!(a.len(), 3);
        assert!(a.iter().all(|h| !h.is_empty()));
    }

    #[test]
    fn identical_lines_are_numbered() {
        // Identical lines followed by identical text hash alike; the occurrence tells them apart.
        let h = line_hashes("x = 1\nx = 1\n");
        let (h1, n1) = h[0].split_once(':').unwrap();
        let (h2, n2) = h[1].split_once(':').unwrap();
        assert_ne!(h1, h2, "the window of line 1 includes line 2");
        assert_eq!((n1, n2), ("1", "1"));

        let text = "x\n".repeat(300);
        let h = line_hashes(&text);
        assert_eq!(
            h[0].split_once(':').unwrap().0,
            h[1].split_once(':').unwrap().0
        );
        assert!(h[0].ends_with(":1"));
        assert!(h[1].ends_with(":2"));
        assert!(h[2].ends_with(":3"));
    }

    #[test]
    fn spaces_and_tabs_are_ignored() {
        let a = line_hashes("if x:\n    call(a, b)\nend\n");
        let b = line_hashes("if x:\n\tcall(a,b)   \nend\n");
        assert_eq!(a, b);
        let c = line_hashes("if x:\n    call(a, c)\nend\n");
        assert_ne!(a[1], c[1]);
        assert_ne!(a[0], c[0], "the window reaches into the next line");
    }

    #[test]
    fn crlf_and_cr_are_lf() {
        let lf = line_hashes("a = 1\nb = 2\n");
        assert_eq!(lf, line_hashes("a = 1\r\nb = 2\r\n"));
        assert_eq!(lf, line_hashes("a = 1\rb = 2\r"));
    }

    #[test]
    fn non_bmp_text_counts_utf16_units() {
        let h = line_hashes("s = \"😀\"\nt\n");
        assert_eq!(h.len(), 3);
        assert_ne!(h[0], line_hashes("s = \"\u{e000}\"\nt\n")[0]);
    }
}
