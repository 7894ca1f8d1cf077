//! sarif reporter (placeholder until the real reporter is merged).

use std::io::Write;

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> anyhow::Result<()> {
    let cwd = std::env::current_dir()?;
    let uri = |p: &std::path::Path| {
        let abs = cwd.join(p);
        let root = cwd.join(&report.uri_root);
        abs.strip_prefix(&root)
            .unwrap_or(&abs)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let results: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| {
            serde_json::json!({
                "ruleId": d.rule,
                "message": { "text": d.message },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": uri(&d.path) },
                    "region": { "startLine": d.start.line, "startColumn": d.start.column_utf16 }
                }}]
            })
        })
        .collect();
    let mut run = serde_json::json!({
        "tool": { "driver": { "name": "backlint" } },
        "results": results,
    });
    if let Some(c) = &report.category {
        run["automationDetails"] = serde_json::json!({ "id": c });
    }
    let v = serde_json::json!({ "version": "2.1.0", "runs": [run] });
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)?;
    Ok(())
}
