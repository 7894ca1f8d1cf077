//! A source file's text with a line index; byte offsets to line/column in bytes, chars or
//! UTF-16 units.

use std::path::PathBuf;

/// A byte range in a file's text.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end.max(start) as u32,
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column position.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    pub line: u32,
    /// 1-based column in Unicode scalar values (what editors and terminals show).
    pub column: u32,
    /// 1-based column in UTF-16 code units (SARIF's default, LSP's).
    pub column_utf16: u32,
}

pub struct SourceFile {
    /// Relative to the project root while the file is analysed; as given/discovered in a
    /// report's sources (used for display and as the SARIF URI after relativisation).
    pub path: PathBuf,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> SourceFile {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line index of a byte offset.
    pub fn line_index(&self, offset: u32) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte offset where 0-based line `line` starts.
    pub fn line_start(&self, line: usize) -> u32 {
        self.line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len() as u32)
    }

    /// The text of 0-based line `line`, without the newline.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line) as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&e| e as usize);
        self.text
            .get(start..end)
            .unwrap_or("")
            .trim_end_matches(['\n', '\r'])
    }

    /// Byte offset -> 1-based position (columns in chars and UTF-16 units).
    pub fn position(&self, offset: u32) -> Position {
        let offset = self.floor_char_boundary((offset as usize).min(self.text.len()));
        let line = self.line_index(offset as u32);
        let start = self.line_start(line) as usize;
        let prefix = &self.text[start..offset];
        Position {
            line: line as u32 + 1,
            column: prefix.chars().count() as u32 + 1,
            column_utf16: prefix.encode_utf16().count() as u32 + 1,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: u32) -> u32 {
        self.line_index(offset) as u32 + 1
    }

    /// Byte offset of a 1-based line and 0-based char column (what proc-macro2 gives).
    pub fn offset_of_line_char(&self, line: usize, char_col: usize) -> u32 {
        let start = self.line_start(line.saturating_sub(1)) as usize;
        let rest = &self.text[start.min(self.text.len())..];
        let byte = rest
            .char_indices()
            .nth(char_col)
            .map_or(rest.len(), |(b, _)| b);
        (start + byte) as u32
    }

    fn floor_char_boundary(&self, mut i: usize) -> usize {
        while i > 0 && !self.text.is_char_boundary(i) {
            i -= 1;
        }
        i
    }

    pub fn snippet(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_chars_and_utf16() {
        let f = SourceFile::new("a.py", "x = 1\ny = \"é😀z\"\n".to_string());
        let z = f.text.find('z').unwrap() as u32;
        let p = f.position(z);
        assert_eq!(p.line, 2);
        assert_eq!(p.column, 8);
        assert_eq!(p.column_utf16, 9);
        assert_eq!(f.line_text(1), "y = \"é😀z\"");
        assert_eq!(f.offset_of_line_char(2, 7), z);
    }
}
