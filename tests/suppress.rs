//! Suppression comments, in every language (DESIGN.md "Suppressions").

use backlint::{lint_paths, Options};

/// Lints one file in a temporary project; returns (rule, line) of every diagnostic.
fn lint(name: &str, src: &str) -> Vec<(String, u32)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), src).unwrap();
    let report = lint_paths(&[dir.path().to_path_buf()], &Options::default());
    report
        .diagnostics
        .iter()
        .map(|d| (d.rule.to_string(), d.start.line))
        .collect()
}

const PY_SQLI: &str = "cursor.execute(f\"SELECT * FROM t WHERE id = {uid}\")";

#[test]
fn python_line_above_covers_a_multi_line_statement() {
    let src = format!(
        "def f(cursor, uid):\n    # backlint: ignore[sql-injection] uid is an int from the router\n    rows = (\n        {PY_SQLI}\n    )\n    return rows\n"
    );
    assert_eq!(lint("a.py", &src), vec![]);
}

#[test]
fn python_same_line_and_unsuppressed_neighbour() {
    let src = format!(
        "def f(cursor, uid):\n    {PY_SQLI}  # backlint: ignore[sql-injection] reviewed\n    {PY_SQLI}\n"
    );
    assert_eq!(lint("a.py", &src), vec![("sql-injection".to_string(), 3)]);
}

#[test]
fn directive_inside_a_string_is_not_a_directive() {
    let src = format!(
        "def f(cursor, uid):\n    note = \"# backlint: ignore[sql-injection] not a comment\"\n    {PY_SQLI}\n"
    );
    assert_eq!(lint("a.py", &src), vec![("sql-injection".to_string(), 3)]);
    let doc = format!("def f(cursor, uid):\n    \"\"\"\n    # backlint: ignore[sql-injection]\n    \"\"\"\n    {PY_SQLI}\n");
    assert_eq!(lint("b.py", &doc), vec![("sql-injection".to_string(), 5)]);
}

#[test]
fn file_level_suppression() {
    let src = format!("# backlint: ignore-file[sql-injection] legacy reporting module\n\ndef f(cursor, uid):\n    {PY_SQLI}\n\ndef g(cursor, uid):\n    {PY_SQLI}\n");
    assert_eq!(lint("a.py", &src), vec![]);
}

#[test]
fn unused_and_unknown_suppressions_are_reported() {
    let src = "def f():\n    # backlint: ignore[sql-injection] stale\n    return 1\n\n# backlint: ignore[sql-injecton] typo\nx = 2\n";
    assert_eq!(
        lint("a.py", src),
        vec![
            ("unused-suppression".to_string(), 2),
            ("unused-suppression".to_string(), 5)
        ]
    );
}

#[test]
fn typescript_and_rust_use_the_same_syntax() {
    let ts = "export async function f(pool: any, id: string) {\n  // backlint: ignore[sql-injection] id is validated upstream\n  return pool.query(\n    `SELECT * FROM t WHERE id = ${id}`,\n  );\n}\n";
    assert_eq!(lint("a.ts", ts), vec![]);
    let rs = "async fn f(pool: &PgPool, name: &str) {\n    // backlint: ignore[sql-injection] name comes from an enum\n    let rows = sqlx::query(&format!(\"SELECT * FROM t WHERE n = '{name}'\"))\n        .fetch_all(pool)\n        .await;\n}\n";
    assert_eq!(lint("a.rs", rs), vec![]);
    let unsuppressed = rs.replace(
        "    // backlint: ignore[sql-injection] name comes from an enum\n",
        "",
    );
    assert_eq!(
        lint("b.rs", &unsuppressed),
        vec![("sql-injection".to_string(), 2)]
    );
}
