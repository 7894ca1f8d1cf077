//! pip requirements files, read as pip reads them: `\` joins lines, `#` at the start of a line
//! or after whitespace starts a comment, lines starting with `-` are options (`-r`, `-c`,
//! `--index-url`; `-e <vcs url>#egg=name` names a project), a requirement is a name with
//! optional extras, version specifiers, markers or `@ url`. Lines that are plain paths or URLs
//! name no project. Nothing here fails: a line that names nothing is skipped.

use super::Requirement;
use crate::source::Span;

pub fn parse(text: &str) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut joined: Option<(usize, String)> = None;
    for raw in text.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let (at, mut logical) = joined.take().unwrap_or((start, String::new()));
        let content = strip_comment(line);
        if let Some(head) = content.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            joined = Some((at, logical));
            continue;
        }
        logical.push_str(content);
        if let Some(r) = requirement(&logical, at, text) {
            out.push(r);
        }
    }
    if let Some((at, logical)) = joined {
        if let Some(r) = requirement(&logical, at, text) {
            out.push(r);
        }
    }
    out
}

/// The line without its comment (`#` at the start or after whitespace).
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The requirement a logical line declares. `at` is where the line starts in `text`; the name
/// is found there again to get its span (the first physical line holds it).
fn requirement(logical: &str, at: usize, text: &str) -> Option<Requirement> {
    let t = logical.trim();
    if t.is_empty() {
        return None;
    }
    let (name, rest) = if let Some(opt) = t.strip_prefix('-') {
        // `-e git+https://host/org/repo.git#egg=name`, `--editable=...`
        let opt = opt.trim_start_matches('-');
        let editable = opt.starts_with('e')
            && (opt == "e" || opt.starts_with("e ") || opt.starts_with("editable"));
        if !editable {
            return None;
        }
        let egg = t.split("#egg=").nth(1)?;
        let name: String = egg.chars().take_while(|c| is_name_char(*c)).collect();
        (name, String::new())
    } else {
        if t.contains("://") && !t.contains(" @ ") && !t.contains("@ ") {
            // a bare URL: `https://host/pkg.whl`, `git+https://...#egg=name`
            let egg = t.split("#egg=").nth(1)?;
            let name: String = egg.chars().take_while(|c| is_name_char(*c)).collect();
            (name, String::new())
        } else {
            if t.starts_with(['.', '/', '~']) {
                return None; // a local path
            }
            let name: String = t.chars().take_while(|c| is_name_char(*c)).collect();
            let rest = t[name.len()..]
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            (name, rest)
        }
    };
    let name = name.trim_end_matches(['.', '-', '_']).to_string();
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    // the name's place in the file: its first occurrence as a word on the line
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[at..line_end];
    let pos = word_at(line, &name).map_or(at, |i| at + i);
    Some(Requirement {
        span: Span::new(pos, pos + name.len()),
        name,
        spec: rest,
    })
}

/// Where `word` stands alone (not inside a longer name) in `line`.
fn word_at(line: &str, word: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find(word) {
        let s = from + i;
        let e = s + word.len();
        let before = line[..s].chars().next_back();
        let after = line[e..].chars().next();
        if !before.is_some_and(is_name_char) && !after.is_some_and(is_name_char) {
            return Some(s);
        }
        from = e;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, String)> {
        parse(text)
            .into_iter()
            .map(|r| (text[r.span.range()].to_string(), r.spec))
            .collect()
    }

    #[test]
    fn requirement_lines() {
        let text = "# pycrypto is gone\n-r base.txt\n--index-url https://pypi.example/simple\nDjango>=4.2,<5  # web\nnose==1.3.7\nrequests[security] >= 2.0 ; python_version > \"3.8\"\naioredis @ https://example.com/aioredis.whl\n-e git+https://github.com/org/flask-script.git#egg=Flask-Script\n./local/pkg\nboto3==1.0 \\\n    --hash=sha256:abc\nhttps://example.com/x.whl\n";
        assert_eq!(
            names(text),
            [
                ("Django".to_string(), ">=4.2,<5".to_string()),
                ("nose".into(), "==1.3.7".into()),
                (
                    "requests".into(),
                    "[security] >= 2.0 ; python_version > \"3.8\"".into()
                ),
                (
                    "aioredis".into(),
                    "@ https://example.com/aioredis.whl".into()
                ),
                ("Flask-Script".into(), String::new()),
                ("boto3".into(), "==1.0 --hash=sha256:abc".into()),
            ]
        );
    }

    #[test]
    fn a_hash_inside_a_word_is_not_a_comment() {
        assert_eq!(strip_comment("pkg==1.0#frag"), "pkg==1.0#frag");
        assert_eq!(strip_comment("pkg==1.0 #c"), "pkg==1.0 ");
    }
}
