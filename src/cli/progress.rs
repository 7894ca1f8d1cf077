//! The progress bar on stderr: files checked of the total and the rate. Drawn only on a
//! terminal, outside CI (`CI` set), without `--quiet`, and only once a run has taken a second.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::engine::Progress;

/// Whether a run may show a progress bar.
pub fn wanted(stderr_is_terminal: bool, ci: bool, quiet: bool) -> bool {
    stderr_is_terminal && !ci && !quiet
}

/// Whether this process may show one.
pub fn wanted_here(quiet: bool) -> bool {
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    wanted(std::io::stderr().is_terminal(), ci, quiet)
}

/// How long a run goes before the bar appears.
const DELAY: Duration = Duration::from_secs(1);

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Bar {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} checking {pos}/{len} files ({rate}) {wide_bar}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .with_key("rate", |s: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} files/s", s.per_sec());
            })
            .progress_chars("=> "),
        );
        Bar { bar }
    }

    /// Clears the bar before the report is printed.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, files: usize) {
        self.bar.set_length(files as u64);
        self.bar.reset_elapsed();
    }
    fn file_done(&self) {
        self.bar.inc(1);
        if self.bar.is_hidden() && self.bar.elapsed() >= DELAY {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_outside_ci_and_not_quiet() {
        assert!(wanted(true, false, false));
        assert!(!wanted(false, false, false));
        assert!(!wanted(true, true, false));
        assert!(!wanted(true, false, true));
    }
}
