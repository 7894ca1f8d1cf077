//! github reporter (placeholder until the real reporter is merged).

use std::io::Write;

use super::Report;

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for d in &report.diagnostics {
        writeln!(
            out,
            "::error file={},line={},col={},title={}::{}",
            d.path.display(),
            d.start.line,
            d.start.column,
            d.rule,
            d.message
        )?;
    }
    Ok(())
}
