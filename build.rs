//! Generates the rule registry from `rules/<id>.md` front matter. Bad metadata fails the build.

use std::fmt::Write as _;
use std::path::Path;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Front {
    id: String,
    category: String,
    severity: String,
    cwe: Vec<u32>,
    summary: String,
    languages: Vec<String>,
    precision: String,
    roles: Vec<String>,
    #[serde(default)]
    security_severity: Option<f32>,
}

fn main() {
    println!("cargo:rerun-if-changed=rules");
    build_id();
    let mut entries: Vec<(String, String)> = Vec::new();
    let dir = Path::new("rules");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    paths.sort();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("read rule doc");
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let fail = |msg: &str| -> ! { panic!("{}: {msg}", path.display()) };
        let rest = text
            .strip_prefix("---\n")
            .unwrap_or_else(|| fail("must start with --- front matter"));
        let (yaml, body) = rest
            .split_once("\n---\n")
            .unwrap_or_else(|| fail("unterminated front matter"));
        let f: Front = serde_yaml_ng::from_str(yaml).unwrap_or_else(|e| fail(&e.to_string()));
        if f.id != stem {
            fail(&format!("id `{}` does not match the file name", f.id));
        }
        if !["performance", "security", "reliability", "meta"].contains(&f.category.as_str()) {
            fail("category must be performance, security, reliability or meta");
        }
        if !["info", "warning", "error"].contains(&f.severity.as_str()) {
            fail("severity must be info, warning or error");
        }
        if !["very-high", "high", "medium", "low"].contains(&f.precision.as_str()) {
            fail("precision must be very-high, high, medium or low");
        }
        if f.cwe.is_empty() && f.category != "meta" {
            fail("at least one CWE");
        }
        if f.summary.len() > 1024 || f.summary.contains('\n') {
            fail("summary must be one line of at most 1024 characters");
        }
        if f.category == "security" && f.security_severity.is_none() {
            fail("security rules need security_severity");
        }
        for l in &f.languages {
            if !["python", "typescript", "rust", "manifest"].contains(&l.as_str()) {
                fail("languages: python, typescript, rust or manifest");
            }
        }
        for r in &f.roles {
            if ![
                "service",
                "worker",
                "script",
                "test",
                "migration",
                "seed",
                "client",
                "tooling",
            ]
            .contains(&r.as_str())
            {
                fail("roles: service, worker, script, test, migration, seed, client or tooling");
            }
        }
        let body = body.trim();
        let description = description(body, &f.summary);
        let mut s = String::new();
        write!(
            s,
            "RuleMeta {{ id: {:?}, category: {:?}, severity: Severity::{}, cwe: &{:?}, summary: {:?}, description: {:?}, languages: &{:?}, precision: {:?}, roles: &{:?}, security_severity: {:?}, docs: {:?} }}",
            f.id,
            f.category,
            match f.severity.as_str() { "info" => "Info", "warning" => "Warning", _ => "Error" },
            f.cwe,
            f.summary,
            description,
            f.languages,
            f.precision,
            f.roles,
            f.security_severity,
            body,
        )
        .unwrap();
        entries.push((f.id, s));
    }
    let mut out = String::from("/// Every rule's metadata, from `rules/<id>.md`, sorted by id.\npub static RULES: &[RuleMeta] = &[\n");
    for (_, e) in &entries {
        out.push_str("    ");
        out.push_str(e);
        out.push_str(",\n");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("registry.rs");
    std::fs::write(dest, out).unwrap();
}

/// A hash of everything that decides what the tool reports (sources, rule docs and queries,
/// locked dependency versions), as `BACKLINT_BUILD_ID`: the results cache of one build is never
/// read by another.
fn build_id() {
    use std::hash::Hasher;
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, files);
            } else {
                files.push(p);
            }
        }
    }
    let mut files = vec![Path::new("Cargo.lock").to_path_buf()];
    walk(Path::new("src"), &mut files);
    walk(Path::new("rules"), &mut files);
    files.sort();
    // SipHash with fixed keys: stable for a given toolchain, which is all a build id needs
    let mut h = std::hash::DefaultHasher::new();
    for f in &files {
        let text = std::fs::read(f).unwrap_or_default();
        h.write(f.to_string_lossy().as_bytes());
        h.write_usize(text.len());
        h.write(&text);
    }
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    println!("cargo:rustc-env=BACKLINT_BUILD_ID={:016x}", h.finish());
}

/// The longest SARIF `fullDescription` written (GitHub's limit is 1024 characters).
const MAX_DESCRIPTION: usize = 1000;

/// The doc's first paragraph, in whole sentences: a paragraph that introduces a list ends its
/// sentence with a full stop instead of the colon; one over the limit keeps the sentences that
/// fit (the summary if none does).
fn description(body: &str, summary: &str) -> String {
    let para = body
        .split("\n\n")
        .find(|p| !p.trim_start().starts_with('#'))
        .unwrap_or(summary)
        .replace('\n', " ");
    let para = para.trim();
    let para = match para.strip_suffix(':') {
        Some(p) => format!("{p}."),
        None => para.to_string(),
    };
    if para.chars().count() <= MAX_DESCRIPTION {
        return para;
    }
    let mut end = None;
    let mut in_code = false;
    let mut prev = ' ';
    let mut chars = para.char_indices().peekable();
    let mut count = 0;
    while let Some((i, c)) = chars.next() {
        count += 1;
        if count > MAX_DESCRIPTION {
            break;
        }
        match c {
            '`' => in_code = !in_code,
            '.' | '!' | '?'
                if !in_code && prev != '.' && chars.peek().is_none_or(|(_, n)| *n == ' ') =>
            {
                end = Some(i + c.len_utf8());
            }
            _ => {}
        }
        prev = c;
    }
    end.map_or_else(|| summary.to_string(), |e| para[..e].to_string())
}
