//! One node of a deployment on PostgreSQL (`serve --database`): it answers
//! either as the appender, when it holds the data directory's lock, or as
//! a reader, from the projections in PostgreSQL ([`super::pg`]).
//!
//! - A reader answers the sessions list, session and product reports,
//!   cases and alerts (list and stream) from PostgreSQL, scoped by the same
//!   `Principal` checks as the appender, with the tokens the appender
//!   projected. What needs the log or writes to it (events, case actions,
//!   complaints, interventions, listing checks, proofs, tiles, the
//!   dashboard) is forwarded to the appender named in PostgreSQL, with the
//!   caller's credentials; with no appender it is a 503 that says so.
//! - A reader shows order- or account-level data only once its `access`
//!   record is in the log: queued in PostgreSQL, logged by the appender.
//! - A node that is not `--reader` but found the lock taken is a standby:
//!   it answers as a reader and tries the lock every second; when the
//!   appender dies the kernel frees the lock and the standby takes over
//!   from the durable log ([`Node::lead`] swaps every route at once).

use super::api::{self, AlertFilter, Answer, ApiError, CaseFilter};
use super::hub::{now, Service};
use super::pg::Pg;
use super::tokens::{self, Principal, Role, TokenRec};
use crate::record;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a reader trusts what it read of tokens and of the appender.
const FRESH: Duration = Duration::from_secs(1);
/// How long a reader waits for the appender to log an access record.
const ACCESS_WAIT: Duration = Duration::from_secs(10);
/// Set on a forwarded request, so that it is never forwarded twice.
const FORWARDED: &str = "liveledger-forwarded";

pub struct Node {
    pub pg: Pg,
    /// Set once this node holds the log: its service and routes.
    leader: OnceLock<(Arc<Service>, Router)>,
    tokens: Mutex<Option<(Instant, Vec<TokenRec>)>>,
    max_body: usize,
}

type Shared = Arc<Node>;

impl Node {
    pub fn new(pg: Pg, max_body: usize) -> Node {
        Node {
            pg,
            leader: OnceLock::new(),
            tokens: Mutex::new(None),
            max_body,
        }
    }

    /// From now on this node appends: every route is the appender's.
    pub fn lead(&self, svc: Arc<Service>, routes: Router) {
        let _ = self.leader.set((svc, routes));
    }

    /// The service, if this node holds the log.
    pub fn service(&self) -> Option<&Arc<Service>> {
        self.leader.get().map(|(s, _)| s)
    }

    async fn principal(&self, token: &str) -> Result<Option<Principal>, ApiError> {
        let cached = self
            .tokens
            .lock()
            .ok()
            .and_then(|c| c.clone())
            .filter(|(at, _)| at.elapsed() < FRESH);
        let list = match cached {
            Some((_, list)) => list,
            None => {
                let list = self.pg.tokens().await?;
                if let Ok(mut c) = self.tokens.lock() {
                    *c = Some((Instant::now(), list.clone()));
                }
                list
            }
        };
        Ok(tokens::authenticate(&list, token, now()))
    }
}

/// Every route of a node: the appender's once it leads, a reader's until then.
pub fn router(node: Shared) -> Router {
    let reader = reader_routes(node.clone());
    Router::new().fallback(move |req: Request| {
        let (node, reader) = (node.clone(), reader.clone());
        async move {
            use tower::ServiceExt;
            let routes = node.leader.get().map_or(reader, |(_, r)| r.clone());
            match routes.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            }
        }
    })
}

fn reader_routes(node: Shared) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/sessions", get(sessions))
        .route("/v1/sessions/{id}/report", get(session_report))
        .route("/v1/products/{id}/report", get(product_report))
        .route("/v1/cases", get(cases))
        .route("/v1/cases/{id}", get(case))
        .route("/v1/alerts", get(alerts))
        .route("/v1/alerts/stream", get(alert_stream))
        .fallback(forward)
        .with_state(node)
}

fn unavailable(message: String) -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "no_appender", message)
}

async fn who(node: &Node, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(tokens::bearer)
        .ok_or_else(|| {
            unauthorized("send Authorization: Bearer <token> (liveledger token issue)")
        })?;
    node.principal(token)
        .await?
        .ok_or_else(|| unauthorized("unknown, revoked or expired token"))
}

/// Records that `p` is shown `resource`: returns once the appender logged it.
async fn access(node: &Node, p: &Principal, resource: &str) -> Result<(), ApiError> {
    let ev = record::access(&p.name, p.role.as_str(), resource, now())?;
    let id = node.pg.queue_access(&ev).await?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    while start.elapsed() < ACCESS_WAIT {
        if node.pg.access_logged(id).await? {
            return Ok(());
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
    Err(unavailable(format!(
        "no appender logged the access record of this answer within {} s, so it is not shown; try again when a node holds the log",
        ACCESS_WAIT.as_secs()
    )))
}

/// Not projected yet: the appender has not written its first projection.
fn not_projected() -> ApiError {
    unavailable("nothing is projected into PostgreSQL yet: start a node that holds the log".into())
}

async fn healthz(State(node): State<Shared>) -> Answer {
    let size = node.pg.checkpoint().await?.map_or(0, |(s, _, _)| s);
    let appender = node.pg.appender().await?;
    api::ok(json!({ "ok": true, "size": size, "appends": false, "appender": appender }))
}

async fn sessions(State(node): State<Shared>, headers: HeaderMap) -> Answer {
    let p = who(&node, &headers).await?;
    let mut rows: Vec<Value> = node
        .pg
        .sessions()
        .await?
        .into_iter()
        .filter(|(o, _)| p.sees_session(o))
        .map(|(_, row)| row)
        .collect();
    rows.sort_by(|a, b| b["started"].as_str().cmp(&a["started"].as_str()));
    api::ok(Value::Array(rows.iter().map(api::api_row).collect()))
}

async fn session_report(
    State(node): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let p = who(&node, &headers).await?;
    // Other merchants' sales are theirs: a merchant reads its own view.
    let merchant = p.scope.as_deref().filter(|_| p.role == Role::Merchant);
    let found = node.pg.session(&id, merchant).await?;
    let Some((_, mut report, checkpoint)) = found.filter(|(o, _, _)| p.sees_session(o)) else {
        return Err(ApiError::not_found(&format!("session {id:?}")));
    };
    report["checkpoint"] = checkpoint;
    access(&node, &p, &format!("/v1/sessions/{id}/report")).await?;
    api::ok(report)
}

async fn product_report(
    State(node): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let p = who(&node, &headers).await?;
    match node.pg.product(&id).await? {
        Some((o, mut report, checkpoint)) if p.sees_product(&o) => {
            report["checkpoint"] = checkpoint;
            api::ok(report)
        }
        _ => Err(ApiError::not_found(&format!("product {id:?}"))),
    }
}

/// A case answer as of now: `overdue` moves with the clock.
fn as_of(mut answer: Value, at: chrono::DateTime<chrono::FixedOffset>) -> Value {
    let overdue = answer["due"]
        .as_str()
        .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
        .is_some_and(|d| d < at);
    answer["overdue"] = Value::Bool(overdue);
    answer
}

async fn cases(
    State(node): State<Shared>,
    headers: HeaderMap,
    f: Result<Query<CaseFilter>, QueryRejection>,
) -> Answer {
    let f = api::query(f)?;
    let p = who(&node, &headers).await?;
    f.status()?;
    let (all, checkpoint, pack) = node.pg.cases(None).await?.ok_or_else(not_projected)?;
    let at = now();
    let same = |field: &str, want: &Option<String>, c: &Value| {
        want.as_deref().is_none_or(|w| c[field] == w)
    };
    let matched: Vec<Value> = all
        .into_iter()
        .filter(|(o, _)| p.sees_case(o))
        .map(|(_, c)| as_of(c, at))
        .filter(|c| same("session", &f.session, c) && same("product", &f.product, c))
        .filter(|c| same("status", &f.status, c))
        .filter(|c| !f.overdue || c["overdue"] == true)
        .collect();
    let total = matched.len();
    let page: Vec<Value> = matched
        .into_iter()
        .skip(f.offset)
        .take(f.limit.unwrap_or(usize::MAX))
        .collect();
    let v = json!({
        "pack": pack,
        "now": at.to_rfc3339(),
        "total": total,
        "cases": page,
        "checkpoint": checkpoint,
    });
    access(&node, &p, "/v1/cases").await?;
    api::ok(v)
}

async fn case(State(node): State<Shared>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let p = who(&node, &headers).await?;
    let (found, checkpoint, _) = node.pg.cases(Some(&id)).await?.unwrap_or_default();
    let Some((_, answer)) = found.into_iter().find(|(o, _)| p.sees_case(o)) else {
        return Err(ApiError::not_found(&format!("case {id:?}")));
    };
    let mut v = as_of(answer, now());
    v["checkpoint"] = checkpoint;
    access(&node, &p, &format!("/v1/cases/{id}")).await?;
    api::ok(v)
}

async fn alerts(
    State(node): State<Shared>,
    headers: HeaderMap,
    f: Result<Query<AlertFilter>, QueryRejection>,
) -> Answer {
    let f = api::query(f)?;
    let p = who(&node, &headers).await?;
    let list: Vec<Value> = node
        .pg
        .alerts(0)
        .await?
        .into_iter()
        .filter(|(_, o, a)| p.sees_session(o) && f.wants(a))
        .map(|(_, _, a)| a)
        .collect();
    api::ok(Value::Array(list))
}

/// Alerts as server-sent events, as the appender streams them: the same
/// ids, so a client may resume on any node with `Last-Event-ID`.
async fn alert_stream(State(node): State<Shared>, headers: HeaderMap) -> Answer {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let p = who(&node, &headers).await?;
    let from: i64 = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let stream = futures_util::stream::unfold(
        (node, p, from, Vec::new()),
        |(node, p, mut at, mut queue)| async move {
            loop {
                if !queue.is_empty() {
                    let (id, alert): (i64, Value) = queue.remove(0);
                    let ev = Event::default()
                        .event("alert")
                        .id(id.to_string())
                        .data(alert.to_string());
                    return Some((Ok::<_, std::convert::Infallible>(ev), (node, p, at, queue)));
                }
                match node.pg.alerts(at).await {
                    Ok(rows) => {
                        at = rows.last().map_or(at, |(n, _, _)| *n);
                        queue = rows
                            .into_iter()
                            .filter(|(_, o, _)| p.sees_session(o))
                            .map(|(n, _, a)| (n, a))
                            .collect();
                    }
                    Err(e) => tracing::warn!(error = %e, "alert stream"),
                }
                if queue.is_empty() {
                    tokio::time::sleep(super::alerts::TICK).await;
                }
            }
        },
    );
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Sends a request this node cannot answer to the appender, with the
/// caller's credentials, and its answer back.
async fn forward(State(node): State<Shared>, req: Request) -> Response {
    match forwarded(&node, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn forwarded(node: &Node, req: Request) -> Answer {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    if req.headers().contains_key(FORWARDED) {
        return Err(unavailable(
            "this request was forwarded to a node that does not hold the log (the appender changed); try again".into(),
        ));
    }
    let Some(base) = node.pg.appender().await? else {
        return Err(unavailable(
            "this node only reads (PostgreSQL) and no appender has registered: writes, proofs, tiles and listing checks need the node that holds the log".into(),
        ));
    };
    let (mut parts, body) = req.into_parts();
    let body = axum::body::to_bytes(body, node.max_body)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the body is over {} bytes: send it in parts (events are deduplicated by id)",
                    node.max_body
                ),
            )
        })?;
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = format!("{}{path}", base.trim_end_matches('/'))
        .parse()
        .map_err(|e| unavailable(format!("the appender's address {base:?} is not a URL: {e}")))?;
    parts.headers.remove(header::HOST);
    parts
        .headers
        .insert(FORWARDED, HeaderValue::from_static("1"));
    let out = axum::http::Request::from_parts(parts, http_body_util::Full::new(body));
    let client = Client::builder(TokioExecutor::new()).build_http();
    let answer = client.request(out).await.map_err(|e| {
        unavailable(format!(
            "the appender at {base} did not answer ({e}); writes resume when a node holds the log again"
        ))
    })?;
    let (parts, body) = answer.into_parts();
    // Streamed back as it comes (a live page's events, too).
    Ok(Response::from_parts(parts, Body::new(body)))
}
