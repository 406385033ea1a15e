//! `kiosk-platform`: the provincial platform. Argument parsing and wiring only.
//!
//! - `kiosk-platform serve --listen ADDR --db URL [...]`: run the service.
//! - `kiosk-platform admin --url URL --token-file FILE <command>`: the admin API's common tasks.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kiosk_platform::app::Options;
use kiosk_platform::client::{path_segment, query_value, AdminClient, HttpClient};
use kiosk_platform::clock::Clock;
use kiosk_platform::db::DbUrl;
use kiosk_platform::server::{self, ServeConfig};
use serde_json::{json, Value};

#[derive(Parser)]
#[command(name = "kiosk-platform", version, about = "The provincial platform of the village self-service terminals")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service.
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (put a TLS reverse proxy in front).
        #[arg(long)]
        listen: SocketAddr,
        /// sqlite:///path/platform.db, a file path, or postgres://user[:password]@host[:port]/database
        /// (no TLS: loopback, a Unix socket (?host=/run/postgresql) or a TLS tunnel).
        #[arg(long)]
        db: String,
        /// Admin token file (default: admin-token beside the database, or in the working directory with PostgreSQL; created when absent).
        #[arg(long)]
        admin_token_file: Option<PathBuf>,
        /// Catalogue signing key file (default: platform-signing.key beside the database, or in the working directory with PostgreSQL).
        #[arg(long)]
        signing_key_file: Option<PathBuf>,
        /// Key sealing forms at rest (default: platform-data.key beside the database, or in the working directory with PostgreSQL).
        #[arg(long)]
        data_key_file: Option<PathBuf>,
        /// Show a terminal offline after this many seconds without a heartbeat (default: three
        /// heartbeat intervals).
        #[arg(long)]
        offline_after_s: Option<u32>,
        /// Accept request timestamps at most this far from the platform's clock.
        #[arg(long, default_value_t = 300)]
        max_skew_s: i64,
        /// Requests handled at once; beyond it, 503 with Retry-After.
        #[arg(long, default_value_t = 64)]
        max_in_flight: usize,
    },
    /// Talk to a running platform's admin API.
    Admin {
        /// The platform's address.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The admin token file (`serve` prints its path).
        #[arg(long)]
        token_file: PathBuf,
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Enrolment tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Terminals and their lifecycle.
    Terminals {
        #[command(subcommand)]
        command: TerminalCommand,
    },
    /// Publish a catalogue file (its own version must be newer than the published one).
    Catalogue {
        #[command(subcommand)]
        command: PublishCommand,
    },
    /// Publish knowledge content from a file ([...] or {"knowledge": [...]}).
    Knowledge {
        #[command(subcommand)]
        command: PublishCommand,
    },
    /// Pause or resume a service item.
    Item {
        #[command(subcommand)]
        command: ItemCommand,
    },
    /// Fault reports.
    Faults {
        #[command(subcommand)]
        command: FaultCommand,
    },
    /// Export transactions, ratings or usage.
    Export {
        /// transactions, ratings or usage
        kind: String,
        #[arg(long, default_value = "csv")]
        format: String,
        /// Unix seconds, YYYY-MM-DD or RFC 3339.
        #[arg(long)]
        since: Option<String>,
        /// Only rows after this seq (incremental exports).
        #[arg(long)]
        after: Option<i64>,
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The catalogue signing public key, for terminal configuration.
    PlatformKey,
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Issue a one-time enrolment token bound to a division-code prefix.
    Create {
        /// 2 to 12 digits, e.g. 4418 (清远市).
        #[arg(long)]
        prefix: String,
        /// Terminals enrolled with it are approved at once.
        #[arg(long)]
        preapproved: bool,
        #[arg(long)]
        expires_in_s: Option<i64>,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// List tokens (never their secrets).
    List,
}

#[derive(Subcommand)]
enum TerminalCommand {
    /// List terminals with online/offline.
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// One terminal in detail.
    Show { id: String },
    Approve {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    Reject {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Move a terminal to a new (approved) site.
    Relocate {
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        division: String,
        #[arg(long)]
        reason: Option<String>,
    },
    Decommission {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Subcommand)]
enum PublishCommand {
    Publish { file: PathBuf },
}

#[derive(Subcommand)]
enum ItemCommand {
    /// Pause an item: the notice shows before and during the pause.
    Pause {
        code: String,
        #[arg(long)]
        notice: String,
        #[arg(long, default_value = "")]
        notice_en: String,
        /// RFC 3339, e.g. 2026-12-10T08:00:00+08:00
        #[arg(long)]
        from: String,
        #[arg(long)]
        until: String,
    },
    Resume { code: String },
}

#[derive(Subcommand)]
enum FaultCommand {
    List {
        #[arg(long, default_value = "open")]
        state: String,
    },
    Close {
        id: i64,
        #[arg(long, default_value = "")]
        note: String,
    },
}

fn init_logging() {
    let level = match std::env::var("KIOSK_LOG").ok().as_deref() {
        Some("error") => tracing::Level::ERROR,
        Some("warn") => tracing::Level::WARN,
        Some("debug") => tracing::Level::DEBUG,
        Some("trace") => tracing::Level::TRACE,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_max_level(level).with_ansi(false).init();
}

fn serve(config: ServeConfig) -> anyhow::Result<()> {
    // Opened before the runtime: the PostgreSQL client is synchronous and must not block inside
    // an async context (later storage calls run on the blocking pool).
    let opened = server::open(&config, Clock::System)?;
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let listener = server::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        if opened.admin_token_created {
            eprintln!("kiosk-platform: admin token written to {}", opened.admin_token_file.display());
        } else {
            eprintln!("kiosk-platform: admin token in {}", opened.admin_token_file.display());
        }
        tracing::info!(%addr, db = %config.db.display(), "kiosk-platform listening");
        println!("listening on http://{addr}");
        server::serve(listener, opened.app, server::signal()).await?;
        tracing::info!("kiosk-platform stopped");
        anyhow::Ok(())
    })
}

fn print(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()));
}

fn admin(url: &str, token_file: &Path, command: AdminCommand) -> anyhow::Result<()> {
    let token = kiosk_platform::keys::read_token_file(token_file)?;
    let c = AdminClient::new(HttpClient::new(url)?, token);
    let read = |f: &PathBuf| std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()));
    match command {
        AdminCommand::Token { command: TokenCommand::Create { prefix, preapproved, expires_in_s, note } } => print(&c.create_token(&prefix, preapproved, expires_in_s, &note)?),
        AdminCommand::Token { command: TokenCommand::List } => print(&c.get_json("/admin/v1/tokens")?),
        AdminCommand::Terminals { command } => match command {
            TerminalCommand::List { status } => {
                let path = match status {
                    Some(s) => format!("/admin/v1/terminals?status={}", query_value(&s)),
                    None => "/admin/v1/terminals".into(),
                };
                let v = c.get_json(&path)?;
                for t in v["terminals"].as_array().into_iter().flatten() {
                    println!(
                        "{}\t{}\t{}\t{}\t{}",
                        t["id"].as_str().unwrap_or(""),
                        t["status"].as_str().unwrap_or(""),
                        if t["online"] == json!(true) { "online" } else { "offline" },
                        t["site"]["division_code"].as_str().unwrap_or(""),
                        t["site"]["name"].as_str().unwrap_or("")
                    );
                }
            }
            TerminalCommand::Show { id } => print(&c.get_json(&format!("/admin/v1/terminals/{}", path_segment(&id)))?),
            TerminalCommand::Approve { id, reason } => print(&c.transition(&id, "approve", reason.as_deref())?),
            TerminalCommand::Reject { id, reason } => print(&c.transition(&id, "reject", reason.as_deref())?),
            TerminalCommand::Decommission { id, reason } => print(&c.transition(&id, "decommission", reason.as_deref())?),
            TerminalCommand::Relocate { id, name, division, reason } => print(&c.relocate(&id, &name, &division, reason.as_deref())?),
        },
        AdminCommand::Catalogue { command: PublishCommand::Publish { file } } => print(&c.publish_catalogue(&read(&file)?)?),
        AdminCommand::Knowledge { command: PublishCommand::Publish { file } } => print(&c.publish_knowledge(&read(&file)?)?),
        AdminCommand::Item { command: ItemCommand::Pause { code, notice, notice_en, from, until } } => print(&c.pause(&code, &notice, &notice_en, &from, &until)?),
        AdminCommand::Item { command: ItemCommand::Resume { code } } => print(&c.resume(&code)?),
        AdminCommand::Faults { command: FaultCommand::List { state } } => print(&c.get_json(&format!("/admin/v1/faults?state={}", query_value(&state)))?),
        AdminCommand::Faults { command: FaultCommand::Close { id, note } } => print(&c.post_json(&format!("/admin/v1/faults/{id}/close"), &json!({ "note": note }))?),
        AdminCommand::Export { kind, format, since, after, out } => {
            let text = c.export(&kind, &format, since.as_deref(), after)?;
            match out {
                Some(f) => std::fs::write(&f, text).with_context(|| format!("cannot write {}", f.display()))?,
                None => print!("{text}"),
            }
        }
        AdminCommand::PlatformKey => print(&c.get_json("/admin/v1/platform-key")?),
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { listen, db, admin_token_file, signing_key_file, data_key_file, offline_after_s, max_skew_s, max_in_flight } => {
            init_logging();
            DbUrl::parse(&db).map_err(anyhow::Error::from).and_then(|db| {
                serve(ServeConfig {
                    listen,
                    db,
                    admin_token_file,
                    signing_key_file,
                    data_key_file,
                    options: Options { offline_after_s, max_skew_s, max_in_flight, ..Options::default() },
                })
            })
        }
        Command::Admin { url, token_file, command } => admin(&url, &token_file, command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk-platform: {e:#}");
            ExitCode::FAILURE
        }
    }
}
