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

const TS_SQLI: &str = "await pool.query(`SELECT * FROM t WHERE id = ${id}`);";

fn ts_fn(body: &[&str]) -> String {
    let mut src = String::from("export async function f(pool: any, id: string) {\n");
    for line in body {
        src.push_str("  ");
        src.push_str(line);
        src.push('\n');
    }
    src.push_str("}\n");
    src
}

#[test]
fn block_comments_suppress_like_line_comments() {
    let above = ts_fn(&[
        "/* backlint: ignore[sql-injection] validated upstream */",
        TS_SQLI,
    ]);
    assert_eq!(lint("a.ts", &above), vec![]);
    let same_line = ts_fn(&[&format!(
        "{TS_SQLI} /* backlint: ignore[sql-injection] ok */"
    )]);
    assert_eq!(lint("b.ts", &same_line), vec![]);
    let before_code = ts_fn(&[&format!(
        "/* backlint: ignore[sql-injection] ok */ {TS_SQLI}"
    )]);
    assert_eq!(lint("c.ts", &before_code), vec![]);
    let jsdoc = ts_fn(&[
        "/**",
        " * backlint: ignore[sql-injection] id is a UUID",
        " */",
        TS_SQLI,
    ]);
    assert_eq!(lint("d.ts", &jsdoc), vec![]);
    // it covers the statement below only
    let next = ts_fn(&["/* backlint: ignore[sql-injection] ok */", TS_SQLI, TS_SQLI]);
    assert_eq!(lint("e.ts", &next), vec![("sql-injection".to_string(), 4)]);
    let rs = "async fn f(pool: &PgPool, name: &str) {\n    /* backlint: ignore[sql-injection] name comes from an enum */\n    let rows = sqlx::query(&format!(\"SELECT * FROM t WHERE n = '{name}'\"))\n        .fetch_all(pool)\n        .await;\n}\n";
    assert_eq!(lint("a.rs", rs), vec![]);
    // a block comment inside a string is not a directive
    let quoted = ts_fn(&[
        "const s = \"/* backlint: ignore[sql-injection] quoted */\";",
        TS_SQLI,
    ]);
    assert_eq!(
        lint("f.ts", &quoted),
        vec![("sql-injection".to_string(), 3)]
    );
}

/// (rule, line, message) of every diagnostic.
fn lint_messages(name: &str, src: &str) -> Vec<(String, u32, String)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), src).unwrap();
    lint_paths(&[dir.path().to_path_buf()], &Options::default())
        .diagnostics
        .iter()
        .map(|d| (d.rule.to_string(), d.start.line, d.message.clone()))
        .collect()
}

#[test]
fn malformed_directives_suppress_nothing_and_are_reported() {
    let cases = [
        (
            "# backlint: ignore",
            "malformed suppression: `backlint: ignore` names no rule, so it suppresses nothing",
        ),
        (
            "# backlint: ignore[]",
            "malformed suppression: `backlint: ignore[]` names no rule, so it suppresses nothing",
        ),
        (
            "# backlint: ignore sql-injection legacy",
            "malformed suppression: rule ids go in brackets, so `backlint: ignore sql-injection` suppresses nothing",
        ),
        (
            "# backlint: ignore[sql-injection legacy",
            "malformed suppression: unclosed `[` after `backlint: ignore`",
        ),
        (
            "# backlint: ignroe[sql-injection]",
            "malformed suppression: unknown directive `backlint: ignroe`",
        ),
    ];
    for (comment, message) in cases {
        let src = format!("def f(cursor, uid):\n    {comment}\n    {PY_SQLI}\n");
        assert_eq!(
            lint_messages("a.py", &src),
            vec![
                ("unused-suppression".to_string(), 2, message.to_string()),
                ("sql-injection".to_string(), 3, cursor_message()),
            ],
            "{comment}"
        );
    }
    let ts = ts_fn(&["// backlint: ignore", TS_SQLI]);
    assert_eq!(
        lint("a.ts", &ts),
        vec![
            ("unused-suppression".to_string(), 2),
            ("sql-injection".to_string(), 3)
        ]
    );
    // prose after the marker is not a directive
    let prose =
        format!("def f(cursor, uid):\n    # backlint: checked nightly in CI\n    {PY_SQLI}\n");
    assert_eq!(lint("b.py", &prose), vec![("sql-injection".to_string(), 3)]);
    // a file-level directive below line 20 says so
    let late = format!(
        "{}# backlint: ignore-file[sql-injection] legacy\ndef f(cursor, uid):\n    {PY_SQLI}\n",
        "\n".repeat(24)
    );
    let found = lint_messages("c.py", &late);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(
        found[0].2.starts_with(
            "misplaced suppression: `backlint: ignore-file` works in the first 20 lines"
        ),
        "{found:?}"
    );
}

fn cursor_message() -> String {
    "`uid` is put into SQL text with an f-string and run by `cursor.execute`".to_string()
}
