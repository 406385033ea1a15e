//! `cargo xtask bench [--out FILE]`: every benchmark of the workspace in one run, one Markdown
//! report.
//!
//! Every bench target (`cargo bench --workspace --benches`, so a new crate's benches join by
//! themselves) prints Markdown sections on stdout:
//!
//! ```text
//! ## <crate> benchmarks[ (<variant>)]
//!
//! | benchmark | value | baseline | baseline value | ratio |
//! |---|---|---|---|---|
//! | <what> | <figure with unit> | <baseline measured in the same run> | <its figure> | <figure / baseline>× |
//! ```
//!
//! and may add a line in parentheses (a note, e.g. what was not run). This module checks that
//! every section in `EXPECTED` came out and that each row has a figure, a baseline and a ratio,
//! then writes the report with the run's context (commit, machine, toolchain) on top. The
//! `kiosk-ui` benches (issue 5) print the same format; add their section title to `EXPECTED`
//! (the `ui` entry) so a run without them fails.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{cargo, flag, root, Result};

/// Sections a complete run prints, by title prefix; `when` says whether it is required now.
struct Expected {
    title: &'static str,
    required: fn() -> bool,
}

fn always() -> bool {
    true
}

const EXPECTED: &[Expected] = &[
    Expected { title: "## kiosk-drivers benchmarks", required: always },
    Expected { title: "## kioskd benchmarks", required: always },
    Expected { title: "## kiosk-platform benchmarks (SQLite)", required: always },
    // `cargo xtask bench` always starts the test PostgreSQL server.
    Expected { title: "## kiosk-platform benchmarks (PostgreSQL)", required: always },
    // The touchscreen UI's benches (the Chromium comparison row needs Debian's chromium).
    Expected { title: "## kiosk-ui benchmarks", required: always },
];

/// One parsed section: its title, its table rows (cells), and its notes.
#[derive(Debug)]
pub struct Section {
    pub title: String,
    pub rows: Vec<Vec<String>>,
    pub notes: Vec<String>,
}

fn cells(line: &str) -> Vec<String> {
    line.trim().trim_matches('|').split('|').map(|c| c.trim().to_string()).collect()
}

/// Splits the benches' stdout into sections and checks every row.
pub fn parse(output: &str) -> Result<Vec<Section>> {
    let mut sections: Vec<Section> = Vec::new();
    for line in output.lines() {
        let t = line.trim();
        if let Some(title) = t.strip_prefix("## ") {
            sections.push(Section { title: format!("## {}", title.trim()), rows: Vec::new(), notes: Vec::new() });
            continue;
        }
        if t.is_empty() {
            continue;
        }
        let Some(section) = sections.last_mut() else {
            // Anything before the first section is a bench's chatter; keep it out of the report.
            continue;
        };
        if t.starts_with('|') {
            let c = cells(t);
            if c.first().is_some_and(|h| h == "benchmark") || c.iter().all(|x| x.chars().all(|ch| ch == '-' || ch == ':')) {
                continue;
            }
            if c.len() != 5 {
                return Err(format!("{}: a row without the five columns (benchmark, value, baseline, baseline value, ratio): {t}", section.title));
            }
            let ratio = c[4].trim_end_matches('×').trim();
            if ratio.parse::<f64>().map_or(true, |r| !r.is_finite()) {
                return Err(format!("{}: no ratio in {t}", section.title));
            }
            if c[1].is_empty() || c[2].is_empty() || c[3].is_empty() {
                return Err(format!("{}: a figure without its baseline: {t}", section.title));
            }
            section.rows.push(c);
        } else if t.starts_with('(') {
            section.notes.push(t.to_string());
        }
        // Anything else is chatter: libtest's "running N tests" / "test result" lines from the
        // library targets `cargo bench` also runs, progress dots.
    }
    for e in EXPECTED {
        if (e.required)() && !sections.iter().any(|s| s.title.starts_with(e.title)) {
            return Err(format!("the benchmark run printed no \"{}\" section", e.title));
        }
    }
    if let Some(empty) = sections.iter().find(|s| s.rows.is_empty()) {
        return Err(format!("{} has no figures", empty.title));
    }
    Ok(sections)
}

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program).args(args).output().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).map(str::trim).unwrap_or("unknown CPU").to_string();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = mem.lines().find(|l| l.starts_with("MemTotal:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()).map(|k| k / 1024.0 / 1024.0).unwrap_or(0.0);
    format!("{model}, {cores} cores available, {mem_gib:.1} GiB RAM")
}

/// The report: context, then every section as the benches printed it (checked).
pub fn report(sections: &[Section], postgres: &str) -> String {
    let mut r = String::new();
    r.push_str("# Open Kiosk benchmark report\n\n");
    r.push_str("Written by `cargo xtask bench`. Every figure is measured against a baseline measured in the same\n");
    r.push_str("run on the same machine; the ratio is figure / baseline (for rates higher is better, for times\n");
    r.push_str("and memory lower is better). Benchmarks run in release mode; no test asserts on timing.\n\n");
    let commit = command_line("git", &["-C", root().to_str().unwrap_or("."), "rev-parse", "--short", "HEAD"]);
    let dirty = !command_line("git", &["-C", root().to_str().unwrap_or("."), "status", "--porcelain", "--untracked-files=no"]).is_empty();
    r.push_str(&format!("- date: {}\n", command_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])));
    r.push_str(&format!("- commit: {}{}\n", if commit.is_empty() { "unknown" } else { &commit }, if dirty { " (with uncommitted changes)" } else { "" }));
    r.push_str(&format!("- machine: {}\n", machine()));
    r.push_str(&format!("- toolchain: {}\n", command_line("rustc", &["--version"])));
    r.push_str(&format!("- PostgreSQL: {postgres}\n"));
    let figures: usize = sections.iter().map(|s| s.rows.len()).sum();
    r.push_str(&format!("- {} sections, {} figures\n\n", sections.len(), figures));
    for s in sections {
        r.push_str(&s.title);
        r.push_str("\n\n| benchmark | value | baseline | baseline value | ratio |\n|---|---|---|---|---|\n");
        for row in &s.rows {
            r.push_str(&format!("| {} |\n", row.join(" | ")));
        }
        for n in &s.notes {
            r.push_str(&format!("\n{n}\n"));
        }
        r.push('\n');
    }
    r
}

pub fn bench(args: &[String]) -> Result<()> {
    let out = flag(args, "--out").map(PathBuf::from);
    crate::setup()?;
    // The platform's benchmarks also run on PostgreSQL.
    let (postgres_url, _server) = crate::test_postgres()?;
    let postgres_version = crate::postgres_bin()
        .ok()
        .map(|bin| command_line(bin.join("postgres").to_str().unwrap_or("postgres"), &["--version"]))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "from KIOSK_TEST_POSTGRES".into());
    let mut c = cargo();
    c.args(["bench", "--workspace", "--benches", "--quiet"]).env("KIOSK_TEST_POSTGRES", &postgres_url).stdout(Stdio::piped());
    eprintln!("xtask: running cargo bench --workspace --benches (several minutes)");
    let output = c.output().map_err(|e| format!("cannot run cargo bench: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(format!("cargo bench failed: {}\n{stdout}", output.status));
    }
    let sections = parse(&stdout)?;
    let report = report(&sections, &postgres_version);
    match out {
        Some(path) => {
            std::fs::write(&path, &report).map_err(|e| format!("writing {}: {e}", path.display()))?;
            eprintln!("xtask: benchmark report written to {}", path.display());
        }
        None => print!("{report}"),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "## kiosk-drivers benchmarks\n\n| benchmark | median | baseline | baseline median | ratio |\n|---|---|---|---|---|\n| card read | 21.3 ms | wire time | 20.1 ms | 1.06× |\n## kioskd benchmarks\n\n| benchmark | value | baseline | baseline value | ratio |\n|---|---|---|---|---|\n| submits | 120.0/s | bare insert | 300.0/s | 0.40× |\n## kiosk-platform benchmarks (SQLite)\n\n| benchmark | value | baseline | baseline value | ratio |\n|---|---|---|---|---|\n| ingest | 9000.0 records/s | bare | 40000.0 records/s | 0.23× |\n\n## kiosk-platform benchmarks (PostgreSQL)\n\n| benchmark | value | baseline | baseline value | ratio |\n|---|---|---|---|---|\n| ingest | 5000.0 records/s | bare | 20000.0 records/s | 0.25× |\n## kiosk-ui benchmarks\n\n| benchmark | value | baseline | baseline value | ratio |\n|---|---|---|---|---|\n| frame | 4.0 ms | pixel fill | 1.0 ms | 4.00× |\n";

    #[test]
    fn a_complete_run_parses_and_reports_every_figure() {
        let s = parse(SAMPLE).unwrap();
        assert_eq!(s.len(), 5);
        let r = report(&s, "test");
        assert!(r.contains("| card read | 21.3 ms | wire time | 20.1 ms | 1.06× |"));
        assert!(r.contains("| frame | 4.0 ms | pixel fill | 1.0 ms | 4.00× |"));
        assert!(r.contains("5 sections, 5 figures"));
    }

    #[test]
    fn libtest_chatter_between_sections_stays_out_of_the_report() {
        let noisy = SAMPLE.replace("## kioskd benchmarks", "running 3 tests\n\niii\n\ntest result: ok. 0 passed; 0 failed; 3 ignored\n\n(a note)\n## kioskd benchmarks");
        let r = report(&parse(&noisy).unwrap(), "test");
        assert!(!r.contains("running 3 tests") && !r.contains("test result") && !r.contains("\niii\n"), "{r}");
        assert!(r.contains("(a note)"));
    }

    #[test]
    fn a_missing_section_or_ratio_fails() {
        let without_pg = SAMPLE.split("## kiosk-platform benchmarks (PostgreSQL)").next().unwrap();
        assert!(parse(without_pg).unwrap_err().contains("PostgreSQL"));
        let broken = SAMPLE.replace("1.06×", "n/a");
        assert!(parse(&broken).unwrap_err().contains("no ratio"));
    }

    #[test]
    fn a_new_crates_section_in_the_same_format_is_reported() {
        let more = format!("{SAMPLE}\n## kiosk-soak benchmarks\n\n| benchmark | value | baseline | baseline value | ratio |\n|---|---|---|---|---|\n| drain | 4.0 s | idle | 1.0 s | 4.00× |\n");
        let s = parse(&more).unwrap();
        assert!(report(&s, "test").contains("| drain | 4.0 s | idle | 1.0 s | 4.00× |"));
    }
}
