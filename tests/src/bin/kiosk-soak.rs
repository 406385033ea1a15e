//! `kiosk-soak [--terminals N] [--seconds S] [--seed X] [--bin-dir DIR] [--work-dir DIR] [--keep]`:
//! the chaos soak (see `kiosk_e2e::soak`). Prints what the chaos did, then exactly one final
//! line `soak: terminals=N accepted=A delivered=D duplicates=0 lost=0`; exits 0 when every
//! invariant held, 1 when one did not, 2 on a usage error, 3 when the soak could not be set up.

use std::path::PathBuf;
use std::process::ExitCode;

use kiosk_e2e::soak::{self, Options};

fn usage() -> ExitCode {
    eprintln!("usage: kiosk-soak [--terminals N] [--seconds S] [--seed X] [--bin-dir DIR] [--work-dir DIR] [--keep]");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let default_bins = std::env::current_exe().ok().and_then(|p| p.parent().map(PathBuf::from)).unwrap_or_default();
    let mut o = Options::new(2, 40, default_bins);
    let mut i = 0;
    while i < args.len() {
        let value = args.get(i + 1).cloned();
        let used = match (args[i].as_str(), value) {
            ("--terminals", Some(v)) => v.parse().ok().filter(|n| (1..=64).contains(n)).map(|n| o.terminals = n),
            ("--seconds", Some(v)) => v.parse().ok().filter(|s| (1..=86_400).contains(s)).map(|s| o.seconds = s),
            ("--seed", Some(v)) => v.parse().ok().map(|s| o.seed = s),
            ("--bin-dir", Some(v)) => {
                o.bin_dir = PathBuf::from(v);
                Some(())
            }
            ("--work-dir", Some(v)) => {
                o.work_dir = PathBuf::from(v);
                Some(())
            }
            ("--keep", _) => {
                o.keep = true;
                i += 1;
                continue;
            }
            _ => None,
        };
        if used.is_none() {
            return usage();
        }
        i += 2;
    }
    match soak::run(&o) {
        Ok(summary) => {
            for (what, n) in &summary.events {
                println!("  {what}: {n}");
            }
            for (kind, base, peak) in &summary.rss {
                println!("  memory {kind}: {} KiB 5 s after start, peak {} KiB (worst incarnation)", base, peak);
            }
            for p in &summary.problems {
                println!("  PROBLEM: {p}");
            }
            println!("{}", summary.final_line());
            if summary.passed() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        Err(e) => {
            eprintln!("kiosk-soak: {e:#}");
            ExitCode::from(3)
        }
    }
}
