//! Inputs the fuzzers (`scripts/fuzz.sh`) found crashing, each linted as the file type it was
//! fuzzed as: none may panic.

use std::path::Path;

use backlint::{lint_source, Options};

/// (fuzzed as, input)
const INPUTS: &[(&str, &str)] = &[
    // `Client::new()` in a Rust file syn cannot parse: the fix for `missing-timeout` read the
    // callee's name out of a span that did not hold it
    (
        "src/payments.rs",
        include_str!("fuzz_inputs/client_new_in_broken_file.rs.txt"),
    ),
];

#[test]
fn fuzz_crashes_stay_fixed() {
    for (name, text) in INPUTS {
        let report = lint_source(Path::new(name), text, &Options::default());
        assert!(
            !report
                .notices
                .iter()
                .any(|n| n.message.contains("panicked") || n.message.contains("internal error")),
            "{name}: {:?}",
            report.notices
        );
    }
}
