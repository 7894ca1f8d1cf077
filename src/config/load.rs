//! Finding and reading `backlint.toml`, `.backlint.toml` or `[tool.backlint]` in
//! `pyproject.toml`.
//!
//! The file is walked as a spanned TOML tree ([`toml::de::DeTable`]) instead of being
//! deserialized with serde: every error can then name the file, the line and the dotted key, and
//! an unknown key or rule id can suggest the closest valid one. The `match` arms in the walk and
//! the `*_KEYS` lists are the schema; the full-file unit test keeps them in step.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::Config;
use crate::registry;
use crate::severity::Severity;

/// Dedicated config file names, in order of precedence (before `pyproject.toml`).
pub const FILE_NAMES: &[&str] = &["backlint.toml", ".backlint.toml"];

const TOP_KEYS: &[&str] = &[
    "select",
    "ignore",
    "severity",
    "require-reason",
    "exclude",
    "test-paths",
    "extend-test-paths",
    "rules",
    "per-path-ignores",
    "secrets",
    "knowledge",
    "roles",
    "max-file-size-mb",
    "max-file-seconds",
    "cache-dir",
    "max-nesting-depth",
];
const RULE_KEYS: &[&str] = &["severity"];
const SECRETS_KEYS: &[&str] = &["patterns"];
const KNOWLEDGE_KEYS: &[&str] = &["query-methods", "handler-decorators"];
const SEVERITIES: &[&str] = &["info", "warning", "error"];

/// Why a configuration could not be used. Every message is one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {err}")]
    Read { path: String, err: std::io::Error },
    #[error("invalid TOML in {at}: {message}")]
    Syntax { at: String, message: String },
    #[error("{path} has no [tool.backlint] table")]
    NoTable { path: String },
    #[error("unknown key `{key}` in {at}{}", hint(*.suggestion))]
    UnknownKey {
        key: String,
        at: String,
        suggestion: Option<&'static str>,
    },
    #[error("unknown rule `{id}` in {place}{}", hint(*.suggestion))]
    UnknownRule {
        id: String,
        place: String,
        suggestion: Option<&'static str>,
    },
    #[error("invalid `{key}` in {at}: {message}")]
    Invalid {
        key: String,
        at: String,
        message: String,
    },
}

fn hint(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// The closest of `known` to `word`, if any is close enough to be a likely typo.
fn closest(word: &str, known: &[&'static str]) -> Option<&'static str> {
    known
        .iter()
        .map(|k| (strsim::jaro_winkler(word, k), *k))
        .filter(|(s, _)| *s > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Checks a rule id (from the command line, `place` being e.g. "`--select`").
pub fn check_rule(id: &str, place: &str) -> Result<(), ConfigError> {
    if registry::get(id).is_some() {
        return Ok(());
    }
    Err(ConfigError::UnknownRule {
        id: id.to_string(),
        place: place.to_string(),
        suggestion: registry::suggest(id),
    })
}

/// Looks for a config file in `start` and its ancestors, stopping after the directory that
/// holds `.git` (the repository root) or at the filesystem root. In each directory
/// `backlint.toml` wins over `.backlint.toml`, which wins over `pyproject.toml`; a
/// `pyproject.toml` without a `[tool.backlint]` table is passed over.
///
/// Config paths under the current directory are given relative to it (`backlint.toml`,
/// `svc/pyproject.toml`), so messages stay short; others are absolute.
pub fn discover(start: &Path) -> anyhow::Result<Option<(PathBuf, Config)>> {
    let absolute = crate::paths::absolute(start);
    let cwd = crate::paths::absolute(Path::new("."));
    for real in absolute.ancestors() {
        let dir = real.strip_prefix(&cwd).unwrap_or(real);
        for name in FILE_NAMES {
            let path = dir.join(name);
            if path.is_file() {
                let config = load(&path)?;
                return Ok(Some((path, config)));
            }
        }
        let py = dir.join("pyproject.toml");
        if py.is_file() {
            if let Some(mut config) = parse(&py, &read(&py)?, true)? {
                config.base = Some(real.to_path_buf());
                return Ok(Some((py, config)));
            }
        }
        if real.join(".git").exists() {
            break;
        }
    }
    Ok(None)
}

/// Reads one config file: `[tool.backlint]` if it is named `pyproject.toml`, else the whole
/// file. Its globs are relative to the file's directory ([`Config::base`]).
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = read(path)?;
    let pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
    match parse(path, &text, pyproject)? {
        Some(mut config) => {
            let file = crate::paths::absolute(path);
            config.base = file.parent().map(Path::to_path_buf);
            Ok(config)
        }
        None => Err(ConfigError::NoTable {
            path: path.display().to_string(),
        }
        .into()),
    }
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|err| ConfigError::Read {
        path: path.display().to_string(),
        err,
    })
}

/// Parses a config text; `None` when `pyproject` is set and there is no `[tool.backlint]`.
pub fn parse(path: &Path, text: &str, pyproject: bool) -> Result<Option<Config>, ConfigError> {
    let file = path.display().to_string();
    let root = DeTable::parse(text).map_err(|e| ConfigError::Syntax {
        at: format!("{file}:{}", line_of(text, e.span().map_or(0, |s| s.start))),
        message: e.message().trim().replace('\n', " "),
    })?;
    let mut walk = Walk {
        file,
        text,
        prefix: String::new(),
        config: Config::default(),
        test_paths: None,
        extend_test_paths: Vec::new(),
    };
    let table = if pyproject {
        let tool = root
            .get_ref()
            .get("tool")
            .and_then(|t| t.get_ref().as_table());
        let Some(backlint) = tool.and_then(|t| t.get("backlint")) else {
            return Ok(None);
        };
        walk.prefix = "tool.backlint.".into();
        backlint
            .get_ref()
            .as_table()
            .ok_or_else(|| ConfigError::Invalid {
                key: "tool.backlint".into(),
                at: walk.at(backlint.span()),
                message: format!("expected a table, found {}", backlint.get_ref().type_str()),
            })?
    } else {
        root.get_ref()
    };
    walk.top(table)?;
    let mut config = walk.config;
    if let Some(paths) = walk.test_paths {
        config.test_paths = paths;
    }
    config.test_paths.extend(walk.extend_test_paths);
    Ok(Some(config))
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

type Entries<'a, 'i> = Vec<(
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
)>;

/// A table's entries in file order (the parsed map is sorted by key).
fn entries<'a, 'i>(t: &'a DeTable<'i>) -> Entries<'a, 'i> {
    let mut v: Entries = t.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

/// A key as it would be written in a dotted TOML path.
fn quote(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

struct Walk<'t> {
    file: String,
    text: &'t str,
    /// `tool.backlint.` in `pyproject.toml`, for key paths in messages.
    prefix: String,
    config: Config,
    test_paths: Option<Vec<String>>,
    extend_test_paths: Vec<String>,
}

impl Walk<'_> {
    fn at(&self, span: Range<usize>) -> String {
        format!("{}:{}", self.file, line_of(self.text, span.start))
    }

    fn key(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    fn unknown(
        &self,
        parent: &str,
        key: &Spanned<std::borrow::Cow<str>>,
        known: &[&'static str],
    ) -> ConfigError {
        ConfigError::UnknownKey {
            key: self.key(&format!("{parent}{}", quote(key.get_ref()))),
            at: self.at(key.span()),
            suggestion: closest(key.get_ref(), known),
        }
    }

    fn invalid(&self, key: &str, span: Range<usize>, message: String) -> ConfigError {
        ConfigError::Invalid {
            key: self.key(key),
            at: self.at(span),
            message,
        }
    }

    fn expected(&self, key: &str, v: &Spanned<DeValue>, what: &str) -> ConfigError {
        self.invalid(
            key,
            v.span(),
            format!("expected {what}, found {}", v.get_ref().type_str()),
        )
    }

    fn table<'a, 'i>(
        &self,
        v: &'a Spanned<DeValue<'i>>,
        key: &str,
    ) -> Result<&'a DeTable<'i>, ConfigError> {
        v.get_ref()
            .as_table()
            .ok_or_else(|| self.expected(key, v, "a table"))
    }

    fn string<'a>(&self, v: &'a Spanned<DeValue>, key: &str) -> Result<&'a str, ConfigError> {
        v.get_ref()
            .as_str()
            .ok_or_else(|| self.expected(key, v, "a string"))
    }

    /// A number >= 0 (integer or float), below a year of seconds or a million MB.
    fn number(&self, v: &Spanned<DeValue>, key: &str) -> Result<f64, ConfigError> {
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok(),
            _ => return Err(self.expected(key, v, "a number")),
        };
        match n {
            Some(n) if (0.0..1e6).contains(&n) => Ok(n),
            _ => Err(self.invalid(
                key,
                v.span(),
                format!(
                    "expected a number from 0 to 999999, found {}",
                    &self.text[v.span()]
                ),
            )),
        }
    }

    /// `max-nesting-depth`: an integer from 16 to [`super::MAX_NESTING_DEPTH_LIMIT`].
    fn depth(&self, v: &Spanned<DeValue>, key: &str) -> Result<usize, ConfigError> {
        let DeValue::Integer(i) = v.get_ref() else {
            return Err(self.expected(key, v, "an integer"));
        };
        let range = 16..=super::MAX_NESTING_DEPTH_LIMIT;
        match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) if n >= 0 && range.contains(&(n as usize)) => Ok(n as usize),
            _ => Err(self.invalid(
                key,
                v.span(),
                format!(
                    "expected an integer from {} to {}, found {}",
                    range.start(),
                    range.end(),
                    &self.text[v.span()]
                ),
            )),
        }
    }

    fn strings<'a, 'i>(
        &self,
        v: &'a Spanned<DeValue<'i>>,
        key: &str,
    ) -> Result<Vec<(&'a str, Range<usize>)>, ConfigError> {
        let array = v
            .get_ref()
            .as_array()
            .ok_or_else(|| self.expected(key, v, "an array of strings"))?;
        array
            .iter()
            .map(|item| Ok((self.string(item, key)?, item.span())))
            .collect()
    }

    fn severity(&self, v: &Spanned<DeValue>, key: &str) -> Result<Severity, ConfigError> {
        let s = self.string(v, key)?;
        Severity::parse(s).ok_or_else(|| {
            let message = format!(
                "expected `info`, `warning` or `error`, found `{s}`{}",
                hint(closest(s, SEVERITIES))
            );
            self.invalid(key, v.span(), message)
        })
    }

    fn rule(&self, id: &str, span: Range<usize>, key: &str, star: bool) -> Result<(), ConfigError> {
        if star && id == "*" {
            return Ok(());
        }
        check_rule(id, &format!("`{}` in {}", self.key(key), self.at(span)))
    }

    fn rules(
        &self,
        v: &Spanned<DeValue>,
        key: &str,
        star: bool,
    ) -> Result<Vec<String>, ConfigError> {
        self.strings(v, key)?
            .into_iter()
            .map(|(id, span)| {
                self.rule(id, span, key, star)?;
                Ok(id.to_string())
            })
            .collect()
    }

    fn glob(&self, glob: &str, span: Range<usize>, key: &str) -> Result<String, ConfigError> {
        globset::Glob::new(glob).map_err(|e| self.invalid(key, span, e.to_string()))?;
        Ok(glob.to_string())
    }

    fn globs(&self, v: &Spanned<DeValue>, key: &str) -> Result<Vec<String>, ConfigError> {
        self.strings(v, key)?
            .into_iter()
            .map(|(g, span)| self.glob(g, span, key))
            .collect()
    }

    fn top(&mut self, t: &DeTable) -> Result<(), ConfigError> {
        for (k, v) in entries(t) {
            let key = k.get_ref().as_ref();
            match key {
                "select" => self.config.select = self.rules(v, key, false)?,
                "ignore" => self.config.ignore = self.rules(v, key, false)?,
                "severity" => self.config.min_severity = self.severity(v, key)?,
                "require-reason" => {
                    self.config.require_reason = v
                        .get_ref()
                        .as_bool()
                        .ok_or_else(|| self.expected(key, v, "true or false"))?
                }
                "exclude" => self.config.exclude = self.globs(v, key)?,
                "max-file-size-mb" => {
                    self.config.max_file_bytes = (self.number(v, key)? * super::MB) as u64
                }
                "max-file-seconds" => {
                    self.config.max_file_time =
                        std::time::Duration::from_secs_f64(self.number(v, key)?)
                }
                "cache-dir" => self.config.cache_dir = Some(self.string(v, key)?.into()),
                "max-nesting-depth" => self.config.max_nesting_depth = self.depth(v, key)?,
                "test-paths" => self.test_paths = Some(self.globs(v, key)?),
                "extend-test-paths" => self.extend_test_paths = self.globs(v, key)?,
                "rules" => self.rule_table(v)?,
                "per-path-ignores" => {
                    for (glob, ids) in entries(self.table(v, key)?) {
                        let path = format!("per-path-ignores.{}", quote(glob.get_ref()));
                        let glob = self.glob(glob.get_ref(), glob.span(), &path)?;
                        let ids = self.rules(ids, &path, true)?;
                        self.config.per_path_ignores.push((glob, ids));
                    }
                }
                "roles" => {
                    for (glob, role) in entries(self.table(v, key)?) {
                        let path = format!("roles.{}", quote(glob.get_ref()));
                        let glob = self.glob(glob.get_ref(), glob.span(), &path)?;
                        let names: Vec<&str> = crate::roles::ALL.iter().map(|r| r.name()).collect();
                        let role = role
                            .get_ref()
                            .as_str()
                            .and_then(crate::roles::Role::parse)
                            .ok_or_else(|| {
                                self.expected(&path, role, &format!("one of {}", names.join(", ")))
                            })?;
                        self.config.roles.push((glob, role));
                    }
                }
                "secrets" => {
                    for (sk, sv) in entries(self.table(v, key)?) {
                        match sk.get_ref().as_ref() {
                            "patterns" => self.secret_patterns(sv)?,
                            _ => return Err(self.unknown("secrets.", sk, SECRETS_KEYS)),
                        }
                    }
                }
                "knowledge" => {
                    for (kk, kv) in entries(self.table(v, key)?) {
                        let name = kk.get_ref().as_ref();
                        if !KNOWLEDGE_KEYS.contains(&name) {
                            return Err(self.unknown("knowledge.", kk, KNOWLEDGE_KEYS));
                        }
                        let names = self.strings(kv, &format!("knowledge.{name}"))?;
                        let names = names.into_iter().map(|(n, _)| n.to_string());
                        if name == "query-methods" {
                            self.config.query_methods.extend(names);
                        } else {
                            self.config.handler_decorators.extend(names);
                        }
                    }
                }
                _ => return Err(self.unknown("", k, TOP_KEYS)),
            }
        }
        Ok(())
    }

    fn rule_table(&mut self, v: &Spanned<DeValue>) -> Result<(), ConfigError> {
        for (id, settings) in entries(self.table(v, "rules")?) {
            let rule = id.get_ref().as_ref();
            check_rule(
                rule,
                &format!("`{}` in {}", self.key("rules"), self.at(id.span())),
            )?;
            let path = format!("rules.{rule}");
            for (k, sv) in entries(self.table(settings, &path)?) {
                match k.get_ref().as_ref() {
                    "severity" => {
                        let s = self.severity(sv, &format!("{path}.severity"))?;
                        self.config.severity.insert(rule.to_string(), s);
                    }
                    _ => return Err(self.unknown(&format!("{path}."), k, RULE_KEYS)),
                }
            }
        }
        Ok(())
    }

    fn secret_patterns(&mut self, v: &Spanned<DeValue>) -> Result<(), ConfigError> {
        for (name, re) in entries(self.table(v, "secrets.patterns")?) {
            let path = format!("secrets.patterns.{}", quote(name.get_ref()));
            let pattern = self.string(re, &path)?;
            if let Err(e) = regex::Regex::new(pattern) {
                return Err(self.invalid(&path, re.span(), regex_error(&e)));
            }
            self.config
                .secret_patterns
                .push((name.get_ref().to_string(), pattern.to_string()));
        }
        Ok(())
    }
}

/// The one-line reason out of regex's multi-line syntax error.
fn regex_error(e: &regex::Error) -> String {
    let text = e.to_string();
    let reason = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "));
    format!("invalid regex: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::DEFAULT_TEST_PATHS;

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(Path::new("backlint.toml"), text, false).map(|c| c.unwrap())
    }

    fn err(text: &str) -> String {
        parse_str(text).unwrap_err().to_string()
    }

    const FULL: &str = r#"
select = ["sql-injection", "hardcoded-secret"]
ignore = ["unused-suppression"]
severity = "warning"
require-reason = true
exclude = ["migrations/**"]
test-paths = ["tests/**", "**/*_test.py"]
extend-test-paths = ["qa/**"]
max-file-size-mb = 2.5
max-file-seconds = 30
cache-dir = "../.cache/backlint"
max-nesting-depth = 1000

[rules.sql-injection]
severity = "warning"

[per-path-ignores]
"scripts/**" = ["hardcoded-secret"]
"legacy/**" = ["*"]

[secrets]
patterns = { "internal-token" = "itk_[A-Za-z0-9]{32}" }

[knowledge]
query-methods = ["fetch_rows", "runQuery"]
handler-decorators = ["api_route", "authenticated_endpoint"]
"#;

    #[test]
    fn full_file() {
        let c = parse_str(FULL).unwrap();
        assert_eq!(c.select, ["sql-injection", "hardcoded-secret"]);
        assert_eq!(c.ignore, ["unused-suppression"]);
        assert_eq!(c.min_severity, Severity::Warning);
        assert!(c.require_reason);
        assert_eq!(c.exclude, ["migrations/**"]);
        assert_eq!(c.test_paths, ["tests/**", "**/*_test.py", "qa/**"]);
        assert_eq!(c.severity.get("sql-injection"), Some(&Severity::Warning));
        assert_eq!(
            c.per_path_ignores,
            [
                (
                    "scripts/**".to_string(),
                    vec!["hardcoded-secret".to_string()]
                ),
                ("legacy/**".to_string(), vec!["*".to_string()])
            ]
        );
        assert_eq!(
            c.secret_patterns,
            [(
                "internal-token".to_string(),
                "itk_[A-Za-z0-9]{32}".to_string()
            )]
        );
        assert_eq!(c.query_methods, ["fetch_rows", "runQuery"]);
        assert_eq!(
            c.handler_decorators,
            ["api_route", "authenticated_endpoint"]
        );
        assert_eq!(c.max_file_bytes, 2_621_440);
        assert_eq!(c.max_file_time, std::time::Duration::from_secs(30));
        assert_eq!(c.cache_dir, Some("../.cache/backlint".into()));
        assert_eq!(c.max_nesting_depth, 1000);
    }

    #[test]
    fn file_limits() {
        let c = parse_str("").unwrap();
        assert_eq!(c.max_file_bytes, 10 * 1024 * 1024);
        assert_eq!(c.max_file_time, std::time::Duration::from_secs(60));
        let c = parse_str("max-file-seconds = 0\nmax-file-size-mb = 0").unwrap();
        assert!(c.max_file_time.is_zero() && c.max_file_bytes == 0);
        assert_eq!(
            err("max-file-seconds = \"10s\""),
            "invalid `max-file-seconds` in backlint.toml:1: expected a number, found string"
        );
        assert_eq!(
            err("max-file-size-mb = -1"),
            "invalid `max-file-size-mb` in backlint.toml:1: expected a number from 0 to 999999, found -1"
        );
        assert_eq!(c.max_nesting_depth, crate::lang::DEFAULT_MAX_DEPTH);
        assert_eq!(
            err("max-nesting-depth = 10"),
            "invalid `max-nesting-depth` in backlint.toml:1: expected an integer from 16 to 10000, found 10"
        );
        assert_eq!(
            err("max-nesting-depth = 1e3"),
            "invalid `max-nesting-depth` in backlint.toml:1: expected an integer, found float"
        );
        assert_eq!(
            err("max-nesting-depth = 99999999999999999999"),
            "invalid `max-nesting-depth` in backlint.toml:1: expected an integer from 16 to 10000, found 99999999999999999999"
        );
        assert_eq!(
            err("max-file-size = 5"),
            "unknown key `max-file-size` in backlint.toml:1 (did you mean `max-file-size-mb`?)"
        );
    }

    #[test]
    fn empty_file_is_the_default() {
        let c = parse_str("").unwrap();
        assert!(c.select.is_empty() && c.ignore.is_empty());
        assert_eq!(c.test_paths, DEFAULT_TEST_PATHS);
        assert_eq!(c.min_severity, Severity::Info);
    }

    #[test]
    fn extend_test_paths_adds_to_the_defaults() {
        let c = parse_str("extend-test-paths = [\"qa/**\"]").unwrap();
        assert_eq!(c.test_paths.len(), DEFAULT_TEST_PATHS.len() + 1);
        assert_eq!(c.test_paths.last().unwrap(), "qa/**");
        let c = parse_str("extend-test-paths = [\"qa/**\"]\ntest-paths = [\"t/**\"]").unwrap();
        assert_eq!(c.test_paths, ["t/**", "qa/**"]);
    }

    #[test]
    fn unknown_top_level_key() {
        assert_eq!(
            err("select = []\nselct = [\"sql-injection\"]"),
            "unknown key `selct` in backlint.toml:2 (did you mean `select`?)"
        );
    }

    #[test]
    fn unknown_nested_keys() {
        assert_eq!(
            err("[rules.sql-injection]\nseverty = \"error\""),
            "unknown key `rules.sql-injection.severty` in backlint.toml:2 (did you mean `severity`?)"
        );
        assert_eq!(
            err("[secrets]\npatern = {}"),
            "unknown key `secrets.patern` in backlint.toml:2 (did you mean `patterns`?)"
        );
        assert_eq!(
            err("[knowledge]\nquery-method = []"),
            "unknown key `knowledge.query-method` in backlint.toml:2 (did you mean `query-methods`?)"
        );
        assert_eq!(err("zzz = 1"), "unknown key `zzz` in backlint.toml:1");
    }

    #[test]
    fn unknown_rule_ids() {
        assert_eq!(
            err("select = [\"sql-injecton\"]"),
            "unknown rule `sql-injecton` in `select` in backlint.toml:1 (did you mean `sql-injection`?)"
        );
        assert_eq!(
            err("ignore = [\n  \"sql-injection\",\n  \"hardcoded-secrets\",\n]"),
            "unknown rule `hardcoded-secrets` in `ignore` in backlint.toml:3 (did you mean `hardcoded-secret`?)"
        );
        assert_eq!(
            err("[rules.sql-injecton]\nseverity = \"error\""),
            "unknown rule `sql-injecton` in `rules` in backlint.toml:1 (did you mean `sql-injection`?)"
        );
        assert_eq!(
            err("[per-path-ignores]\n\"scripts/**\" = [\"hardcoded-secre\"]"),
            "unknown rule `hardcoded-secre` in `per-path-ignores.\"scripts/**\"` in backlint.toml:2 (did you mean `hardcoded-secret`?)"
        );
    }

    #[test]
    fn bad_values() {
        assert_eq!(
            err("severity = \"warnng\""),
            "invalid `severity` in backlint.toml:1: expected `info`, `warning` or `error`, found `warnng` (did you mean `warning`?)"
        );
        assert_eq!(
            err("select = \"sql-injection\""),
            "invalid `select` in backlint.toml:1: expected an array of strings, found string"
        );
        assert_eq!(
            err("require-reason = \"yes\""),
            "invalid `require-reason` in backlint.toml:1: expected true or false, found string"
        );
        assert!(err("[secrets]\npatterns = { tok = \"itk_[A-Z\" }")
            .starts_with("invalid `secrets.patterns.tok` in backlint.toml:2: invalid regex: unclosed character class"));
        assert!(err("exclude = [\"a/[b\"]")
            .starts_with("invalid `exclude` in backlint.toml:1: error parsing glob 'a/[b'"));
        assert!(err("[per-path-ignores]\n\"a/[b\" = []")
            .starts_with("invalid `per-path-ignores.\"a/[b\"` in backlint.toml:2"));
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let e = err("select = [\"sql-injection\"]\nignore = [");
        assert!(e.starts_with("invalid TOML in backlint.toml:2: "), "{e}");
        assert!(!e.contains('\n'));
    }

    #[test]
    fn pyproject_tool_table() {
        let text = "[project]\nname = \"x\"\n\n[tool.ruff]\nline-length = 99\n\n[tool.backlint]\nselect = [\"sql-injection\"]\n\n[tool.backlint.rules.sql-injection]\nseverity = \"warning\"\n";
        let c = parse(Path::new("pyproject.toml"), text, true)
            .unwrap()
            .unwrap();
        assert_eq!(c.select, ["sql-injection"]);
        assert_eq!(c.severity.get("sql-injection"), Some(&Severity::Warning));
        assert!(parse(
            Path::new("pyproject.toml"),
            "[project]\nname = \"x\"\n",
            true
        )
        .unwrap()
        .is_none());
        let e = parse(
            Path::new("pyproject.toml"),
            "[tool.backlint]\nignre = []\n",
            true,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown key `tool.backlint.ignre` in pyproject.toml:2 (did you mean `ignore`?)"
        );
    }

    #[test]
    fn discovery_walks_up_to_the_repository_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = &std::fs::canonicalize(dir.path()).unwrap();
        let sub = root.join("repo/app/pkg");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::create_dir(root.join("repo/.git")).unwrap();
        // Above the repository root: never read.
        std::fs::write(root.join("backlint.toml"), "select = [\"sql-injection\"]").unwrap();
        assert!(discover(&sub).unwrap().is_none());

        // A pyproject.toml without [tool.backlint] is passed over.
        std::fs::write(
            root.join("repo/app/pyproject.toml"),
            "[project]\nname = \"x\"\n",
        )
        .unwrap();
        std::fs::write(
            root.join("repo/pyproject.toml"),
            "[tool.backlint]\nignore = [\"sql-injection\"]\n",
        )
        .unwrap();
        let (path, c) = discover(&sub).unwrap().unwrap();
        assert_eq!(path, root.join("repo/pyproject.toml"));
        assert_eq!(c.ignore, ["sql-injection"]);
        // globs are relative to the file's directory
        assert_eq!(c.base.as_deref(), Some(root.join("repo").as_path()));

        // backlint.toml beats pyproject.toml in the same directory; .backlint.toml works too.
        std::fs::write(
            root.join("repo/app/.backlint.toml"),
            "select = [\"hardcoded-secret\"]",
        )
        .unwrap();
        let (path, c) = discover(&sub).unwrap().unwrap();
        assert_eq!(path, root.join("repo/app/.backlint.toml"));
        assert_eq!(c.select, ["hardcoded-secret"]);
        std::fs::write(root.join("repo/app/backlint.toml"), "severity = \"error\"").unwrap();
        let (path, c) = discover(&sub).unwrap().unwrap();
        assert_eq!(path, root.join("repo/app/backlint.toml"));
        assert_eq!(c.min_severity, Severity::Error);
        assert_eq!(c.base.as_deref(), Some(root.join("repo/app").as_path()));
    }

    #[test]
    fn load_reports_a_missing_tool_table() {
        let dir = tempfile::tempdir().unwrap();
        let py = dir.path().join("pyproject.toml");
        std::fs::write(&py, "[project]\nname = \"x\"\n").unwrap();
        assert!(load(&py)
            .unwrap_err()
            .to_string()
            .ends_with("has no [tool.backlint] table"));
        assert!(load(&dir.path().join("nope.toml"))
            .unwrap_err()
            .to_string()
            .starts_with("cannot read "));
    }
}
