//! Lowers every Python file under the given directories (default: `fixtures/`) with both
//! Python lowerers, tree-sitter's and ruff's, and compares the trees node by node.
//!
//!     cargo run --release --example python_parsers -- fixtures /work/rw/saleor
//!
//! Prints each file whose trees differ with its first difference, then the counts. Files that
//! either parser reads with syntax errors are counted apart (the parsers recover differently).

use std::path::{Path, PathBuf};

use backlint::ast::Ast;
use backlint::lang::{python, python_ruff, DEFAULT_MAX_DEPTH};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        if dir.extension().is_some_and(|e| e == "py" || e == "pyi") {
            out.push(dir.to_path_buf());
        }
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|e| e == "py" || e == "pyi") {
            out.push(p);
        }
    }
}

fn show(text: &str, ast: &Ast, i: usize) -> String {
    match ast.nodes.get(i) {
        Some(n) => {
            let s = n.span.start as usize;
            let e = (n.span.end as usize).min(s + 60);
            let snippet = text.get(s..e).unwrap_or("?");
            format!("{:?} {:?}", n, snippet)
        }
        None => "(none)".to_string(),
    }
}

fn main() {
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from("fixtures"));
    }
    let quiet = std::env::var("QUIET").is_ok();
    if std::env::var("DUMP").is_ok() {
        let text = std::fs::read_to_string(&dirs[0]).expect("a file");
        for (name, ast) in [
            ("tree-sitter", python::lower(&text, DEFAULT_MAX_DEPTH)),
            ("ruff", python_ruff::lower(&text, DEFAULT_MAX_DEPTH)),
        ] {
            println!("== {name}");
            if let Ok(ast) = ast {
                for i in 0..ast.nodes.len() {
                    println!("{i} {}", show(&text, &ast, i));
                }
            }
        }
        return;
    }
    let mut paths = Vec::new();
    for d in &dirs {
        files(d, &mut paths);
    }
    paths.sort();
    let (mut same, mut differ, mut broken, mut broken_differ) = (0, 0, 0, 0);
    let mut shown = 0;
    for p in &paths {
        let Ok(text) = std::fs::read_to_string(p) else {
            continue;
        };
        let old = python::lower(&text, DEFAULT_MAX_DEPTH);
        let new = python_ruff::lower(&text, DEFAULT_MAX_DEPTH);
        let (old, new) = match (old, new) {
            (Ok(o), Ok(n)) => (o, n),
            (Err(a), Err(b)) if a.to_string() == b.to_string() => {
                same += 1;
                continue;
            }
            (a, b) => {
                differ += 1;
                println!(
                    "{}: results differ: {:?} / {:?}",
                    p.display(),
                    a.err(),
                    b.err()
                );
                continue;
            }
        };
        let has_errors = old.has_errors || new.has_errors;
        broken += usize::from(has_errors);
        let n = old.nodes.len().max(new.nodes.len());
        // first the node whose kind or span differs, else the first that differs at all
        let shape = |a: &Ast, i: usize| a.nodes.get(i).map(|n| (n.span, n.kind.tag()));
        let first = (0..n)
            .find(|&i| shape(&old, i) != shape(&new, i))
            .or_else(|| {
                (0..n).find(|&i| {
                    format!("{:?}", old.nodes.get(i)) != format!("{:?}", new.nodes.get(i))
                })
            });
        let flags = old.has_errors != new.has_errors;
        if first.is_none() && !flags {
            same += 1;
            continue;
        }
        if has_errors {
            broken_differ += 1;
        } else {
            differ += 1;
        }
        if shown < 60 && !quiet && !has_errors {
            shown += 1;
            println!(
                "{}: errors {} / {}",
                p.display(),
                old.has_errors,
                new.has_errors
            );
            if let Some(i) = first {
                let (a, b) = (show(&text, &old, i), show(&text, &new, i));
                let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
                let from = a[..at].char_indices().rev().nth(80).map_or(0, |(j, _)| j);
                let cut = |s: &str| s[from..].chars().take(220).collect::<String>();
                let snippet = a.rsplit_once(" \"").map_or("", |x| x.1);
                println!(
                    "  node {i} {snippet}\n  ts:   {}\n  ruff: {}",
                    cut(&a),
                    cut(&b)
                );
            }
        } else if has_errors && !quiet {
            println!(
                "{}: syntax errors (tree-sitter {}, ruff {}); trees differ",
                p.display(),
                old.has_errors,
                new.has_errors
            );
        }
    }
    println!(
        "{} files: {} same, {} differ without syntax errors, {} with syntax errors ({} of them differ)",
        paths.len(),
        same,
        differ,
        broken,
        broken_differ
    );
}
