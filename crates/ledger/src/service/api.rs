//! The `/v1` HTTP API of api.md, with `/healthz` and `/metrics`.
//!
//! Every `/v1` request carries `Authorization: Bearer <token>`: none or an
//! unknown one is 401; a resource outside the token's scope is 404, as if
//! it did not exist; an action its role may not take is 403. Errors are
//! `{"error": {"code", "message"}}`. Responses with order- or account-level
//! data (a session report, cases, proofs) are recorded as `access` events
//! before they are sent.

use super::hub::{now, Service};
use super::openapi::{self, Routes};
use super::tokens::{Principal, Role};
use crate::answer::case::CaseAnswer;
use crate::answer::product::{GateAnswer, ProductAnswer};
use crate::answer::session::SessionAnswer;
use crate::error::Error;
use crate::record;
use analysis::cases::case::Status;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use events::{CaseAction, ComplaintCategory, InterventionAction};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

type Svc = Arc<Service>;

/// An error as the API reports it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub(super) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub(super) fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no {what}"))
    }
    fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid", message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let (status, code) = match &e {
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Invalid(_) => (StatusCode::BAD_REQUEST, "invalid"),
            Error::Busy(_) => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        };
        ApiError::new(status, code, e.to_string())
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::from(Error::from(e))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "code": self.code, "message": self.message } });
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

pub(super) type Answer = Result<Response, ApiError>;

pub(super) fn ok(v: Value) -> Answer {
    Ok(axum::Json(v).into_response())
}

pub fn router(svc: Svc) -> Router {
    routes()
        .router
        .route_layer(middleware::from_fn_with_state(svc.clone(), track))
        .with_state(svc)
}

/// Every route of the API with its documentation (`/openapi.json`).
pub fn routes() -> Routes<Svc> {
    use openapi::{any_text, names, object, text, time, Op};
    let op = |summary, roles, answer| Op {
        summary,
        roles,
        answer,
        body: None,
        takes: &["application/json"],
        query: Vec::new(),
        produces: "application/json",
        auth: true,
    };
    let produces = |produces, o: Op| Op { produces, ..o };
    let query = |o: Op, query: Vec<(&'static str, Value)>| Op { query, ..o };
    let with = |o: Op, schema: Value, example: Value| Op {
        body: Some((schema, example)),
        ..o
    };
    let public = |o: Op| Op { auth: false, ..o };
    let document: Arc<OnceLock<Value>> = Arc::default();
    let served = document.clone();
    let r = Routes::new()
        .add(Method::GET, "/healthz", healthz, public(op("Liveness, with the log's size and whether this node appends", "anyone", "{ok, size}")))
        .add(Method::GET, "/metrics", metrics, public(produces("text/plain", op("Prometheus metrics", "anyone", "the text exposition format"))))
        .add(Method::POST, "/v1/events", post_events, Op {
            // Any media type is read as NDJSON; text/plain is listed
            // for clients that only send what they know.
            takes: &["application/x-ndjson", "text/plain"],
            ..with(
                op("Ingest an NDJSON body of events", "platform, producer (their own platform's sessions)", "the `ingest --json` object with the checkpoint, once every accepted line is in it; a line that is not an event is rejected with its reason, the others are logged"),
                // No `type`: whatever is sent is read as lines of text, each
                // line an event or a rejection with its reason.
                json!({"minLength": 1, "description": "events, one JSON object per line (docs/spec/events.md)"}),
                json!("{\"type\":\"session_started\",\"id\":\"doc-s9-start\",\"at\":\"2020-04-03T20:00:00+08:00\",\"session\":\"doc-s9\",\"anchor\":\"a1\",\"platform\":\"douyin\"}\n"),
            )
        })
        .add(Method::GET, "/v1/sessions", sessions, op("The sessions in scope", "all but consumer and producer", "[{session, anchor, platform, started, ended, flags: [code], verified_gmv, estimated_real, ...}], newest first"))
        .add(Method::GET, "/v1/sessions/{id}/report", session_report, op("A session report", "regulator, its platform, MCN, anchor; a merchant that sold in it (its own sales)", "report.md §1"))
        .add(Method::POST, "/v1/sessions/{id}/interventions", intervention, with(
            op("Act on a session (logged)", "regulator; the session's platform", "the logged `intervention` event"),
            object(
                &[("action", names(&InterventionAction::ALL)), ("reason", text())],
                &[("product", text()), ("alert", text())],
            ),
            json!({"action": "warn", "reason": "claims under review"}),
        ))
        .add(Method::GET, "/v1/products/{id}/report", product_report, op("A product report", "regulator; its merchant; platforms it was listed on", "report.md §2"))
        .add(Method::POST, "/v1/listing-checks", listing_check, with(
            op("The pre-live gate", "regulator; an anchor for itself; an MCN for its anchors; a merchant for its products", "{allowed, reasons}"),
            object(&[("product", text()), ("anchor", text())], &[("at", time())]),
            json!({"product": "p1", "anchor": "a1"}),
        ))
        .add(Method::GET, "/v1/cases", cases, query(
            op("After-sales cases in scope", "everyone with a scope", "report.md §3 list"),
            vec![
                ("session", any_text()),
                ("product", any_text()),
                ("status", names(&Status::ALL)),
                ("overdue", json!({"type": "boolean"})),
                ("limit", json!({"type": "integer", "minimum": 0})),
                ("offset", json!({"type": "integer", "minimum": 0})),
            ],
        ))
        .add(Method::GET, "/v1/cases/{id}", case, op("One case", "everyone with a scope", "report.md §3 case"))
        .add(Method::POST, "/v1/cases/{id}/actions", case_action, with(
            op("Act on a case; the token's name is the actor", "by role: see api.md", "the case after it"),
            object(&[("action", names(&CaseAction::ALL))], &[("note", any_text())]),
            json!({"action": "escalate", "note": "overdue"}),
        ))
        .add(Method::POST, "/v1/complaints", complaint, with(
            op("File a complaint on one's own order", "consumer", "the new case"),
            object(
                &[("order", text()), ("category", names(&ComplaintCategory::ALL))],
                &[("text", any_text()), ("claim_ref", text())],
            ),
            json!({"order": "o0", "category": "quality", "text": "broken seal"}),
        ))
        .add(Method::GET, "/v1/proofs/{event_id}", proof, op("An inclusion bundle for one event", "whoever may see the event", "the `prove` bundle"))
        .add(Method::GET, "/v1/alerts", alerts, query(
            op("Alerts in scope", "all but consumer and producer", "[{alert, session, code, severity, summary, raised_at, evidence, checkpoint}], oldest first"),
            vec![("session", any_text()), ("since", time())],
        ))
        .add(Method::GET, "/v1/alerts/stream", alert_stream, produces("text/event-stream", op("Alerts in scope as server-sent events, live; resumable with Last-Event-ID", "all but consumer and producer", "text/event-stream: `event: alert`, `id: N`, `data: <alert>`")))
        .add(Method::GET, "/openapi.json", move || async move { axum::Json(served.get().cloned().unwrap_or_default()) }, public(op("This document", "anyone", "OpenAPI 3.1")));
    let _ = document.set(r.document());
    r
}

/// Counts every request by route and status, and times it.
async fn track(State(svc): State<Svc>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().clone();
    let start = Instant::now();
    let r = next.run(req).await;
    let (status, took) = (r.status().as_u16(), start.elapsed());
    svc.metrics.request(&route, status, took);
    let ms = took.as_secs_f64() * 1e3;
    if r.status().is_server_error() {
        tracing::error!(%method, %route, status, ms, "request failed");
    } else {
        tracing::debug!(%method, %route, status, ms, "request");
    }
    r
}

/// Runs `f` on the blocking pool: the log's fsyncs and judging must not
/// hold up the threads that serve connections.
pub(super) async fn blocking<T: Send + 'static>(
    svc: &Svc,
    f: impl FnOnce(&Service) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let svc = svc.clone();
    tokio::task::spawn_blocking(move || f(&svc))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
}

/// The principal of the request's bearer token.
async fn who(svc: &Svc, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let unauthorized = |m: &str| ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", m);
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(super::tokens::bearer)
        .ok_or_else(|| unauthorized("send Authorization: Bearer <token> (liveledger token issue)"))?
        .to_string();
    blocking(svc, move |s| Ok(s.principal(&token)?))
        .await?
        .ok_or_else(|| unauthorized("unknown, revoked or expired token"))
}

async fn healthz(State(svc): State<Svc>) -> Answer {
    let size = blocking(&svc, |s| Ok(s.live()?.analysis.reader.size())).await?;
    ok(json!({ "ok": true, "size": size, "appends": true }))
}

async fn metrics(State(svc): State<Svc>) -> Answer {
    let size = blocking(&svc, |s| Ok(s.live()?.analysis.reader.size())).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        svc.metrics.render(size),
    )
        .into_response())
}

async fn post_events(State(svc): State<Svc>, headers: HeaderMap, body: Body) -> Answer {
    let p = who(&svc, &headers).await?;
    if !p.ingests() {
        return Err(ApiError::forbidden(format!(
            "a {} token may not send events",
            p.role.as_str()
        )));
    }
    let bytes = axum::body::to_bytes(body, svc.max_body)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the body is over {} bytes: send it in parts (events are deduplicated by id)",
                    svc.max_body
                ),
            )
        })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid(
            "the body is empty: send events, one JSON object per line",
        ));
    }
    let report = blocking(&svc, move |s| {
        Ok(s.ingest_body(&p, bytes.to_vec(), true)?)
    })
    .await?;
    let mut v = report.to_json(false);
    v["checkpoint"] = blocking(&svc, |s| Ok(s.live()?.analysis.checkpoint_json())).await?;
    ok(v)
}

/// The api.md row of a session: SessionRow's figures, flags as codes.
pub(super) fn api_row(row: &Value) -> Value {
    let mut r = row.clone();
    let codes: Vec<Value> = row["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["code"].clone())
        .collect();
    r["flags"] = Value::Array(codes);
    r
}

/// The sessions `p` may see, as `sessions --json` rows, newest first.
pub(super) fn session_rows(s: &Service, p: &Principal) -> Result<Vec<Value>, ApiError> {
    let mut live = s.live()?;
    let an = &live.analysis.analyzer;
    let visible: Vec<String> = an
        .session_ids()
        .filter(|id| an.session_owners(&id.0).is_some_and(|o| p.sees_session(&o)))
        .map(|id| id.0.clone())
        .collect();
    let mut rows: Vec<Value> = live
        .judged()?
        .sessions
        .iter()
        .filter(|j| visible.contains(&j.id))
        .map(|j| j.row.clone())
        .collect();
    rows.sort_by(|a, b| b["started"].as_str().cmp(&a["started"].as_str()));
    Ok(rows)
}

async fn sessions(State(svc): State<Svc>, headers: HeaderMap) -> Answer {
    let p = who(&svc, &headers).await?;
    let rows = blocking(&svc, move |s| session_rows(s, &p)).await?;
    ok(Value::Array(rows.iter().map(api_row).collect()))
}

async fn session_report(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let p = who(&svc, &headers).await?;
    let resource = format!("/v1/sessions/{id}/report");
    blocking(&svc, move |s| {
        let v = {
            let mut live = s.live()?;
            let owners = live.analysis.analyzer.session_owners(&id);
            if !owners.is_some_and(|o| p.sees_session(&o)) {
                return Err(ApiError::not_found(&format!("session {id:?}")));
            }
            match (p.role, p.scope.as_deref()) {
                // Other merchants' sales are theirs: a merchant sees its own.
                (Role::Merchant, Some(m)) => {
                    let a = &live.analysis;
                    let r = a
                        .analyzer
                        .session_report_for_merchant(&id, m)
                        .ok_or_else(|| ApiError::not_found(&format!("session {id:?}")))?;
                    a.with_checkpoint(SessionAnswer::new(&r, &|l| a.event_id(l)))?
                }
                _ => live.judged()?.session_json(&id)?,
            }
        };
        s.access(&p, &resource)?;
        Ok(v)
    })
    .await
    .and_then(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Intervention {
    pub action: String,
    #[serde(default, deserialize_with = "some_text")]
    pub product: Option<String>,
    #[serde(deserialize_with = "text")]
    pub reason: String,
    #[serde(default, deserialize_with = "some_text")]
    pub alert: Option<String>,
}

async fn intervention(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let p = who(&svc, &headers).await?;
    let req: Intervention = body(&bytes)?;
    blocking(&svc, move |s| intervene(s, &p, &id, req))
        .await
        .and_then(ok)
}

/// `p` acts on session `id`: the logged `intervention` event.
pub(super) fn intervene(
    s: &Service,
    p: &Principal,
    id: &str,
    req: Intervention,
) -> Result<Value, ApiError> {
    let owners = s.live()?.analysis.analyzer.session_owners(id);
    if !owners.is_some_and(|o| p.sees_session(&o)) {
        return Err(ApiError::not_found(&format!("session {id:?}")));
    }
    if !matches!(p.role, Role::Regulator | Role::Platform) {
        return Err(ApiError::forbidden(format!(
            "a {} token may not intervene in a session",
            p.role.as_str()
        )));
    }
    let ev = record::intervention(
        id,
        &req.action,
        req.product.as_deref(),
        &req.reason,
        req.alert.as_deref(),
        &p.name,
        now(),
    )?;
    // A bad action is refused by the event contract, with its reason.
    s.write(std::slice::from_ref(&ev))
        .map_err(|e| ApiError::invalid(e.to_string()))?;
    Ok(ev)
}

async fn product_report(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let p = who(&svc, &headers).await?;
    blocking(&svc, move |s| {
        let live = s.live()?;
        let a = &live.analysis;
        if !p.sees_product(&a.analyzer.product_owners(&id)) {
            return Err(ApiError::not_found(&format!("product {id:?}")));
        }
        let r = a.product(&id, now().date_naive())?;
        Ok(a.with_checkpoint(ProductAnswer::new(&r, &|l| a.event_id(l)))?)
    })
    .await
    .and_then(ok)
}

/// A JSON request body, or a 400 naming what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let invalid = |e: &dyn std::fmt::Display| ApiError::invalid(format!("request body: {e}"));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut de).map_err(|e| match e.path().to_string() {
        p if p == "." => invalid(e.inner()),
        p => invalid(&format!("`{p}` {}", e.inner())),
    })?;
    de.end().map_err(|e| invalid(&e))?;
    Ok(v)
}

/// Parses `bytes` as each JSON request body the API reads (intervention,
/// listing check, case action, complaint), as the handlers do: whether
/// each was accepted. For the fuzz target `http_body` (the events body is
/// NDJSON lines: the `event_line` target).
pub fn parse_bodies(bytes: &[u8]) -> [bool; 4] {
    [
        body::<Intervention>(bytes).is_ok(),
        body::<ListingCheck>(bytes).is_ok(),
        body::<Action>(bytes).is_ok_and(|a| case_action_named(&a.action).is_ok()),
        body::<Complaint>(bytes).is_ok(),
    ]
}

/// The query string, or a 400 in the API's error shape (axum's own
/// rejection is plain text).
pub(super) fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::invalid(e.body_text()))
}

/// A string that may not be empty: ids, reasons.
fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if s.is_empty() {
        return Err(serde::de::Error::custom("must not be empty"));
    }
    Ok(s)
}

/// An optional [`text`]: absent or `null`, else not empty.
fn some_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(s) if s.is_empty() => Err(serde::de::Error::custom("must not be empty")),
        s => Ok(s),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListingCheck {
    #[serde(deserialize_with = "text")]
    product: String,
    #[serde(deserialize_with = "text")]
    anchor: String,
    at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

async fn listing_check(State(svc): State<Svc>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let p = who(&svc, &headers).await?;
    let req: ListingCheck = body(&bytes)?;
    blocking(&svc, move |s| {
        let live = s.live()?;
        let an = &live.analysis.analyzer;
        match p.checks_listing(an, &req.product, &req.anchor) {
            None => Err(ApiError::forbidden(format!(
                "a {} token may not run listing checks",
                p.role.as_str()
            ))),
            Some(false) => Err(ApiError::not_found(&format!(
                "product {:?} for anchor {:?} in your scope",
                req.product, req.anchor
            ))),
            Some(true) => {
                let gate = an.listing_gate(&req.product, &req.anchor, req.at.unwrap_or_else(now));
                Ok(serde_json::to_value(GateAnswer::new(&gate))?)
            }
        }
    })
    .await
    .and_then(ok)
}

#[derive(Deserialize)]
pub(super) struct CaseFilter {
    pub session: Option<String>,
    pub product: Option<String>,
    pub status: Option<String>,
    #[serde(default)]
    pub overdue: bool,
    /// A page of the list: at most `limit` cases after skipping `offset`
    /// (default: every case). `total` says how many matched.
    pub limit: Option<usize>,
    #[serde(default)]
    pub offset: usize,
}

impl CaseFilter {
    /// The status asked for, or a 400 if it is not one.
    pub(super) fn status(&self) -> Result<Option<Status>, ApiError> {
        let Some(s) = &self.status else {
            return Ok(None);
        };
        Status::ALL
            .iter()
            .find(|(n, _)| n == s)
            .map(|(_, st)| Some(*st))
            .ok_or_else(|| ApiError::invalid(format!("status {s:?} is not a case status")))
    }
}

async fn cases(
    State(svc): State<Svc>,
    headers: HeaderMap,
    f: Result<Query<CaseFilter>, QueryRejection>,
) -> Answer {
    let f = query(f)?;
    let p = who(&svc, &headers).await?;
    let status = f.status()?;
    blocking(&svc, move |s| {
        let v = {
            let mut live = s.live()?;
            let at = now();
            let (cases, a) = live.cases(at);
            let answers: Vec<&analysis::cases::case::Case> = cases
                .iter()
                .filter(|c| f.session.is_none() || c.session == f.session)
                .filter(|c| f.product.is_none() || c.product == f.product)
                .filter(|c| status.is_none_or(|st| c.status == st))
                .filter(|c| !f.overdue || c.overdue)
                .filter(|c| p.sees_case(&a.analyzer.case_owners(c)))
                .collect();
            let page = answers
                .iter()
                .skip(f.offset)
                .take(f.limit.unwrap_or(usize::MAX))
                .map(|c| CaseAnswer::new(c, &|l| a.event_id(l)))
                .collect::<Vec<_>>();
            json!({
                "pack": a.analyzer.rules().liability.name,
                "now": at.to_rfc3339(),
                "total": answers.len(),
                "cases": serde_json::to_value(page)?,
                "checkpoint": a.checkpoint_json(),
            })
        };
        s.access(&p, "/v1/cases")?;
        Ok(v)
    })
    .await
    .and_then(ok)
}

/// The case `id` as `p` may see it, with its checkpoint.
fn visible_case(
    s: &Service,
    p: &Principal,
    id: &str,
) -> Result<(analysis::cases::case::Case, Value), ApiError> {
    let live = s.live()?;
    let a = &live.analysis;
    match a.analyzer.case(id, now()) {
        Some(c) if p.sees_case(&a.analyzer.case_owners(&c)) => {
            let v = a.with_checkpoint(CaseAnswer::new(&c, &|l| a.event_id(l)))?;
            Ok((c, v))
        }
        _ => Err(ApiError::not_found(&format!("case {id:?}"))),
    }
}

async fn case(State(svc): State<Svc>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let p = who(&svc, &headers).await?;
    blocking(&svc, move |s| {
        let (_, v) = visible_case(s, &p, &id)?;
        s.access(&p, &format!("/v1/cases/{id}"))?;
        Ok(v)
    })
    .await
    .and_then(ok)
}

/// The case action of that name, or a 400 listing the names.
pub(super) fn case_action_named(name: &str) -> Result<CaseAction, ApiError> {
    CaseAction::ALL
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            let names: Vec<&str> = CaseAction::ALL.iter().map(|(n, _)| *n).collect();
            ApiError::invalid(format!(
                "action {name:?}: expected one of {}",
                names.join(", ")
            ))
        })
}

/// `p` takes `action` on the case `id`: logged with `p`'s name as the
/// actor; the case after it.
pub(super) fn act(
    s: &Service,
    p: &Principal,
    id: &str,
    action: CaseAction,
    note: Option<&str>,
) -> Result<Value, ApiError> {
    let note = note.filter(|n| !n.trim().is_empty());
    let (case, _) = visible_case(s, p, id)?;
    if !p.may(action) {
        return Err(ApiError::forbidden(format!(
            "a {} token may not {action} a case",
            p.role.as_str()
        )));
    }
    if let Err(why) = case.status.after(action) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            format!("cannot {action} case {id}: {why}"),
        ));
    }
    let ev = record::case_updated(
        record::fresh_id(&format!("{id}-{action}"))?,
        &case,
        action,
        &p.name,
        note,
        now(),
    )?;
    s.write(&[ev])?;
    let (_, v) = visible_case(s, p, id)?;
    s.access(p, &format!("/v1/cases/{id}"))?;
    Ok(v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Action {
    action: String,
    note: Option<String>,
}

async fn case_action(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let p = who(&svc, &headers).await?;
    let req: Action = body(&bytes)?;
    let action = case_action_named(&req.action)?;
    blocking(&svc, move |s| act(s, &p, &id, action, req.note.as_deref()))
        .await
        .and_then(ok)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Complaint {
    #[serde(deserialize_with = "text")]
    order: String,
    category: String,
    text: Option<String>,
    #[serde(default, deserialize_with = "some_text")]
    claim_ref: Option<String>,
}

async fn complaint(State(svc): State<Svc>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let p = who(&svc, &headers).await?;
    if p.role != Role::Consumer {
        return Err(ApiError::forbidden(
            "complaints are filed by consumers, on their own orders",
        ));
    }
    let req: Complaint = body(&bytes)?;
    blocking(&svc, move |s| {
        let theirs = {
            let live = s.live()?;
            live.analysis
                .analyzer
                .order_session(&req.order, p.scope.as_deref())
                .is_some_and(|(_, bought)| bought)
        };
        if !theirs {
            return Err(ApiError::not_found(&format!(
                "order {:?} of yours",
                req.order
            )));
        }
        let complaint = record::fresh_id("complaint")?;
        let mut ev = json!({
            "type": "complaint",
            "id": complaint,
            "at": now().to_rfc3339(),
            "complaint": complaint,
            "order": req.order,
            "category": req.category,
            // The event needs a text; the API lets a consumer leave it out.
            "text": req.text.filter(|t| !t.is_empty()).unwrap_or_else(|| "(no text given)".into()),
        });
        if let Some(c) = req.claim_ref {
            ev["claim_ref"] = json!(c);
        }
        // A bad category is refused by the event contract, with its reason.
        s.write(&[ev])
            .map_err(|e| ApiError::invalid(e.to_string()))?;
        let id = analysis::cases::case::case_id(&complaint);
        let (_, v) = visible_case(s, &p, &id)?;
        s.access(&p, &format!("/v1/cases/{id}"))?;
        Ok(v)
    })
    .await
    .and_then(ok)
}

#[derive(Deserialize)]
pub(super) struct AlertFilter {
    session: Option<String>,
    since: Option<chrono::DateTime<chrono::FixedOffset>>,
}

impl AlertFilter {
    /// Whether the alert `a` (api.md's shape) passes the filter.
    pub(super) fn wants(&self, a: &Value) -> bool {
        self.session.as_deref().is_none_or(|s| a["session"] == s)
            && self.since.is_none_or(|t| {
                a["raised_at"]
                    .as_str()
                    .and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok())
                    .is_some_and(|r| r >= t)
            })
    }
}

async fn alerts(
    State(svc): State<Svc>,
    headers: HeaderMap,
    f: Result<Query<AlertFilter>, QueryRejection>,
) -> Answer {
    let f = query(f)?;
    let p = who(&svc, &headers).await?;
    let list: Vec<Value> = svc
        .alerts
        .since(0, &p)
        .0
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| f.wants(a))
        .collect();
    ok(Value::Array(list))
}

/// Alerts as server-sent events: those after `Last-Event-ID` first (none
/// lost across a reconnect), then each as it is raised.
async fn alert_stream(State(svc): State<Svc>, headers: HeaderMap) -> Answer {
    use axum::response::sse::{Event, KeepAlive, Sse};
    let p = who(&svc, &headers).await?;
    let from: usize = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let stream = futures_util::stream::unfold(
        (svc, p, from, Vec::new()),
        |(svc, p, mut at, mut queue)| async move {
            loop {
                if !queue.is_empty() {
                    let (id, alert): (usize, Value) = queue.remove(0);
                    let ev = Event::default()
                        .event("alert")
                        .id(id.to_string())
                        .data(alert.to_string());
                    return Some((Ok::<_, std::convert::Infallible>(ev), (svc, p, at, queue)));
                }
                (queue, at) = svc.alerts.since(at, &p);
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

async fn proof(State(svc): State<Svc>, headers: HeaderMap, Path(event_id): Path<String>) -> Answer {
    let p = who(&svc, &headers).await?;
    blocking(&svc, move |s| {
        let (bundle, event) = s.prove(&event_id)?;
        let visible = p.role == Role::Regulator || {
            let live = s.live()?;
            let an = &live.analysis.analyzer;
            let b = &event.body;
            let order = b.order().and_then(|o| {
                an.order_session(
                    &o.0,
                    p.scope.as_deref().filter(|_| p.role == Role::Consumer),
                )
            });
            let session = b
                .session()
                .map(|s| s.0.clone())
                .or(order.as_ref().map(|(s, _)| s.clone()));
            match p.role {
                Role::Consumer => order.is_some_and(|(_, bought)| bought),
                // An event of a session (an order's included) is seen with
                // its session; a product's registry events with the product.
                _ => match session {
                    Some(s) => an.session_owners(&s).is_some_and(|o| p.sees_session(&o)),
                    None => b
                        .product()
                        .is_some_and(|pr| p.sees_product(&an.product_owners(&pr.0))),
                },
            }
        };
        if !visible {
            return Err(ApiError::not_found(&format!("event {event_id:?}")));
        }
        s.access(&p, &format!("/v1/proofs/{event_id}"))?;
        Ok(bundle)
    })
    .await
    .and_then(ok)
}
