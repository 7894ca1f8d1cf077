//! `backlint lsp` end to end: pytest-lsp (a real LSP client, installed by
//! `scripts/ensure-pytest-lsp.sh` into `target/tools/`) drives the binary over stdio through the
//! tests in `tests/lsp/`. The test fails when the install or any pytest test fails.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn pytest() -> &'static Result<PathBuf, String> {
    static PYTEST: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PYTEST.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("bash")
            .arg(root.join("scripts/ensure-pytest-lsp.sh"))
            .output()
            .map_err(|e| format!("cannot run scripts/ensure-pytest-lsp.sh: {e}"))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            return Err(format!(
                "scripts/ensure-pytest-lsp.sh failed ({}):\n{}{}",
                out.status,
                stdout,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        stdout
            .lines()
            .last()
            .map(PathBuf::from)
            .ok_or_else(|| "scripts/ensure-pytest-lsp.sh printed no path".to_string())
    })
}

#[test]
fn language_server_with_a_real_client() {
    let pytest = pytest().as_ref().unwrap_or_else(|e| panic!("{e}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(pytest)
        .current_dir(root)
        .args([
            "tests/lsp",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
        ])
        .env("BACKLINT", env!("CARGO_BIN_EXE_backlint"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("pytest runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "pytest failed:\n{report}");
    // every test ran (a collection problem must not pass as "no tests")
    assert!(report.contains(" passed"), "{report}");
    assert!(!report.contains("skipped"), "{report}");
}
