//! Tokens: who may use the service, in which role, over what scope.
//!
//! A token is 32 random bytes, shown once when issued (`ll_` + hex). Only
//! its SHA-256 is kept, in `DATA/keys/tokens.json` (owner-only, written
//! atomically), with its name (the actor recorded on everything the token
//! does), role, scope and expiry. A consumer's scope is its account as the
//! log stores it: pseudonymised with the data directory's key when issued.

use crate::datadir::DataDir;
use crate::error::{Error, Result};
use crate::record::hex;
use crate::state::write_atomically;
use chrono::{DateTime, Duration, FixedOffset};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// The parties of the 2021 live-marketing rules, as api.md names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Regulator,
    Platform,
    Mcn,
    Merchant,
    Anchor,
    Consumer,
    Producer,
}

impl Role {
    pub const ALL: [(&'static str, Role); 7] = [
        ("regulator", Role::Regulator),
        ("platform", Role::Platform),
        ("mcn", Role::Mcn),
        ("merchant", Role::Merchant),
        ("anchor", Role::Anchor),
        ("consumer", Role::Consumer),
        ("producer", Role::Producer),
    ];

    pub fn as_str(self) -> &'static str {
        Role::ALL
            .iter()
            .find(|(_, r)| *r == self)
            .map(|(n, _)| *n)
            .expect("every role is listed")
    }
}

/// A token as kept: never the token itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenRec {
    pub name: String,
    pub role: Role,
    /// None only for the regulator.
    pub scope: Option<String>,
    /// SHA-256 of the token, hex.
    pub hash: String,
    pub issued: DateTime<FixedOffset>,
    pub expires: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub revoked: bool,
}

/// Who is asking: what a valid token stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    pub scope: Option<String>,
}

pub fn path(dir: &DataDir) -> PathBuf {
    dir.root.join("keys").join("tokens.json")
}

fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

pub fn load(dir: &DataDir) -> Result<Vec<TokenRec>> {
    let p = path(dir);
    match std::fs::read(&p) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Invalid(format!("{}: not a token list: {e}", p.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("reading", &p)(e)),
    }
}

fn store(dir: &DataDir, tokens: &[TokenRec]) -> Result<()> {
    let p = path(dir);
    crate::datadir::private_dir(p.parent().expect("keys/"))?;
    write_atomically(&p, &serde_json::to_vec_pretty(tokens)?)?;
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
        .map_err(Error::io("restricting", &p))
}

/// A lifetime as `30d`, `12h` or `45m`.
pub fn parse_lifetime(s: &str) -> Result<Duration> {
    let bad = || {
        Error::Invalid(format!(
            "lifetime {s:?}: expected a number and d, h or m, as 30d"
        ))
    };
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    match unit {
        "d" => Duration::try_days(n),
        "h" => Duration::try_hours(n),
        "m" => Duration::try_minutes(n),
        _ => None,
    }
    .ok_or_else(bad)
}

/// What `token issue` asks for.
pub struct Request {
    pub role: Role,
    pub scope: Option<String>,
    pub name: Option<String>,
    pub lifetime: Option<Duration>,
}

/// Issues a token; returns it (the only time it is seen) and its record.
pub fn issue(
    dir: &DataDir,
    req: Request,
    now: DateTime<FixedOffset>,
) -> Result<(String, TokenRec)> {
    let scope = match (req.role, req.scope) {
        (Role::Regulator, None) => None,
        (Role::Regulator, Some(_)) => {
            return Err(Error::Invalid("a regulator token has no scope".into()))
        }
        (role, None) => {
            return Err(Error::Invalid(format!(
                "a {} token needs --scope (api.md: roles and scopes)",
                role.as_str()
            )))
        }
        (_, Some(s)) if s.trim().is_empty() => {
            return Err(Error::Invalid("--scope is empty".into()))
        }
        (Role::Consumer, Some(account)) => {
            Some(dir.pseudonymiser()?.pseudonym("account", &account))
        }
        (_, Some(s)) => Some(s),
    };
    let mut tokens = load(dir)?;
    let name = match req.name {
        Some(n) if n.trim().is_empty() => return Err(Error::Invalid("--name is empty".into())),
        Some(n) => n,
        None => format!("{}-{}", req.role.as_str(), tokens.len() + 1),
    };
    if tokens.iter().any(|t| t.name == name) {
        return Err(Error::Invalid(format!(
            "a token named {name:?} exists already (names are the actors on the record)"
        )));
    }
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret)
        .map_err(|e| Error::Key(format!("no randomness for a token: {e}")))?;
    let token = format!("ll_{}", hex(&secret));
    let rec = TokenRec {
        name,
        role: req.role,
        scope,
        hash: hash(&token),
        issued: now,
        expires: req.lifetime.map(|d| now + d),
        revoked: false,
    };
    tokens.push(rec.clone());
    store(dir, &tokens)?;
    Ok((token, rec))
}

/// Revokes the token `name`.
pub fn revoke(dir: &DataDir, name: &str) -> Result<()> {
    let mut tokens = load(dir)?;
    let t = tokens
        .iter_mut()
        .find(|t| t.name == name)
        .ok_or_else(|| Error::NotFound(format!("no token named {name:?}")))?;
    t.revoked = true;
    store(dir, &tokens)
}

/// The principal a presented token stands for, if it is known, unrevoked
/// and unexpired.
pub fn authenticate(
    tokens: &[TokenRec],
    token: &str,
    now: DateTime<FixedOffset>,
) -> Option<Principal> {
    let h = hash(token);
    tokens
        .iter()
        // Hashes compared in constant time: nothing leaks a byte at a time.
        .find(|t| same(t.hash.as_bytes(), h.as_bytes()))
        .filter(|t| !t.revoked && t.expires.is_none_or(|e| now < e))
        .map(|t| Principal {
            name: t.name.clone(),
            role: t.role,
            scope: t.scope.clone(),
        })
}

/// The token of an `Authorization: Bearer <token>` header; the scheme is
/// case-insensitive (RFC 9110 §11.1).
pub fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim_start())
}

/// Equality that takes as long whatever the first differing byte, so a
/// token cannot be guessed a byte at a time from response times.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes() {
        assert_eq!(parse_lifetime("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_lifetime("12h").unwrap(), Duration::hours(12));
        for bad in ["", "d", "0d", "-1d", "3w", "1.5d", "99999999999999d"] {
            assert!(parse_lifetime(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn only_a_live_token_authenticates() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
        let rec = |name: &str, token: &str, expires, revoked| TokenRec {
            name: name.into(),
            role: Role::Platform,
            scope: Some("taobao".into()),
            hash: hash(token),
            issued: now,
            expires,
            revoked,
        };
        let tokens = vec![
            rec("a", "ll_a", None, false),
            rec("b", "ll_b", Some(now - Duration::seconds(1)), false),
            rec("c", "ll_c", None, true),
        ];
        assert_eq!(authenticate(&tokens, "ll_a", now).unwrap().name, "a");
        for t in ["ll_b", "ll_c", "ll_x", ""] {
            assert_eq!(authenticate(&tokens, t, now), None, "{t}");
        }
    }
}
