//! The parsing floor against the full check, single-threaded, on every supported file under a
//! directory: `cargo run --release --example floor -- DIR`. Prints files, lines, MB and the
//! seconds and lines/s for parse only, parse + lowering, and the full check.

use std::path::PathBuf;
use std::time::Instant;

use backlint::config::Config;
use backlint::lang::{self, Dialect};
use backlint::{lint_source, Options};

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).expect("usage: floor DIR"));
    let (paths, _) = backlint::discover::discover(&[dir], &Config::default());
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
}
