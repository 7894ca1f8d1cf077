//! One spelling of every path: whether a tree is checked as `saleor`, `./saleor`, an absolute
//! path or `.` from inside, the analysis sees the same project-relative paths.
//!
//! - The *project root* is the directory of the configuration file when every checked path is
//!   under it, else the git repository root above the checked paths, else the directory the
//!   checked paths have in common (a file's own folder).
//! - Module keys, roles and rules work on paths relative to the project root; configuration
//!   globs on paths relative to the configuration file's directory; SARIF URIs on paths
//!   relative to the repository root (else the project root). Reports print paths as given.

use std::path::{Component, Path, PathBuf};

/// `p` as an absolute path with symlinks resolved when it exists; else its folder resolved and
/// the rest joined lexically (an editor's unsaved file); else made absolute lexically.
pub fn absolute(p: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(p) {
        return real;
    }
    let lexical = normalize(&std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
    match (lexical.parent(), lexical.file_name()) {
        (Some(dir), Some(name)) => match std::fs::canonicalize(dir) {
            Ok(real) => real.join(name),
            Err(_) => lexical,
        },
        _ => lexical,
    }
}

/// Removes `.` and resolves `..` lexically.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !matches!(out.components().next_back(), Some(Component::RootDir)) {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// The nearest directory at or above `dir` (absolute) that holds `.git`.
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// The deepest directory holding every one of `paths` (absolute); a file counts as its folder.
pub fn common_dir(paths: &[PathBuf]) -> Option<PathBuf> {
    let dirs = paths.iter().map(|p| {
        if p.is_dir() {
            p.as_path()
        } else {
            p.parent().unwrap_or(p)
        }
    });
    let mut common: Option<PathBuf> = None;
    for d in dirs {
        common = Some(match common {
            None => d.to_path_buf(),
            Some(c) => c
                .ancestors()
                .find(|a| d.starts_with(a))
                .unwrap_or(Path::new("/"))
                .to_path_buf(),
        });
    }
    common
}

/// The project root for `paths` (absolute) under a configuration read from `config_dir`.
pub fn project_root(paths: &[PathBuf], config_dir: Option<&Path>) -> PathBuf {
    let common = common_dir(paths).unwrap_or_else(|| absolute(Path::new(".")));
    if let Some(base) = config_dir.filter(|b| common.starts_with(b)) {
        return base.to_path_buf();
    }
    git_root(&common).unwrap_or(common)
}

/// The absolute path of `file`, found by walking `root` (as given) whose absolute path is
/// `root_abs`.
pub fn rebase(file: &Path, root: &Path, root_abs: &Path) -> PathBuf {
    match file.strip_prefix(root) {
        Ok(rest) if rest.as_os_str().is_empty() => root_abs.to_path_buf(),
        Ok(rest) => root_abs.join(rest),
        Err(_) => absolute(file),
    }
}

/// Bytes a `file:` URL path keeps as they are: unreserved characters, `/` and the sub-delims
/// editors leave alone (RFC 3986).
const URL_PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// `/home/u/my app/a.py` -> `file:///home/u/my%20app/a.py` (an absolute path).
pub fn file_url(path: &Path) -> String {
    let text = path.to_string_lossy();
    let encoded = percent_encoding::utf8_percent_encode(&text, URL_PATH);
    if text.starts_with('/') {
        format!("file://{encoded}")
    } else {
        format!("file:///{encoded}")
    }
}

/// The path of a `file:` URL (`file:///a/b%20c.py`, `file://localhost/a`); `None` for other
/// schemes or a remote host.
pub fn from_file_url(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("file://")
        .or_else(|| url.strip_prefix("FILE://"))?;
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) if rest[..i].eq_ignore_ascii_case("localhost") => &rest[i..],
        _ => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    Some(PathBuf::from(decoded.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls() {
        let p = Path::new("/home/u/my app/ünï#1.py");
        let url = file_url(p);
        assert_eq!(url, "file:///home/u/my%20app/%C3%BCn%C3%AF%231.py");
        assert_eq!(from_file_url(&url).as_deref(), Some(p));
        assert_eq!(
            from_file_url("file://localhost/a/b.py").as_deref(),
            Some(Path::new("/a/b.py"))
        );
        assert_eq!(from_file_url("untitled:Untitled-1"), None);
        assert_eq!(from_file_url("file://server/share/a.py"), None);
    }

    #[test]
    fn roots_and_spellings() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), Path::new("/a/c"));
        assert_eq!(normalize(Path::new("/../a")), Path::new("/a"));
        assert_eq!(normalize(Path::new("../a/./b")), Path::new("../a/b"));
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        std::fs::create_dir_all(root.join("p/a")).unwrap();
        std::fs::create_dir_all(root.join("p/b")).unwrap();
        std::fs::write(root.join("p/a/x.py"), "").unwrap();
        let (a, b, x) = (root.join("p/a"), root.join("p/b"), root.join("p/a/x.py"));
        assert_eq!(common_dir(&[a.clone(), b.clone()]), Some(root.join("p")));
        assert_eq!(common_dir(std::slice::from_ref(&x)), Some(a.clone()));
        assert_eq!(project_root(std::slice::from_ref(&x), None), a);
        assert_eq!(project_root(std::slice::from_ref(&x), Some(&root)), root);
        // a configuration beside the checked tree does not hold it
        assert_eq!(project_root(std::slice::from_ref(&a), Some(&b)), a);
        std::fs::create_dir(root.join("p/.git")).unwrap();
        assert_eq!(project_root(std::slice::from_ref(&x), None), root.join("p"));
        assert_eq!(absolute(&root.join("p/a/../a/x.py")), x);
        assert_eq!(absolute(&root.join("p/a/new.py")), root.join("p/a/new.py"));
    }
}
