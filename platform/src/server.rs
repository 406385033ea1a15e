//! Wiring: opening storage and keys from a [`ServeConfig`], serving on a listener until a
//! shutdown future resolves, and the housekeeping task (forgetting nonces older than twice the
//! skew window: a replay of an older request fails the timestamp check anyway).

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::app::{App, Options};
use crate::clock::Clock;
use crate::db::{self, DbUrl, StoreError};
use crate::keys::{self, DataKey, KeyError};

/// `kiosk-platform serve`'s settings.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub db: DbUrl,
    /// Default: `admin-token` beside the database (PostgreSQL: in the working directory).
    pub admin_token_file: Option<PathBuf>,
    /// Default: `platform-signing.key` beside the database (PostgreSQL: in the working directory).
    pub signing_key_file: Option<PathBuf>,
    /// Default: `platform-data.key` beside the database (PostgreSQL: in the working directory).
    pub data_key_file: Option<PathBuf>,
    pub options: Options,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}: give the file explicitly")]
    NoDefault(&'static str),
}

/// What [`open`] made.
pub struct Opened {
    pub app: Arc<App>,
    pub admin_token_file: PathBuf,
    /// The admin token file was created now.
    pub admin_token_created: bool,
    pub signing_key_file: PathBuf,
}

fn beside(db: &DbUrl, explicit: &Option<PathBuf>, name: &str, what: &'static str) -> Result<PathBuf, SetupError> {
    if let Some(p) = explicit {
        return Ok(p.clone());
    }
    match db {
        DbUrl::Sqlite(path) => Ok(path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).join(name)),
        // No file beside a server database: the working directory, like a relative SQLite path.
        DbUrl::Postgres(_) => {
            let _ = what;
            Ok(PathBuf::from(name))
        }
    }
}

/// Opens storage and keys (creating what is absent) and builds the service state.
pub fn open(config: &ServeConfig, clock: Clock) -> Result<Opened, SetupError> {
    let store = db::open(&config.db)?;
    let admin_token_file = beside(&config.db, &config.admin_token_file, "admin-token", "--admin-token-file")?;
    let signing_key_file = beside(&config.db, &config.signing_key_file, "platform-signing.key", "--signing-key-file")?;
    let data_key_file = beside(&config.db, &config.data_key_file, "platform-data.key", "--data-key-file")?;
    let (admin_token, admin_token_created) = keys::load_or_create_admin_token(&admin_token_file)?;
    let (signing_key, created) = keys::load_or_create_signing_key(&signing_key_file)?;
    if created {
        tracing::info!(path = %signing_key_file.display(), "catalogue signing key created");
    }
    let data_key = DataKey::load_or_create(&data_key_file)?;
    let app = App::new(store, signing_key, data_key, admin_token, clock, config.options.clone());
    Ok(Opened { app, admin_token_file, admin_token_created, signing_key_file })
}

/// Binds the listener.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, SetupError> {
    tokio::net::TcpListener::bind(addr).await.map_err(|source| SetupError::Bind { addr, source })
}

async fn housekeeping(app: Arc<App>) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let before = app.now() - 2 * app.options.max_skew_s - 60;
        let store = app.db.clone();
        match tokio::task::spawn_blocking(move || store.purge_nonces(before)).await {
            Ok(Ok(n)) if n > 0 => tracing::debug!(n, "old nonces forgotten"),
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot purge nonces"),
            Err(e) => tracing::warn!(error = %e, "nonce purge task failed"),
        }
    }
}

/// Serves until `shutdown` resolves (then finishes the requests in flight).
pub async fn serve(listener: tokio::net::TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let chores = tokio::spawn(housekeeping(app.clone()));
    let result = axum::serve(listener, crate::api::router(app)).with_graceful_shutdown(shutdown).await;
    chores.abort();
    result
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
