//! The `backlint` command line: `check`, `rules`, `explain`, `clean`, `lsp`.
//!
//! Errors are `anyhow` from here up and end as one line on stderr (`backlint: error: ...`) with
//! exit code 2; findings give 1 (0 with `--exit-zero`); info-level findings (unused
//! suppressions) never fail a run, and neither does a run that checked no file (it says so, as
//! ruff does). Paths in text and JSON reports are relative to the current directory when under
//! it (a leading `./` from walking `.` is dropped), else as given; SARIF URIs and GitHub
//! annotation paths are relative to the repository root, else to the project root (see
//! [`crate::paths`]), whatever the current directory. The flag names ruff users type are
//! accepted: `--output-format` (and `full` for text), `--output-file`, `--exclude`,
//! `--extend-exclude`, `-q`, `--statistics`.

use std::io::{IsTerminal, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

mod progress;

use crate::config::{load, Config};
use crate::diagnostic::Severity;
use crate::registry::{self, RuleMeta};
use crate::report::{self, Format, Report};
use crate::source::SourceFile;
use crate::{baseline, engine};

#[derive(Parser)]
#[command(
    name = "backlint",
    version,
    about = "Static analysis for backend anti-patterns in Python, TypeScript/JavaScript and Rust"
)]
#[command(arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint files and directories (default: the current directory).
    Check(Box<Check>),
    /// List every rule.
    Rules {
        #[arg(long, value_enum, default_value_t = CatalogFormat::Text)]
        format: CatalogFormat,
    },
    /// Print a rule's documentation.
    Explain {
        /// A rule id, e.g. `sql-injection`.
        rule: String,
    },
    /// Run the language server on stdin/stdout (for editors).
    Lsp,
    /// Remove the results cache of the project at PATH (default: the current directory).
    Clean(Clean),
}

#[derive(Args)]
struct Clean {
    /// A directory of the project (its configuration and root are found as `check` finds them).
    #[arg(default_value = ".")]
    path: PathBuf,
    /// Config file (default: found from PATH upward, as `check` does).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The cache directory (default: `cache-dir` of the configuration, else
    /// `.backlint_cache` at the project root).
    #[arg(long, value_name = "DIR", env = "BACKLINT_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
}

#[derive(Args)]
struct Check {
    /// Files and directories to check.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Report format (text and concise are coloured only on a terminal without NO_COLOR).
    #[arg(
        long,
        visible_alias = "output-format",
        value_enum,
        value_name = "FORMAT",
        default_value_t = Format::Text
    )]
    format: Format,
    /// Write the report to FILE (a one-line summary still goes to stderr).
    #[arg(long, visible_alias = "output-file", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only these rules (comma-separated); replaces the config file's `select`.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    select: Vec<String>,
    /// Never these rules (comma-separated); replaces the config file's `ignore`.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Minimum severity reported (`unused-suppression` notes are info).
    #[arg(long, value_enum, value_name = "LEVEL")]
    severity: Option<Level>,
    /// Config file (default: backlint.toml, .backlint.toml or [tool.backlint] in
    /// pyproject.toml, found from the first checked path upward). Its globs are relative to
    /// its directory.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Report only findings absent from a previous JSON or SARIF report.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Report only findings on lines added or changed since the git ref REF (a branch, tag or
    /// commit; uncommitted and untracked changes count). The whole project is still analysed.
    #[arg(long, visible_alias = "changed-since", value_name = "REF")]
    diff: Option<String>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    jobs: Option<usize>,
    /// Read the source from stdin and lint it as NAME.
    #[arg(long, value_name = "NAME", conflicts_with = "paths")]
    stdin_filename: Option<PathBuf>,
    /// Exit 0 even when there are findings.
    #[arg(long)]
    exit_zero: bool,
    /// Skip files and directories matching these globs (comma-separated or repeated; same
    /// syntax as the config file's `exclude`, which they replace). Paths named on the command
    /// line are checked all the same.
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    exclude: Vec<String>,
    /// Like `--exclude`, but added to the config file's `exclude`.
    #[arg(long, value_name = "GLOB,...", value_delimiter = ',')]
    extend_exclude: Vec<String>,
    /// Skip files named on the command line that `exclude`, the default excluded folders
    /// (node_modules, vendor...) or generated-file names match, as a walk would (for pre-commit).
    #[arg(long)]
    force_exclude: bool,
    /// Check files named one by one alone. By default the rest of their project (the folder
    /// of the configuration file, else the git repository) is read too, for the facts that
    /// cross files, so a file gets the same findings as in a run over the whole project.
    #[arg(long)]
    alone: bool,
    /// Print the findings only: no summary; notices about files not checked go to stderr.
    #[arg(short, long)]
    quiet: bool,
    /// Print how many findings each rule has (most first) instead of the findings. With
    /// `--format json`: a JSON array of {rule, severity, count}.
    #[arg(long)]
    statistics: bool,
    /// SARIF category (`runAutomationDetails.id`).
    #[arg(long, value_name = "NAME")]
    category: Option<String>,
    /// Print each checked file's role (service, worker, script, test, migration, seed, client,
    /// tooling, generated) and why, instead of the findings. Override roles with `[roles]`.
    #[arg(long)]
    explain_roles: bool,
    /// Neither read nor write the results cache.
    #[arg(long)]
    no_cache: bool,
    /// The results cache directory (default: `cache-dir` of the configuration, else
    /// `.backlint_cache` at the project root).
    #[arg(long, value_name = "DIR", env = "BACKLINT_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Say on stderr how many files were checked and how many came from the cache.
    #[arg(long)]
    verbose: bool,
    /// Apply the safe fixes of the findings to the files, check again and report what is
    /// left (a file whose fixed text would not parse is left as it was, with a notice).
    #[arg(long, conflicts_with_all = ["stdin_filename", "explain_roles"])]
    fix: bool,
    /// Count unsafe fixes (they change behaviour: a timeout value, an `await`) as applicable:
    /// `--fix` applies them too, and text output marks them `[*]`.
    #[arg(long)]
    unsafe_fixes: bool,
}

/// How many times `--fix` applies fixes and checks again (fixes that overlapped one applied
/// are applied in the next round).
const FIX_ROUNDS: usize = 10;

#[derive(Clone, Copy, ValueEnum)]
enum Level {
    Info,
    Warning,
    Error,
}

impl From<Level> for Severity {
    fn from(l: Level) -> Severity {
        match l {
            Level::Info => Severity::Info,
            Level::Warning => Severity::Warning,
            Level::Error => Severity::Error,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CatalogFormat {
    Text,
    Json,
}

/// Runs the command line and returns the exit code.
pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let result = match cli.command {
        Command::Check(args) => check(*args),
        Command::Rules { format } => rules(format).map(|()| 0),
        Command::Explain { rule } => explain(&rule).map(|()| 0),
        Command::Clean(args) => clean(&args).map(|()| 0),
        Command::Lsp => crate::lsp::run(),
    };
    match result {
        Ok(code) => code,
        Err(e) if broken_pipe(&e) => 0,
        Err(e) => {
            let reason = format!("{e:#}");
            eprintln!(
                "backlint: error: {}",
                reason.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            2
        }
    }
}

/// A reader that stopped reading (`| head`) is not an error.
fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}

fn check(args: Check) -> anyhow::Result<i32> {
    if args.statistics && !matches!(args.format, Format::Text | Format::Concise | Format::Json) {
        anyhow::bail!(
            "`--statistics` prints text or JSON; use it with `--format text` or `--format json`"
        );
    }
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    // the configuration is found from the checked files upward, not from the current directory
    let first = args
        .stdin_filename
        .as_deref()
        .or(args.paths.first().map(PathBuf::as_path))
        .unwrap_or(Path::new("."));
    let start = if first.is_dir() {
        first
    } else {
        first
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    };
    let mut config = match &args.config {
        Some(path) => load::load(path)?,
        None => load::discover(start)?.map(|(_, c)| c).unwrap_or_default(),
    };
    apply_flags(&mut config, &args)?;
    let base = args.baseline.as_deref().map(baseline::load).transpose()?;
    let changed = match &args.diff {
        Some(r) => Some(crate::changed::Changed::since(
            r,
            &crate::paths::absolute(start),
        )?),
        None => None,
    };
    let root = args.stdin_filename.as_deref().map(|name| {
        let abs = crate::paths::absolute(name);
        crate::paths::project_root(&[abs], config.base.as_deref())
    });
    let bar = (args.stdin_filename.is_none() && progress::wanted_here(args.quiet))
        .then(|| Arc::new(progress::Bar::new()));
    let cache = (!args.no_cache).then(|| cache_dir(args.cache_dir.as_deref(), &config, &cwd));
    let options = engine::Options {
        config,
        jobs: args.jobs.unwrap_or(0),
        root,
        uri_root: None,
        progress: engine::ProgressHook(bar.clone().map(|b| b as Arc<dyn engine::Progress>)),
        cache,
        alone: args.alone,
        roles: args.explain_roles,
        // only the text format shows snippets
        no_sources: args.explain_roles || args.statistics || args.format != Format::Text,
    };

    let mut report = lint(&args, &options, &cwd, bar.as_deref())?;
    if args.verbose {
        let c = &report.cache;
        match &c.dir {
            Some(dir) => eprintln!(
                "backlint: {} file{} checked, {} from the cache; {} cache shard{} written in {}",
                c.misses,
                plural(c.misses),
                c.hits,
                c.written,
                plural(c.written),
                dir.display()
            ),
            None => eprintln!("backlint: no results cache"),
        }
    }
    if args.explain_roles {
        let mut out = std::io::stdout().lock();
        let mut roles = std::mem::take(&mut report.roles);
        roles.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, role) in roles {
            let reason = if role.reason.is_empty() {
                "the default"
            } else {
                role.reason.as_str()
            };
            writeln!(
                out,
                "{}\t{}\t{reason}",
                crate::report::json::slash_path(&path),
                role.role.name()
            )?;
        }
        return Ok(0);
    }
    let filter = |report: &mut Report| {
        tidy(report);
        report.category = args.category.clone();
        if let Some(base) = &base {
            report.diagnostics = baseline::filter(std::mem::take(&mut report.diagnostics), base);
        }
        if let Some(changed) = &changed {
            report.diagnostics = changed.filter(std::mem::take(&mut report.diagnostics));
        }
    };
    filter(&mut report);
    if args.fix {
        // later rounds: no progress bar, and only what is reported is fixed
        let options = engine::Options {
            progress: engine::ProgressHook::default(),
            ..options.clone()
        };
        let mut fixed = 0;
        let mut notices: Vec<report::Notice> = Vec::new();
        for _ in 0..FIX_ROUNDS {
            let pass = crate::fix::apply_report(&report, args.unsafe_fixes);
            let count = pass.count();
            for n in pass.notices {
                if !notices.iter().any(|m| m.path == n.path) {
                    notices.push(n);
                }
            }
            if count == 0 {
                break;
            }
            fixed += count;
            report = lint(&args, &options, &cwd, None)?;
            filter(&mut report);
        }
        report.notices.extend(notices);
        report.fixed = Some(fixed);
    }
    report.unsafe_fixes = args.unsafe_fixes;

    // Without a text report on stdout, say on stderr what a text report would have said.
    let report_on_stdout = args.output.is_none()
        && matches!(args.format, Format::Text | Format::Concise)
        && !args.quiet;
    if args.quiet && matches!(args.format, Format::Text | Format::Concise) {
        let mut err = std::io::stderr().lock();
        for n in &report.notices {
            writeln!(
                err,
                "backlint: warning: {}: {}",
                crate::report::json::slash_path(&n.path),
                n.message
            )?;
        }
    }
    if let (Some(n), false, false) = (report.fixed, report_on_stdout, args.quiet) {
        if args.output.is_none() {
            eprintln!("backlint: fixed {n} finding{}", plural(n));
        }
    }
    if report.files_checked == 0 && !report_on_stdout {
        eprintln!(
            "backlint: warning: no files checked: {}",
            report::text::nothing_checked(&report)
        );
    }

    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let mut out = std::io::BufWriter::new(file);
            render(&report, &args, false, &mut out)
                .and_then(|()| out.flush().map_err(Into::into))
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !args.quiet {
                eprintln!("{}; report written to {}", summary(&report), path.display());
            }
        }
        None => {
            let stdout = std::io::stdout();
            let color =
                stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            let mut out = std::io::BufWriter::new(stdout.lock());
            let written = render(&report, &args, color, &mut out)
                .and_then(|()| out.flush().map_err(Into::into));
            if let Err(e) = written {
                if !broken_pipe(&e) {
                    return Err(e.context("cannot write the report"));
                }
            }
        }
    }
    let failing = report
        .diagnostics
        .iter()
        .any(|d| d.severity > Severity::Info);
    Ok(i32::from(failing && !args.exit_zero))
}

/// Lints what the command line names (stdin, or the paths).
fn lint(
    args: &Check,
    options: &engine::Options,
    cwd: &Path,
    bar: Option<&progress::Bar>,
) -> anyhow::Result<Report> {
    Ok(match &args.stdin_filename {
        Some(name) => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            let text = String::from_utf8(bytes).context("stdin is not valid UTF-8")?;
            let name = relative(name, cwd);
            match options.root.as_deref() {
                Some(root) if !args.alone && engine::is_project(root, &options.config) => {
                    let mut project = engine::ProjectFacts::collect(&[root.to_path_buf()], options);
                    engine::lint_in_project(&name, &text, options, &mut project).0
                }
                _ => engine::lint_source(&name, &text, options),
            }
        }
        None => {
            let mut paths = Vec::with_capacity(args.paths.len());
            for p in &args.paths {
                if let Err(e) = std::fs::symlink_metadata(p) {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        anyhow::bail!("cannot read `{}`: {e}", p.display());
                    }
                }
                paths.push(relative(p, cwd));
            }
            let report = engine::lint_paths(&paths, options);
            if let Some(b) = bar {
                b.finish();
            }
            report
        }
    })
}

/// The results cache directory: `--cache-dir` (or `BACKLINT_CACHE_DIR`) relative to the current
/// directory, else `cache-dir` of the configuration relative to its file, else the default,
/// relative to the project root.
fn cache_dir(flag: Option<&Path>, config: &Config, cwd: &Path) -> PathBuf {
    match (
        flag.filter(|d| !d.as_os_str().is_empty()),
        &config.cache_dir,
    ) {
        (Some(d), _) => cwd.join(d),
        (None, Some(d)) => config
            .base
            .as_deref()
            .map_or_else(|| cwd.join(d), |b| b.join(d)),
        (None, None) => PathBuf::from(crate::cache::DEFAULT_DIR),
    }
}

/// `backlint clean`: removes the cache directory `check` would use for the same path.
fn clean(args: &Clean) -> anyhow::Result<()> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let config = match &args.config {
        Some(path) => load::load(path)?,
        None => load::discover(&args.path)?
            .map(|(_, c)| c)
            .unwrap_or_default(),
    };
    let abs = crate::paths::absolute(&args.path);
    let root = crate::paths::project_root(&[abs], config.base.as_deref());
    let dir = root.join(cache_dir(args.cache_dir.as_deref(), &config, &cwd));
    if crate::cache::clean(&dir)? {
        eprintln!("backlint: removed {}", dir.display());
    } else {
        eprintln!("backlint: no cache at {}", dir.display());
    }
    Ok(())
}

/// Command-line selection and severity replace the config file's.
fn apply_flags(config: &mut Config, args: &Check) -> anyhow::Result<()> {
    for (flag, ids, list) in [
        ("--select", &args.select, &mut config.select),
        ("--ignore", &args.ignore, &mut config.ignore),
    ] {
        let ids: Vec<String> = ids
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        for id in &ids {
            load::check_rule(id, &format!("`{flag}`"))?;
        }
        if !ids.is_empty() {
            *list = ids;
        }
    }
    if let Some(level) = args.severity {
        config.min_severity = level.into();
    }
    for (flag, globs) in [
        ("--exclude", &args.exclude),
        ("--extend-exclude", &args.extend_exclude),
    ] {
        for g in globs {
            globset::Glob::new(g).with_context(|| format!("invalid `{flag}` glob `{g}`"))?;
        }
    }
    let globs = |list: &Vec<String>| -> Vec<String> {
        list.iter()
            .filter(|g| !g.trim().is_empty())
            .cloned()
            .collect()
    };
    if !args.exclude.is_empty() {
        config.exclude = globs(&args.exclude);
    }
    config.exclude.extend(globs(&args.extend_exclude));
    config.force_exclude = args.force_exclude;
    Ok(())
}

fn render(report: &Report, args: &Check, color: bool, out: &mut dyn Write) -> anyhow::Result<()> {
    let style = report::text::Style {
        concise: args.format == Format::Concise,
        quiet: args.quiet,
    };
    match args.format {
        Format::Text | Format::Concise if args.statistics => {
            report::text::render_statistics(report, args.quiet, color, out)?;
        }
        Format::Json if args.statistics => {
            #[derive(serde::Serialize)]
            struct Row {
                rule: &'static str,
                severity: Severity,
                count: usize,
            }
            let rows: Vec<Row> = report::text::statistics(report)
                .into_iter()
                .map(|(rule, severity, count)| Row {
                    rule,
                    severity,
                    count,
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &rows)?;
            writeln!(out)?;
        }
        Format::Text | Format::Concise => report::text::render_styled(report, style, color, out)?,
        Format::Json => report::json::render(report, out)?,
        Format::Sarif => report::sarif::render(report, out)?,
        Format::Github => report::github::render(report, out)?,
        Format::Gitlab => report::gitlab::render(report, out)?,
        Format::Junit => report::junit::render(report, out)?,
    }
    Ok(())
}

/// One line for stderr when the report goes to a file.
fn summary(report: &Report) -> String {
    let count = |s: Severity| {
        report
            .diagnostics
            .iter()
            .filter(|d| d.severity == s)
            .count()
    };
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let files = report.files_checked;
    let info = if infos > 0 {
        format!(", {infos} info")
    } else {
        String::new()
    };
    let mut line = format!(
        "backlint: {} finding{} ({errors} error{}, {warnings} warning{}{info}) in {files} file{}",
        errors + warnings,
        plural(errors + warnings),
        plural(errors),
        plural(warnings),
        plural(files)
    );
    if !report.notices.is_empty() {
        let n = report.notices.len();
        line.push_str(&format!(", {n} notice{}", plural(n)));
    }
    if let Some(n) = report.fixed {
        line.push_str(&format!("; {n} fixed"));
    }
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// An absolute path under `cwd` made relative to it; any other path as given.
fn relative(path: &Path, cwd: &Path) -> PathBuf {
    match path.strip_prefix(cwd) {
        Ok(rest) if path.is_absolute() => {
            if rest.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rest.to_path_buf()
            }
        }
        _ => path.to_path_buf(),
    }
}

/// `./src/app.py` -> `src/app.py`.
fn tidy_path(path: &Path) -> PathBuf {
    let mut parts = path.components().peekable();
    while parts.next_if(|c| *c == Component::CurDir).is_some() {}
    let rest: PathBuf = parts.collect();
    if rest.as_os_str().is_empty() {
        path.to_path_buf()
    } else {
        rest
    }
}

/// Drops the `./` the walker puts in front of paths under `.`, everywhere in the report.
fn tidy(report: &mut Report) {
    for d in &mut report.diagnostics {
        d.path = tidy_path(&d.path);
        for p in d.labels.iter_mut().filter_map(|l| l.path.as_mut()) {
            *p = tidy_path(p);
        }
    }
    for n in &mut report.notices {
        n.path = tidy_path(&n.path);
    }
    report.sources = std::mem::take(&mut report.sources)
        .into_iter()
        .map(|(path, source)| {
            let path = tidy_path(&path);
            if source.path == path {
                return (path, source);
            }
            let file = match Arc::try_unwrap(source) {
                Ok(mut f) => {
                    f.path = path.clone();
                    f
                }
                Err(shared) => SourceFile::new(path.clone(), shared.text.clone()),
            };
            (path, Arc::new(file))
        })
        .collect();
}

fn rules(format: CatalogFormat) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if format == CatalogFormat::Json {
        let rules: Vec<_> = registry::RULES.iter().map(rule_json).collect();
        serde_json::to_writer_pretty(&mut out, &rules)?;
        writeln!(out)?;
        return Ok(());
    }
    let rows: Vec<[String; 5]> = registry::RULES
        .iter()
        .map(|r| {
            [
                r.id.to_string(),
                r.category.to_string(),
                r.severity.as_str().to_string(),
                r.languages.join(","),
                r.summary.to_string(),
            ]
        })
        .collect();
    let header = ["ID", "CATEGORY", "SEVERITY", "LANGUAGES", "SUMMARY"].map(String::from);
    let mut widths = [0; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter().zip(row) {
            write!(out, "{cell:<w$}  ")?;
        }
        writeln!(out, "{}", row[4])?;
    }
    Ok(())
}

fn rule_json(r: &RuleMeta) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "category": r.category,
        "severity": r.severity,
        "cwe": r.cwe,
        "summary": r.summary,
        "description": r.description,
        "languages": r.languages,
        "precision": r.precision,
        "security_severity": r.security_severity_text(),
    })
}

fn explain(id: &str) -> anyhow::Result<()> {
    let Some(r) = registry::get(id) else {
        let hint = registry::suggest(id)
            .map(|s| format!(" (did you mean `{s}`?)"))
            .unwrap_or_default();
        anyhow::bail!("unknown rule `{id}`{hint}; `backlint rules` lists them");
    };
    let cwe: Vec<String> = r.cwe.iter().map(|c| format!("CWE-{c}")).collect();
    let mut facts = vec![r.category.to_string(), r.severity.as_str().to_string()];
    facts.extend(cwe);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} ({}; {})\n",
        r.id,
        facts.join(", "),
        r.languages.join(", ")
    )?;
    writeln!(out, "{}", r.docs)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_relative() {
        let cwd = Path::new("/home/u/proj");
        assert_eq!(
            relative(Path::new("/home/u/proj/src/a.py"), cwd),
            Path::new("src/a.py")
        );
        assert_eq!(relative(Path::new("/home/u/proj"), cwd), Path::new("."));
        assert_eq!(
            relative(Path::new("/elsewhere/a.py"), cwd),
            Path::new("/elsewhere/a.py")
        );
        assert_eq!(
            relative(Path::new("../x/a.py"), cwd),
            Path::new("../x/a.py")
        );
        assert_eq!(tidy_path(Path::new("./src/a.py")), Path::new("src/a.py"));
        assert_eq!(tidy_path(Path::new(".")), Path::new("."));
        assert_eq!(tidy_path(Path::new("../a.py")), Path::new("../a.py"));
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
