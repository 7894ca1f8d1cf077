//! SARIF 2.1.0 reporter (serde-sarif), shaped for GitHub code scanning.
//!
//! - One run; `tool.driver.rules` lists every registered rule, reported or not, so alerts keep
//!   their metadata and `ruleIndex` is the rule's position in `registry::RULES`. A diagnostic
//!   from a rule id unknown to the registry gets a minimal descriptor appended after them.
//! - Artifact URIs are paths relative to `Report::uri_root` with `/` separators and
//!   percent-encoding, without `uriBaseId` (GitHub ignores it) and never absolute.
//! - Columns are UTF-16 code units, declared with `columnKind`.
//! - `partialFingerprints.primaryLocationLineHash` is the engine's `Diagnostic::line_hash`
//!   (see [`super::line_hash`]); `fingerprints["backlint/v1"]` is the baseline fingerprint.
//! - A finding's mechanical fix is a `fixes` entry (one `artifactChange` with a `replacement`
//!   per edit: `deletedRegion` in UTF-16 columns, empty for an insertion, and
//!   `insertedContent`), its applicability (`safe`/`unsafe`) in the fix's `properties`.
//! - GitHub's upload limits are checked before anything is written.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Write;
use std::path::{Component, Path, PathBuf};

use anyhow::bail;
use serde_json::json;
use serde_sarif::sarif::{
    ArtifactChange, ArtifactContent, ArtifactLocation, CodeFlow, Fix as SarifFix, Invocation,
    Location, Message, MultiformatMessageString, Notification, PhysicalLocation, PropertyBag,
    Region, Replacement, ReportingConfiguration, ReportingDescriptor, Result as SarifResult,
    ResultLevel, Run, RunAutomationDetails, Sarif, ThreadFlow, ThreadFlowLocation, Tool,
    ToolComponent,
};

use crate::diagnostic::{Diagnostic, Severity};
use crate::registry::{self, RuleMeta};
use crate::report::Report;
use crate::source::Position;

/// The schema URI GitHub documents for uploads.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Fingerprint key under which the baseline fingerprint is stored.
pub const FINGERPRINT_KEY: &str = "backlint/v1";
/// GitHub code scanning rejects runs with more results.
pub const MAX_RESULTS: usize = 25_000;
/// GitHub rejects uploads over 10 MB gzipped. Serialised SARIF compresses about 10:1, so a log
/// this large is taken to be over the limit.
pub const MAX_UNCOMPRESSED_BYTES: usize = 100 * 1024 * 1024;
const MAX_TAGS: usize = 10;

/// Writes the report as a SARIF log. Fails, writing nothing, when GitHub would reject it.
pub fn render(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let n = report.diagnostics.len();
    if n > MAX_RESULTS {
        bail!(
            "SARIF has {n} results; GitHub code scanning accepts at most 25,000 per run: \
             narrow the paths or use --select"
        );
    }
    let bytes = serde_json::to_vec_pretty(&build(report))?;
    if bytes.len() > MAX_UNCOMPRESSED_BYTES {
        bail!(
            "SARIF log is {} MB, likely over GitHub code scanning's 10 MB (gzipped) upload \
             limit: narrow the paths or use --select",
            bytes.len() / (1024 * 1024)
        );
    }
    out.write_all(&bytes)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// The SARIF log for a report, without the size checks of [`render`].
pub fn build(report: &Report) -> Sarif {
    let mut rules: Vec<ReportingDescriptor> = registry::RULES.iter().map(descriptor).collect();
    let mut index: HashMap<&str, usize> = registry::RULES
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut unknown: Vec<&str> = report
        .diagnostics
        .iter()
        .map(|d| d.rule)
        .filter(|id| !index.contains_key(id))
        .collect();
    unknown.sort_unstable();
    unknown.dedup();
    for id in unknown {
        index.insert(id, rules.len());
        rules.push(unknown_descriptor(id));
    }

    let results: Vec<SarifResult> = report
        .diagnostics
        .iter()
        .map(|d| result(d, index[d.rule], report))
        .collect();

    let driver = ToolComponent::builder()
        .name("backlint")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(rules)
        .build();

    let mut invocation = Invocation::builder().execution_successful(true).build();
    if !report.notices.is_empty() {
        invocation.tool_execution_notifications = Some(
            report
                .notices
                .iter()
                .map(|n| {
                    Notification::builder()
                        .level(json!("warning"))
                        .message(Message::builder().text(n.message.clone()).build())
                        .locations(vec![Location::builder()
                            .physical_location(
                                PhysicalLocation::builder()
                                    .artifact_location(artifact(&n.path, report))
                                    .build(),
                            )
                            .build()])
                        .build()
                })
                .collect(),
        );
    }

    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(json!("utf16CodeUnits"))
        .invocations(vec![invocation])
        .build();
    if let Some(category) = report.category.as_deref().filter(|c| !c.is_empty()) {
        let id = if category.ends_with('/') {
            category.to_string()
        } else {
            format!("{category}/")
        };
        run.automation_details = Some(RunAutomationDetails::builder().id(id).build());
    }

    Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

/// `sql-injection` -> `SqlInjection`.
pub fn camel_case(id: &str) -> String {
    id.split(['-', '_'])
        .flat_map(|w| {
            let mut cs = w.chars();
            cs.next()
                .map(|c| c.to_ascii_uppercase())
                .into_iter()
                .chain(cs)
        })
        .collect()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn text(s: &str) -> MultiformatMessageString {
    MultiformatMessageString::builder().text(s).build()
}

fn descriptor(rule: &RuleMeta) -> ReportingDescriptor {
    let mut tags = vec![rule.category.to_string()];
    tags.extend(rule.cwe.iter().map(|n| format!("external/cwe/cwe-{n:03}")));
    tags.truncate(MAX_TAGS);
    let mut extra = BTreeMap::new();
    extra.insert("precision".to_string(), json!(rule.precision));
    if let Some(score) = rule.security_severity_text() {
        extra.insert("security-severity".to_string(), json!(score));
    }
    ReportingDescriptor::builder()
        .id(rule.id)
        .name(camel_case(rule.id))
        .short_description(text(rule.summary))
        .full_description(text(rule.description))
        .help(
            MultiformatMessageString::builder()
                .text(rule.docs)
                .markdown(rule.docs)
                .build(),
        )
        .default_configuration(
            ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build()
}

fn unknown_descriptor(id: &str) -> ReportingDescriptor {
    let about = format!("backlint diagnostic `{id}`");
    ReportingDescriptor::builder()
        .id(id)
        .name(camel_case(id))
        .short_description(text(&about))
        .full_description(text(&about))
        .help(text(&about))
        .build()
}

fn region(start: Position, end: Position) -> Region {
    let start_line = start.line.max(1);
    let end_line = end.line.max(start_line);
    let start_column = start.column_utf16.max(1);
    let end_column = if end_line == start_line {
        end.column_utf16.max(start_column)
    } else {
        end.column_utf16.max(1)
    };
    Region::builder()
        .start_line(i64::from(start_line))
        .start_column(i64::from(start_column))
        .end_line(i64::from(end_line))
        .end_column(i64::from(end_column))
        .build()
}

fn artifact(path: &Path, report: &Report) -> ArtifactLocation {
    ArtifactLocation::builder()
        .uri(artifact_uri(path, &report.uri_root))
        .build()
}

fn location(path: &Path, start: Position, end: Position, report: &Report) -> Location {
    Location::builder()
        .physical_location(
            PhysicalLocation::builder()
                .artifact_location(artifact(path, report))
                .region(region(start, end))
                .build(),
        )
        .build()
}

fn result(d: &Diagnostic, rule_index: usize, report: &Report) -> SarifResult {
    let mut r = SarifResult::builder()
        .rule_id(d.rule)
        .rule_index(rule_index as i64)
        .level(match d.severity {
            Severity::Error => ResultLevel::Error,
            Severity::Warning => ResultLevel::Warning,
            Severity::Info => ResultLevel::Note,
        })
        .message(Message::builder().text(d.message.clone()).build())
        .locations(vec![location(&d.path, d.start, d.end, report)])
        .build();
    if !d.labels.is_empty() {
        r.related_locations = Some(
            d.labels
                .iter()
                .zip(1..)
                .map(|(l, id)| {
                    let mut loc =
                        location(l.path.as_deref().unwrap_or(&d.path), l.start, l.end, report);
                    loc.id = Some(id);
                    if !l.message.is_empty() {
                        loc.message = Some(Message::builder().text(l.message.clone()).build());
                    }
                    loc
                })
                .collect(),
        );
    }
    if !d.flow.is_empty() {
        let locations: Vec<ThreadFlowLocation> = d
            .flow
            .iter()
            .map(|l| {
                let mut loc =
                    location(l.path.as_deref().unwrap_or(&d.path), l.start, l.end, report);
                loc.message = Some(Message::builder().text(l.message.clone()).build());
                ThreadFlowLocation::builder().location(loc).build()
            })
            .collect();
        let thread = ThreadFlow::builder().locations(locations).build();
        r.code_flows = Some(vec![CodeFlow::builder().thread_flows(vec![thread]).build()]);
    }
    if let Some(f) = &d.fix {
        r.fixes = Some(vec![fix(d, f, report)]);
    }
    if !d.line_hash.is_empty() {
        r.partial_fingerprints = Some(BTreeMap::from([(
            "primaryLocationLineHash".to_string(),
            d.line_hash.clone(),
        )]));
    }
    if !d.fingerprint.is_empty() {
        r.fingerprints = Some(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            d.fingerprint.clone(),
        )]));
    }
    r
}

fn fix(d: &Diagnostic, f: &crate::diagnostic::Fix, report: &Report) -> SarifFix {
    let replacements: Vec<Replacement> = f
        .edits
        .iter()
        .map(|e| {
            Replacement::builder()
                .deleted_region(region(e.start, e.end))
                .inserted_content(
                    ArtifactContent::builder()
                        .text(e.replacement.clone())
                        .build(),
                )
                .build()
        })
        .collect();
    let change = ArtifactChange::builder()
        .artifact_location(artifact(&d.path, report))
        .replacements(replacements)
        .build();
    let extra = BTreeMap::from([("applicability".to_string(), json!(f.applicability.as_str()))]);
    SarifFix::builder()
        .description(Message::builder().text(f.title.clone()).build())
        .artifact_changes(vec![change])
        .properties(PropertyBag::builder().additional_properties(extra).build())
        .build()
}

/// The path of `path` relative to `root` with `/` separators, not percent-encoded. `path`
/// and `root` may be relative to the current directory; an empty `root` is the current
/// directory. A path outside `root` is returned as given.
pub fn root_relative(path: &Path, root: &Path) -> String {
    let joined = |p: &Path| {
        p.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let (abs_path, abs_root) = (absolute(path), absolute(root));
    if let Ok(rel) = abs_path.strip_prefix(&abs_root) {
        return joined(rel);
    }
    if let (Ok(p), Ok(r)) = (abs_path.canonicalize(), abs_root.canonicalize()) {
        if let Ok(rel) = p.strip_prefix(&r) {
            return joined(rel);
        }
    }
    let given = normalize(path);
    if given.is_absolute() {
        super::json::slash_path(&given)
    } else {
        joined(&given)
    }
}

/// The SARIF `artifactLocation.uri` of a path: [`root_relative`], percent-encoded.
pub fn artifact_uri(path: &Path, root: &Path) -> String {
    percent_encode(&root_relative(path, root))
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        normalize(p)
    } else {
        normalize(&std::env::current_dir().unwrap_or_default().join(p))
    }
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            c => out.push(c),
        }
    }
    out
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Inverse of the percent-encoding used for URIs (invalid escapes are kept as they are).
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| s.get(i + 1..i + 3))
            .flatten()
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(b) = escaped {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(camel_case("n-plus-one-query"), "NPlusOneQuery");
        let root = Path::new("/repo");
        assert_eq!(artifact_uri(Path::new("/repo/app/x.py"), root), "app/x.py");
        assert_eq!(
            artifact_uri(Path::new("/repo/./a/../b c/é.py"), root),
            "b%20c/%C3%A9.py"
        );
        assert_eq!(percent_decode("b%20c/%C3%A9.py"), "b c/é.py");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%+1%zz%4"), "%+1%zz%4");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(artifact_uri(Path::new("./src/lib.rs"), &cwd), "src/lib.rs");
        assert_eq!(
            artifact_uri(Path::new("src/lib.rs"), Path::new("")),
            "src/lib.rs"
        );
        let parent = cwd.parent().unwrap();
        let name = cwd.file_name().unwrap().to_string_lossy();
        assert_eq!(
            artifact_uri(Path::new("src/lib.rs"), parent),
            format!("{name}/src/lib.rs")
        );
    }

    #[test]
    fn region_is_sane() {
        let p = |line, c| Position {
            line,
            column: c,
            column_utf16: c,
        };
        let r = region(p(0, 0), p(0, 0));
        assert_eq!(
            (r.start_line, r.start_column, r.end_line, r.end_column),
            (Some(1), Some(1), Some(1), Some(1))
        );
    }
}
