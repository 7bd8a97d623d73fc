//! `liveledger serve`: the service's API ([`crate::service`]) and the C2SP
//! tlog-tiles read API over HTTP, so any tlog-tiles client can mirror and
//! audit the log.
//!
//! - `GET /checkpoint`: the signed checkpoint, `text/plain; charset=utf-8`,
//!   not cached (it changes);
//! - `GET /tile/<L>/<N>[.p/<W>]`, `GET /tile/entries/<N>[.p/<W>]`:
//!   `application/octet-stream`, cached for a year as immutable (a tile at
//!   a given path never changes once a checkpoint covers it).
//!
//! Only tiles that the current checkpoint covers are served: files a crashed
//! ingest left beyond it are never exposed. Entry bundles hold commerce data
//! (pseudonymised), so they may require a bearer token.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::service::hub::Service;
use crate::service::node::Node;
use crate::service::pg::Pg;
use crate::service::tokens::{bearer, same};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use tlog::tile::{self, Level, TileId};
use tlog::LogReader;

/// Who may read entry bundles.
#[derive(Clone, Debug)]
pub enum EntryAccess {
    Public,
    /// Requests must carry `Authorization: Bearer <token>`.
    Token(String),
}

struct AppState {
    dir: DataDir,
    entries: EntryAccess,
}

pub fn router(dir: DataDir, entries: EntryAccess) -> Router {
    let state = Arc::new(AppState { dir, entries });
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile_file))
        .with_state(state)
}

/// How `serve` runs.
#[derive(Clone)]
pub struct Options {
    pub listen: String,
    pub entries: EntryAccess,
    /// The largest request body accepted (bytes).
    pub max_body: usize,
    pub retry: crate::service::webhooks::Retry,
    /// A client that has not sent a request's headers by then is dropped.
    pub header_timeout: std::time::Duration,
    /// Take events from NATS JetStream and publish alerts there.
    pub nats: Option<crate::service::nats::Nats>,
    /// Witnesses (`http://` URLs) asked to cosign each new checkpoint.
    pub witnesses: Vec<String>,
    /// PostgreSQL (`postgres://…`) for the projections: several nodes.
    pub database: Option<String>,
    /// With `database`: never append, only read (and forward writes).
    pub reader: bool,
    /// With `database`: the URL other nodes forward writes to when this
    /// node appends (default `http://` and the bound address).
    pub advertise: Option<String>,
}

fn failed(what: &str) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.to_string();
    move |e: std::io::Error| Error::Invalid(format!("{what}: {e}"))
}

/// Serves the API and the log until the process is stopped (SIGINT or
/// SIGTERM: then the analysis is saved as a snapshot); `on_ready` hears the
/// bound address.
///
/// Alone (no `database`), the process holds the data directory's lock for
/// its life. With `database`, it is one node of several
/// ([`crate::service::node`]): the appender if it gets the lock, else a
/// reader that takes over when the lock is freed (unless `reader`).
pub fn serve(
    dir: DataDir,
    opts: Options,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failed("no runtime for the HTTP server"))?;
    let node = rt.block_on(async {
        let Some(url) = opts.database.clone() else {
            let svc = Arc::new(Service::open(&dir, opts.max_body)?);
            let app = lead(svc.clone(), &dir, &opts).await?;
            let listener = bind(&opts.listen).await?;
            ready(&svc, &listener, on_ready)?;
            accept(listener, app, opts.header_timeout).await;
            return Ok::<_, Error>(Some(svc));
        };
        let pg = Pg::connect(&url).await?;
        let node = Arc::new(Node::new(pg, opts.max_body));
        let listener = bind(&opts.listen).await?;
        let addr = listener.local_addr().map_err(failed("no local address"))?;
        let advertise = opts.advertise.clone().unwrap_or(format!("http://{addr}"));
        if !opts.reader {
            match Service::open(&dir, opts.max_body) {
                Ok(svc) => take_over(&node, Arc::new(svc), &dir, &opts, &url, &advertise).await?,
                Err(Error::Busy(_)) => {
                    tracing::info!(
                        "another node holds the log: reading, and standing by to take over"
                    );
                    let (node, dir, opts) = (node.clone(), dir.clone(), opts.clone());
                    tokio::spawn(stand_by(node, dir, opts, url, advertise));
                }
                Err(e) => return Err(e),
            }
        }
        tracing::info!(%addr, appends = node.service().is_some(), "serving");
        on_ready(addr);
        accept(
            listener,
            crate::service::node::router(node.clone()),
            opts.header_timeout,
        )
        .await;
        Ok(node.service().cloned())
    })?;
    if let Some(svc) = node {
        tracing::info!("stopping: requests in flight finished; saving the analysis snapshot");
        svc.persist()?;
    }
    Ok(())
}

async fn bind(listen: &str) -> Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(listen)
        .await
        .map_err(failed(&format!("cannot listen on {listen}")))
}

fn ready(
    svc: &Service,
    listener: &tokio::net::TcpListener,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    let addr = listener.local_addr().map_err(failed("no local address"))?;
    tracing::info!(%addr, log_size = svc.dir.reader().map_or(0, |r| r.size()), "serving");
    on_ready(addr);
    Ok(())
}

/// Starts what the node holding the log runs besides answering — the
/// alerter, the cosigner, webhooks, NATS intake — and returns its routes.
async fn lead(svc: Arc<Service>, dir: &DataDir, opts: &Options) -> Result<Router> {
    let alerter = svc.clone();
    std::thread::Builder::new()
        .name("alerter".into())
        .spawn(move || {
            let mut a = crate::service::alerts::Alerter::default();
            loop {
                std::thread::sleep(crate::service::alerts::TICK);
                if let Err(e) = a.tick(&alerter) {
                    tracing::error!(error = %e, "alerter");
                }
            }
        })
        .map_err(Error::Thread)?;
    if !opts.witnesses.is_empty() {
        let (svc, urls) = (svc.clone(), opts.witnesses.clone());
        std::thread::Builder::new()
            .name("cosigner".into())
            .spawn(move || cosign_forever(&svc, &urls))
            .map_err(Error::Thread)?;
    }
    if let Some(n) = opts.nats.clone() {
        crate::service::nats::start(svc.clone(), n).await?;
    }
    tokio::spawn(crate::service::webhooks::run(svc.clone(), opts.retry));
    Ok(router(dir.clone(), opts.entries.clone())
        .merge(crate::service::api::router(svc.clone()))
        .merge(crate::service::dashboard::router(svc))
        .fallback(|| async {
            let body = serde_json::json!({"error": {"code": "not_found", "message": "no such endpoint (api.md lists them)"}});
            (StatusCode::NOT_FOUND, axum::Json(body))
        }))
}

/// Makes `node` the appender with `svc` (which holds the lock): it leads,
/// projects into PostgreSQL, logs readers' access records, and says
/// where it is so that other nodes forward writes to it.
async fn take_over(
    node: &Node,
    svc: Arc<Service>,
    dir: &DataDir,
    opts: &Options,
    url: &str,
    advertise: &str,
) -> Result<()> {
    let routes = lead(svc.clone(), dir, opts).await?;
    node.lead(svc.clone(), routes);
    tokio::spawn(crate::service::project::run(svc.clone(), node.pg.clone()));
    tokio::spawn(crate::service::project::log_access(
        svc,
        node.pg.clone(),
        url.to_string(),
    ));
    node.pg.set_appender(advertise).await?;
    tracing::info!(%advertise, "holding the log: appending");
    Ok(())
}

/// Tries the data directory's lock every second; takes over once it is
/// free (the appender stopped or died: the kernel frees its lock).
async fn stand_by(node: Arc<Node>, dir: DataDir, opts: Options, url: String, advertise: String) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let (d, max_body) = (dir.clone(), opts.max_body);
        let opened = tokio::task::spawn_blocking(move || Service::open(&d, max_body)).await;
        let result = match opened {
            Ok(Ok(svc)) => take_over(&node, Arc::new(svc), &dir, &opts, &url, &advertise).await,
            Ok(Err(Error::Busy(_))) => continue,
            Ok(Err(e)) => Err(e),
            Err(e) => Err(Error::Invalid(e.to_string())),
        };
        match result {
            Ok(()) => return,
            Err(e) => {
                tracing::error!(error = %e, "taking over the log");
                tokio::time::sleep(std::time::Duration::from_secs(4)).await;
            }
        }
    }
}

/// Asks every witness to cosign each new checkpoint, on a thread of its
/// own: the writer is lent only to build a request and to add the
/// cosignature, so a slow or refusing witness never holds up ingest. A
/// refusal (a rollback or fork, as the witness sees it) is logged as an
/// error and asked again after a pause.
fn cosign_forever(svc: &Service, urls: &[String]) {
    let mut witnesses: Vec<_> = urls
        .iter()
        .map(|u| crate::witness::Witness::new(u))
        .collect();
    let mut cosigned = vec![None; urls.len()];
    loop {
        let size = svc.dir.reader().map(|r| r.size()).ok();
        let mut pause = std::time::Duration::from_millis(250);
        for (w, done) in witnesses.iter_mut().zip(cosigned.iter_mut()) {
            if size.is_none() || *done == size {
                continue;
            }
            match w.cosign(|f| svc.with_log(f)) {
                Ok(at) => {
                    tracing::info!(witness = %w.url, size = at, "checkpoint cosigned");
                    *done = Some(at);
                }
                Err(e) => {
                    tracing::error!(witness = %w.url, error = %e, "cosigning");
                    pause = std::time::Duration::from_secs(5);
                }
            }
        }
        std::thread::sleep(pause);
    }
}

/// `liveledger witness serve`: a C2SP tlog-witness at
/// `POST /add-checkpoint`, cosigning checkpoints of the logs it knows
/// (`witness.logs`) that extend what it last cosigned of each (kept in the
/// file `state`, saved before each cosignature is returned). Requests are
/// handled one at a time, as the spec requires.
pub fn serve_witness(
    listen: &str,
    witness: tlog::witness::Witness,
    state: std::path::PathBuf,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<()> {
    use axum::routing::post;
    use std::sync::Mutex;
    use tlog::witness::Refusal;
    type Shared = Arc<Mutex<(tlog::witness::Witness, std::path::PathBuf)>>;
    async fn add(State(s): State<Shared>, body: String) -> Response {
        let Ok(guard) = s.lock() else {
            return (StatusCode::INTERNAL_SERVER_ERROR, "unusable state\n").into_response();
        };
        let (witness, path) = &*guard;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let result = crate::witness::load_seen(path).and_then(|mut seen| {
            let answer = witness.add_checkpoint(&mut seen, &body, now);
            if answer.is_ok() {
                crate::witness::save_seen(path, &seen)?;
            }
            Ok(answer)
        });
        match result {
            Ok(Ok(line)) => line.into_response(),
            Ok(Err(Refusal::Conflict { seen, why })) => {
                tracing::info!(%why, "refused");
                let size = [(header::CONTENT_TYPE, "text/x.tlog.size")];
                (StatusCode::CONFLICT, size, format!("{seen}\n")).into_response()
            }
            Ok(Err(r)) => {
                tracing::warn!(refusal = %r, "refused");
                let status = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::BAD_REQUEST);
                (status, format!("{r}\n")).into_response()
            }
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        }
    }
    let shared: Shared = Arc::new(Mutex::new((witness, state)));
    let app = Router::new()
        .route("/add-checkpoint", post(add))
        .with_state(shared);
    let failed = |what: &str| {
        let what = what.to_string();
        move |e: std::io::Error| Error::Invalid(format!("{what}: {e}"))
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(failed("no runtime for the witness"))?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(failed(&format!("cannot listen on {listen}")))?;
        on_ready(listener.local_addr().map_err(failed("no local address"))?);
        accept(listener, app, std::time::Duration::from_secs(10)).await;
        Ok(())
    })
}

/// Serves connections until the process is asked to stop, then lets the
/// requests in flight finish (for up to ten seconds).
///
/// hyper's connection builder directly, rather than `axum::serve`, for two
/// guarantees a public service needs: a client must send its headers
/// within `header_timeout` (slow-loris clients do not pin connections),
/// and running out of file handles only slows accepting down (it is
/// retried) instead of ending the process.
async fn accept(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: std::time::Duration,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stopped());
    loop {
        tokio::select! {
            conn = listener.accept() => match conn {
                Ok((stream, _)) => {
                    let service = TowerToHyperService::new(app.clone());
                    let mut builder = hyper::server::conn::http1::Builder::new();
                    builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    let conn = graceful.watch(conn);
                    tokio::spawn(async move {
                        let _ = conn.await;
                    });
                }
                // EMFILE and the like: the client waits in the backlog.
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            },
            _ = &mut stop => break,
        }
    }
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), graceful.shutdown()).await;
}

/// Resolves when the process is asked to stop.
async fn stopped() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        // No signal handling: run until killed (the log loses nothing).
        _ => std::future::pending().await,
    }
}

fn error(status: StatusCode, msg: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{msg}\n"),
    )
        .into_response()
}

/// The log at its latest checkpoint, or a 503 saying why not.
fn current(state: &AppState) -> Result<LogReader, Box<Response>> {
    state.dir.reader().map_err(|e| {
        Box::new(error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("log unavailable: {e:#}"),
        ))
    })
}

async fn checkpoint(State(state): State<Arc<AppState>>) -> Response {
    let reader = match current(&state) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        reader.note().to_string(),
    )
        .into_response()
}

async fn tile_file(
    State(state): State<Arc<AppState>>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let Some(t) = TileId::parse_path(&format!("tile/{path}")) else {
        return error(StatusCode::NOT_FOUND, "not a tlog-tiles path");
    };
    if let (Level::Entries, EntryAccess::Token(token)) = (t.level, &state.entries) {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        if !given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
            let mut r = error(
                StatusCode::UNAUTHORIZED,
                "entry bundles need a bearer token",
            );
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return r;
        }
    }
    let reader = match current(&state) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if !covered(t, reader.size()) {
        return error(
            StatusCode::NOT_FOUND,
            "no such tile at the current checkpoint",
        );
    }
    match reader.read_file(t) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            bytes,
        )
            .into_response(),
        // A narrower partial tile may have been deleted once the full tile
        // exists (C2SP allows it; clients fall back to the full tile).
        Err(_) => error(StatusCode::NOT_FOUND, "no such tile"),
    }
}

/// Whether the tree of `size` leaves contains tile `t` at (at least) its width.
fn covered(t: TileId, size: u64) -> bool {
    tile::tile_in_tree(t.level, t.index, size).is_some_and(|have| have.width >= t.width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage() {
        let t = |level, index, width| TileId {
            level,
            index,
            width,
        };
        assert!(covered(t(Level::Hashes(0), 0, 256), 256));
        assert!(!covered(t(Level::Hashes(0), 1, 256), 300));
        assert!(covered(t(Level::Hashes(0), 1, 44), 300));
        assert!(!covered(t(Level::Hashes(0), 1, 45), 300));
        assert!(covered(t(Level::Entries, 1, 10), 300));
        assert!(covered(t(Level::Hashes(1), 0, 1), 300));
        assert!(!covered(t(Level::Hashes(1), 0, 2), 300));
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive_and_the_token_exact() {
        for h in [
            "Bearer s3cret",
            "bearer s3cret",
            "BEARER  s3cret",
            " Bearer s3cret ",
        ] {
            assert_eq!(bearer(h), Some("s3cret"), "{h:?}");
        }
        for h in ["Basic s3cret", "Bearers3cret", "s3cret", ""] {
            assert_eq!(bearer(h), None, "{h:?}");
        }
        assert!(same(b"s3cret", b"s3cret"));
        assert!(!same(b"s3cret", b"s3creT") && !same(b"s3cret", b"s3cre"));
    }
}
