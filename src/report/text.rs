//! text reporter (placeholder until the real reporter is merged).

use std::io::Write;

use super::Report;

pub fn render(report: &Report, _color: bool, out: &mut dyn Write) -> std::io::Result<()> {
    for d in &report.diagnostics {
        writeln!(
            out,
            "{}:{}:{}: {}: {}",
            d.path.display(),
            d.start.line,
            d.start.column,
            d.rule,
            d.message
        )?;
    }
    for n in &report.notices {
        writeln!(out, "{}: note: {}", n.path.display(), n.message)?;
    }
    Ok(())
}
