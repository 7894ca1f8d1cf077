//! The parsing floor against the full check, single-threaded, on every supported file under a
//! directory: `cargo run --release --example floor -- DIR`. Prints files, lines, MB and the
//! seconds and lines/s for parse only, parse + lowering, the full check of each file
//! (`lint_source`), and the whole run on one thread (`lint_paths`, files read from disk).

use std::path::PathBuf;
use std::time::Instant;

use backlint::config::Config;
use backlint::lang::{self, Dialect};
use backlint::{lint_source, Options};

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: floor DIR"));
    let (paths, _) = backlint::discover::discover(std::slice::from_ref(&dir), &Config::default());
    let files: Vec<(PathBuf, Dialect, String)> = paths
        .into_iter()
        .filter_map(|p| {
            let d = Dialect::from_path(&p)?;
            let t = std::fs::read_to_string(&p).ok()?;
            Some((p, d, t))
        })
        .collect();
    let lines: usize = files.iter().map(|f| f.2.lines().count()).sum();
    let bytes: usize = files.iter().map(|f| f.2.len()).sum();
    println!(
        "files {}  lines {lines}  MB {:.1}",
        files.len(),
        bytes as f64 / 1e6
    );
    let options = Options::default();
    let time = |name: &str, f: &dyn Fn(&(PathBuf, Dialect, String))| {
        let best = (0..3)
            .map(|_| {
                let t = Instant::now();
                files.iter().for_each(f);
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min);
        println!(
            "{name:<12} {best:>8.3} s  {:>10.0} lines/s",
            lines as f64 / best
        );
        best
    };
    let parse = time("parse", &|(_, d, t)| {
        std::hint::black_box(lang::parse_only(*d, t));
    });
    time("parse+lower", &|(_, d, t)| {
        std::hint::black_box(lang::parse(*d, t).is_ok());
    });
    let check = time("check", &|(p, _, t)| {
        std::hint::black_box(lint_source(p, t, &options).diagnostics.len());
    });
    println!("check / parse = {:.2}x", check / parse);
    if std::env::var_os("FLOOR_SKIP_RUN").is_some() {
        return; // (profiling the per-file check alone)
    }
    // the whole run as the CLI makes it (discovery, reading, one classifier and one set of
    // rules for all files, the project index, the report), on one thread
    let whole = Options {
        jobs: 1,
        ..Options::default()
    };
    let run = (0..3)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(backlint::lint_paths(std::slice::from_ref(&dir), &whole));
            t.elapsed().as_secs_f64()
        })
        .fold(f64::MAX, f64::min);
    println!(
        "{:<12} {run:>8.3} s  {:>10.0} lines/s",
        "run (1 job)",
        lines as f64 / run
    );
    println!("run / parse = {:.2}x", run / parse);
}
