//! A small blocking client of the service, for the command line's faces
//! that talk to a running service (`watch --url`, `ingest --url`).

use crate::error::{Error, Result};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use std::time::Duration;

/// GETs `url` with the bearer `token`; the JSON answer, or the service's
/// error message.
pub fn get_json(url: &str, token: Option<&str>) -> Result<Value> {
    request("GET", url, token, Vec::new())
}

/// POSTs `body` to `url` with the bearer `token`; the JSON answer.
pub fn post(url: &str, token: Option<&str>, body: Vec<u8>) -> Result<Value> {
    request("POST", url, token, body)
}

fn request(method: &str, url: &str, token: Option<&str>, body: Vec<u8>) -> Result<Value> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Invalid(format!("no runtime for a client: {e}")))?;
    rt.block_on(async {
        let mut req = axum::http::Request::builder().method(method).uri(url);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = req
            .body(Full::new(axum::body::Bytes::from(body)))
            .map_err(|e| Error::Invalid(format!("{url}: {e}")))?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        let failed = |e: String| Error::Invalid(format!("{url}: {e}"));
        let resp = tokio::time::timeout(Duration::from_secs(30), client.request(req))
            .await
            .map_err(|_| failed("no answer within 30 s".into()))?
            .map_err(|e| failed(e.to_string()))?;
        let status = resp.status();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| failed(e.to_string()))?
            .to_bytes();
        let v: Value = serde_json::from_slice(&body)
            .map_err(|e| failed(format!("HTTP {status}, not JSON: {e}")))?;
        if !status.is_success() {
            let msg = v["error"]["message"].as_str().unwrap_or("").to_string();
            return Err(match status.as_u16() {
                404 => Error::NotFound(format!("{url}: {msg}")),
                _ => failed(format!("HTTP {status}: {msg}")),
            });
        }
        Ok(v)
    })
}
