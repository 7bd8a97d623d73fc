//! The dashboard at `/`: server-rendered pages (maud templates, escaped by
//! construction) over the same service as the API, in English or Chinese.
//!
//! - Sign in with a token (kept in an `HttpOnly`, `SameSite=Strict`
//!   cookie, so a form on another site cannot act with it).
//! - `/` the sessions in scope, newest first, filterable by flag;
//!   `/sessions/{id}` the session report with its charts; `/products/{id}`;
//!   `/cases` the case queue with the actions the role may take (forms);
//!   `/log` the checkpoint and how to verify it offline (public).
//! - Everything works without JavaScript; the one script reloads a live
//!   session's page when `/live` (server-sent events) says answers moved.
//! - The language follows `?lang=zh|en` (remembered in a cookie), else the
//!   browser's `Accept-Language`; words come from `render::words`.

use super::api::{self, blocking, ApiError};
use super::hub::Service;
use super::tokens::Principal;
use crate::answer::case::CaseAnswer;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use events::CaseAction;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use render::words::{flag, word, Lang, Msg};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

type Svc = Arc<Service>;

const TOKEN_COOKIE: &str = "ll_token";
const LANG_COOKIE: &str = "ll_lang";

/// Fonts that cover Chinese on every platform, before the generic family.
const CSS: &str = r#"
body{font:14px/1.5 system-ui,"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;color:#111}
nav{display:flex;gap:16px;align-items:center;padding:10px 24px;background:#0f172a;color:#e2e8f0}
nav a{color:#e2e8f0;text-decoration:none} nav a:hover{text-decoration:underline} nav .who{margin-left:auto;font-size:12px}
nav form{display:inline} nav button{font:inherit;font-size:12px}
main{max-width:1000px;margin:24px auto;padding:0 16px}
table{border-collapse:collapse;width:100%} td,th{padding:4px 10px 4px 0;text-align:left;vertical-align:top;border-bottom:1px solid #eee}
.num{text-align:right} .badge{display:inline-block;padding:0 6px;margin:1px;border-radius:3px;font-size:12px;background:#eee}
.high{background:#fee2e2} .medium{background:#ffedd5} .low{background:#fef9c3}
.muted{color:#666;font-size:12px} .bad{color:#dc2626} code,pre{font-size:12px} pre{background:#f6f6f6;padding:8px;overflow:auto}
"#;

pub fn router(svc: Svc) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/signin", post(sign_in))
        .route("/signout", post(sign_out))
        .route("/sessions/{id}", get(session_page))
        .route("/products/{id}", get(product_page))
        .route("/cases", get(cases_page))
        .route("/cases/{id}/act", post(case_act))
        .route("/sessions/{id}/intervene", post(intervene))
        .route("/log", get(log_page))
        .route("/live", get(live))
        .with_state(svc)
}

/// A cookie's value from the request.
fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Who asks, in which language, on which page.
struct Ctx {
    lang: Lang,
    who: Option<Principal>,
    path: String,
    /// The language was switched by `?lang=`: remember it.
    switched: bool,
}

async fn ctx(svc: &Svc, headers: &HeaderMap, q: &HashMap<String, String>, path: String) -> Ctx {
    let switch = q.get("lang").cloned();
    let remembered = cookie(headers, LANG_COOKIE);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let lang = Lang::choose(switch.as_deref().or(remembered.as_deref()), accept);
    let who = match cookie(headers, TOKEN_COOKIE) {
        Some(t) => blocking(svc, move |s| Ok(s.principal(&t)?))
            .await
            .ok()
            .flatten(),
        None => None,
    };
    Ctx {
        lang,
        who,
        path,
        switched: switch.is_some(),
    }
}

impl Ctx {
    fn t(&self, m: Msg) -> &'static str {
        m.text(self.lang)
    }

    /// A page in the dashboard's frame.
    fn page(&self, status: StatusCode, title: &str, body: Markup) -> Response {
        let doc = html! {
            (DOCTYPE)
            html lang=(self.lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " — liveledger" }
                    style { (PreEscaped(CSS)) }
                }
                body {
                    (self.nav())
                    main { (body) }
                }
            }
        };
        self.respond(status, doc.into_string())
    }

    fn nav(&self) -> Markup {
        let other = match self.lang {
            Lang::En => "zh",
            Lang::Zh => "en",
        };
        html! {
            nav {
                b { "liveledger" }
                a href="/" { (self.t(Msg::Sessions)) }
                a href="/cases" { (self.t(Msg::Cases)) }
                a href="/log" { (self.t(Msg::Log)) }
                a href={ (self.path) "?lang=" (other) } lang=(other) { (self.t(Msg::Language)) }
                @if let Some(p) = &self.who {
                    span.who {
                        (self.t(Msg::SignedInAs)) " " b { (p.name) } " (" (p.role.as_str())
                        @if let Some(s) = &p.scope { " " (s) } ") "
                        form method="post" action="/signout" { button { (self.t(Msg::SignOut)) } }
                    }
                }
            }
        }
    }

    fn respond(&self, status: StatusCode, body: String) -> Response {
        let mut r = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            body,
        )
            .into_response();
        if self.switched {
            let c = format!(
                "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
                match self.lang {
                    Lang::En => "en",
                    Lang::Zh => "zh",
                }
            );
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        r
    }

    fn sign_in_page(&self, status: StatusCode, failed: bool) -> Response {
        self.page(
            status,
            self.t(Msg::SignIn),
            html! {
                h1 { (self.t(Msg::Title)) }
                p { (self.t(Msg::SignInHelp)) }
                @if failed { p.bad { (self.t(Msg::BadToken)) } }
                form method="post" action="/signin" {
                    label { (self.t(Msg::Token)) " " input type="password" name="token" size="70" autocomplete="off" required; }
                    " " button { (self.t(Msg::SignIn)) }
                }
            },
        )
    }

    /// An error as a page: 404 and 403 in words, anything else as is.
    fn error(&self, e: ApiError) -> Response {
        let text = match e.status {
            StatusCode::NOT_FOUND => self.t(Msg::NotFound).to_string(),
            StatusCode::FORBIDDEN => self.t(Msg::Forbidden).to_string(),
            _ => e.message,
        };
        self.page(e.status, &text, html! { p.bad { (text) } })
    }
}

type Q = Query<HashMap<String, String>>;

async fn home(State(svc): State<Svc>, headers: HeaderMap, Query(q): Q) -> Response {
    let c = ctx(&svc, &headers, &q, "/".into()).await;
    let Some(p) = c.who.clone() else {
        return c.sign_in_page(StatusCode::OK, false);
    };
    let rows = match blocking(&svc, move |s| api::session_rows(s, &p)).await {
        Ok(r) => r,
        Err(e) => return c.error(e),
    };
    let wanted = q.get("flag").filter(|f| !f.is_empty());
    let codes = |r: &Value| -> Vec<(String, String)> {
        r["flags"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
                (s("code"), s("severity"))
            })
            .collect()
    };
    let shown: Vec<&Value> = rows
        .iter()
        .filter(|r| wanted.is_none_or(|w| codes(r).iter().any(|(code, _)| code == w)))
        .collect();
    let body = html! {
        h1 { (c.t(Msg::Sessions)) }
        form method="get" action="/" {
            label { (c.t(Msg::FilterByFlag)) " "
                select name="flag" {
                    option value="" { (c.t(Msg::AllSessions)) }
                    @for code in analysis::FlagCode::ALL {
                        option value=(code.as_str()) selected[wanted.map(String::as_str) == Some(code.as_str())] {
                            (code.as_str()) " — " (flag(code, c.lang))
                        }
                    }
                }
            }
            " " button { (c.t(Msg::Filter)) }
        }
        @if shown.is_empty() {
            p { (c.t(Msg::NoSessions)) }
        } @else {
            table {
                tr {
                    th { (c.t(Msg::Session)) } th { (c.t(Msg::Anchor)) } th { (c.t(Msg::Platform)) }
                    th { (c.t(Msg::Started)) } th { (c.t(Msg::Flags)) }
                    th.num { (c.t(Msg::VerifiedGmv)) } th.num { (c.t(Msg::EstimatedReal)) }
                }
                @for r in &shown {
                    @let id = r["session"].as_str().unwrap_or("");
                    tr {
                        td { a href={ "/sessions/" (id) } { (id) } }
                        td { (r["anchor"].as_str().unwrap_or("—")) }
                        td { (r["platform"].as_str().unwrap_or("—")) }
                        td {
                            (r["started"].as_str().unwrap_or("—"))
                            @if r["ended"].is_null() { " " span.badge { (c.t(Msg::Live)) } }
                        }
                        td {
                            @for (code, severity) in codes(r) {
                                @let text = analysis::FlagCode::ALL.iter().find(|f| f.as_str() == code).map(|f| flag(*f, c.lang)).unwrap_or("");
                                span class={ "badge " (severity) } title=(code) { (text) }
                            }
                        }
                        td.num { (money(&r["verified_gmv"], &r["currency"])) }
                        td.num { (r["estimated_real"]) }
                    }
                }
            }
        }
    };
    c.page(StatusCode::OK, c.t(Msg::Sessions), body)
}

/// Minor units as major, with the currency.
fn money(minor: &Value, currency: &Value) -> String {
    let m = minor.as_i64().unwrap_or(0);
    format!(
        "{}.{:02} {}",
        m / 100,
        (m % 100).abs(),
        currency.as_str().unwrap_or("")
    )
}

#[derive(Deserialize)]
struct SignIn {
    token: String,
}

async fn sign_in(State(svc): State<Svc>, headers: HeaderMap, Form(f): Form<SignIn>) -> Response {
    let c = ctx(&svc, &headers, &HashMap::new(), "/".into()).await;
    let token = f.token.trim().to_string();
    let known = {
        let t = token.clone();
        blocking(&svc, move |s| Ok(s.principal(&t)?)).await
    };
    match known {
        Ok(Some(_)) => {
            let mut r = Redirect::to("/").into_response();
            let c = format!("{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
            if let Ok(v) = HeaderValue::from_str(&c) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        _ => c.sign_in_page(StatusCode::UNAUTHORIZED, true),
    }
}

async fn sign_out() -> Response {
    let mut r = Redirect::to("/").into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("ll_token=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

async fn session_page(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    let c = ctx(&svc, &headers, &q, format!("/sessions/{id}")).await;
    let Some(p) = c.who.clone() else {
        return c.sign_in_page(StatusCode::UNAUTHORIZED, false);
    };
    let lang = c.lang;
    let session = id.clone();
    let page = blocking(&svc, move |s| {
        let (html, live) = {
            let mut live = s.live()?;
            let owners = live.analysis.analyzer.session_owners(&id);
            if !owners.is_some_and(|o| p.sees_session(&o)) {
                return Err(ApiError::not_found(&id));
            }
            let running = live.analysis.analyzer.session_live(&id);
            let html = match (p.role, p.scope.as_deref()) {
                (super::tokens::Role::Merchant, Some(m)) => {
                    let a = &live.analysis;
                    let r = a
                        .analyzer
                        .session_report_for_merchant(&id, m)
                        .ok_or_else(|| ApiError::not_found(&id))?;
                    render::html::session(&r, &|l| a.event_id(l), &a.checkpoint_json(), lang)
                }
                _ => live.session_html(&id, lang)?,
            };
            (html, running)
        };
        s.access(&p, &format!("/sessions/{id}"))?;
        Ok((html, live))
    })
    .await;
    match page {
        Ok((report, running)) => {
            let mut tail = String::new();
            if matches!(
                c.who.as_ref().map(|p| p.role),
                Some(super::tokens::Role::Regulator | super::tokens::Role::Platform)
            ) {
                tail.push_str(&intervention_form(&c, &session).into_string());
            }
            if running {
                tail.push_str(&format!(
                    "<p class=\"muted\">{}</p><script>new EventSource('/live').onmessage=()=>location.reload()</script>",
                    c.t(Msg::LiveUpdates)
                ));
            }
            c.respond(StatusCode::OK, framed(&c, &report, &tail))
        }
        Err(e) => c.error(e),
    }
}

/// The form a regulator or platform acts on a session with.
fn intervention_form(c: &Ctx, session: &str) -> Markup {
    html! {
        h2 { (c.t(Msg::Intervene)) }
        form method="post" action={ "/sessions/" (session) "/intervene" } {
            select name="action" {
                @for (name, _) in events::InterventionAction::ALL {
                    option value=(name) { (word(name, c.lang)) }
                }
            }
            " " label { (c.t(Msg::Product)) " " input name="product" size="10"; }
            " " label { (c.t(Msg::Reason)) " " input name="reason" size="30" required; }
            " " input type="hidden" name="alert" value="";
            " " button { (c.t(Msg::Apply)) }
        }
    }
}

#[derive(Deserialize)]
struct InterveneForm {
    action: String,
    product: Option<String>,
    reason: String,
    alert: Option<String>,
}

async fn intervene(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<InterveneForm>,
) -> Response {
    let c = ctx(&svc, &headers, &HashMap::new(), format!("/sessions/{id}")).await;
    let Some(p) = c.who.clone() else {
        return c.sign_in_page(StatusCode::UNAUTHORIZED, false);
    };
    let some = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
    let req = api::Intervention {
        action: f.action,
        product: some(f.product),
        reason: f.reason,
        alert: some(f.alert),
    };
    let back = format!("/sessions/{id}");
    match blocking(&svc, move |s| api::intervene(s, &p, &id, req)).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => c.error(e),
    }
}

/// A report page (a whole document of `render::html`) inside the
/// dashboard's frame: its navigation after `<body>`, `tail` before the end.
fn framed(c: &Ctx, report: &str, tail: &str) -> String {
    let nav = format!(
        "<style>{CSS} body{{max-width:none}}</style>{}",
        c.nav().into_string()
    );
    let with_nav = report.replacen("<body>", &format!("<body>{nav}"), 1);
    with_nav.replacen("</body>", &format!("{tail}</body>"), 1)
}

async fn product_page(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    let c = ctx(&svc, &headers, &q, format!("/products/{id}")).await;
    let Some(p) = c.who.clone() else {
        return c.sign_in_page(StatusCode::UNAUTHORIZED, false);
    };
    let lang = c.lang;
    let page = blocking(&svc, move |s| {
        let live = s.live()?;
        let a = &live.analysis;
        if !p.sees_product(&a.analyzer.product_owners(&id)) {
            return Err(ApiError::not_found(&id));
        }
        let r = a.product(&id, super::hub::now().date_naive())?;
        Ok(render::html::product(
            &r,
            &|l| a.event_id(l),
            &a.checkpoint_json(),
            lang,
        ))
    })
    .await;
    match page {
        Ok(report) => c.respond(StatusCode::OK, framed(&c, &report, "")),
        Err(e) => c.error(e),
    }
}

async fn cases_page(State(svc): State<Svc>, headers: HeaderMap, Query(q): Q) -> Response {
    let c = ctx(&svc, &headers, &q, "/cases".into()).await;
    let Some(p) = c.who.clone() else {
        return c.sign_in_page(StatusCode::UNAUTHORIZED, false);
    };
    let lang = c.lang;
    let cases = blocking(&svc, move |s| {
        let rows = {
            let mut live = s.live()?;
            let (cases, a) = live.cases(super::hub::now());
            cases
                .iter()
                .filter(|c| p.sees_case(&a.analyzer.case_owners(c)))
                .map(|c| {
                    let actions: Vec<&'static str> = CaseAction::ALL
                        .iter()
                        .filter(|(_, act)| p.may(*act) && c.status.after(*act).is_ok())
                        .map(|(n, _)| *n)
                        .collect();
                    // Who answers and why, in the page's language (the
                    // rule pack's `reason_zh`, else its English).
                    let liable: Vec<(String, String)> = c
                        .decision
                        .liable
                        .iter()
                        .map(|l| {
                            let why = match lang {
                                Lang::Zh => l.reason_zh.as_deref().unwrap_or(&l.reason),
                                Lang::En => &l.reason,
                            };
                            (
                                format!("{} ({})", l.party, word(&l.role, lang)),
                                why.to_string(),
                            )
                        })
                        .collect();
                    Ok((
                        serde_json::to_value(CaseAnswer::new(c, &|l| a.event_id(l)))?,
                        actions,
                        liable,
                    ))
                })
                .collect::<Result<Vec<_>, ApiError>>()?
        };
        s.access(&p, "/cases")?;
        Ok(rows)
    })
    .await;
    let cases = match cases {
        Ok(c) => c,
        Err(e) => return c.error(e),
    };
    let body = html! {
        h1 { (c.t(Msg::Cases)) }
        @if cases.is_empty() {
            p { (c.t(Msg::NoCases)) }
        } @else {
            table {
                tr {
                    th { (c.t(Msg::Case)) } th { (c.t(Msg::Status)) } th { (c.t(Msg::Session)) }
                    th { (c.t(Msg::Product)) } th { (c.t(Msg::Category)) } th { (c.t(Msg::Liable)) }
                    th { (c.t(Msg::Due)) } th { (c.t(Msg::Action)) }
                }
                @for (case, actions, liable) in &cases {
                    @let id = case["case"].as_str().unwrap_or("");
                    tr {
                        td { (id) }
                        td { (word(case["status"].as_str().unwrap_or(""), c.lang)) }
                        td { @if let Some(s) = case["session"].as_str() { a href={ "/sessions/" (s) } { (s) } } }
                        td { @if let Some(pr) = case["product"].as_str() { a href={ "/products/" (pr) } { (pr) } } }
                        td { (word(case["category"].as_str().unwrap_or(""), c.lang)) }
                        td {
                            @for (party, why) in liable {
                                div { b { (party) } " " span.muted { (why) } }
                            }
                        }
                        td {
                            (case["due"].as_str().unwrap_or("—"))
                            @if case["overdue"] == Value::Bool(true) { " " span.bad { (c.t(Msg::Overdue)) } }
                        }
                        td {
                            @if actions.is_empty() {
                                span.muted { (c.t(Msg::NoActions)) }
                            } @else {
                                form method="post" action={ "/cases/" (id) "/act" } {
                                    select name="action" {
                                        @for a in actions { option value=(a) { (word(a, c.lang)) } }
                                    }
                                    " " input name="note" placeholder=(c.t(Msg::Note)) size="14";
                                    " " button { (c.t(Msg::Apply)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    c.page(StatusCode::OK, c.t(Msg::Cases), body)
}

#[derive(Deserialize)]
struct ActForm {
    action: String,
    note: Option<String>,
}

async fn case_act(
    State(svc): State<Svc>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    let c = ctx(&svc, &headers, &HashMap::new(), "/cases".into()).await;
    let Some(p) = c.who.clone() else {
        return c.sign_in_page(StatusCode::UNAUTHORIZED, false);
    };
    let action = match api::case_action_named(&f.action) {
        Ok(a) => a,
        Err(e) => return c.error(e),
    };
    match blocking(&svc, move |s| {
        api::act(s, &p, &id, action, f.note.as_deref())
    })
    .await
    {
        Ok(_) => Redirect::to("/cases").into_response(),
        Err(e) => c.error(e),
    }
}

async fn log_page(State(svc): State<Svc>, headers: HeaderMap, Query(q): Q) -> Response {
    let c = ctx(&svc, &headers, &q, "/log".into()).await;
    let cp = match blocking(&svc, |s| Ok(s.live()?.analysis.checkpoint_json())).await {
        Ok(cp) => cp,
        Err(e) => return c.error(e),
    };
    let s = |k: &str| cp[k].as_str().unwrap_or("").to_string();
    let body = html! {
        h1 { (c.t(Msg::Log)) }
        table {
            tr { th { (c.t(Msg::LogSize)) } td { (cp["size"]) } }
            tr { th { (c.t(Msg::RootHash)) } td { code { (s("root")) } } }
            tr { th { (c.t(Msg::PublicKey)) } td { code { (s("key")) } } }
        }
        h2 { (c.t(Msg::Checkpoint)) }
        pre { (s("checkpoint")) }
        h2 { (c.t(Msg::VerifyOffline)) }
        p { (c.t(Msg::VerifyHelp)) }
        pre {
            "liveledger verify --key '" (s("key")) "'\n"
            "liveledger verify BUNDLE.json --key '" (s("key")) "'\n"
            "# or mirror it over C2SP tlog-tiles: GET /checkpoint, /tile/<L>/<N>, /tile/entries/<N>"
        }
    };
    c.page(StatusCode::OK, c.t(Msg::Log), body)
}

/// Server-sent events: one each time the answers may have moved (not for
/// the service's own `access` records), checked every half second.
async fn live(State(svc): State<Svc>) -> impl IntoResponse {
    let first = svc.changes();
    let stream = futures_util::stream::unfold((svc, first), |(svc, seen)| async move {
        loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now = svc.changes();
            if now != seen {
                let ev = Event::default().data(now.to_string());
                return Some((Ok::<_, std::convert::Infallible>(ev), (svc, now)));
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
