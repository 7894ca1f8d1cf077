//! json reporter (placeholder until the real reporter is merged).

use std::io::Write;

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let v = serde_json::json!({
        "version": env!("CARGO_PKG_VERSION"),
        "diagnostics": report.diagnostics,
        "summary": { "files": report.files_checked, "findings": report.diagnostics.len() },
        "notices": report.notices,
    });
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)
}
