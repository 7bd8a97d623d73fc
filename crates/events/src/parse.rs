//! Validation of one event: from JSON to a typed [`Event`], or a
//! [`Rejection`] that names the field and what was expected.

use crate::canonical;
use crate::json::{self, Flat, Json, Member, Parsed};
use crate::model::*;
use crate::personal;
use crate::pseudonym::{self, Pseudonymiser};
use chrono::{DateTime, NaiveDate};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Why a line was rejected. `id` is the event's id when it could be read;
/// `field` is the offending field (a path like `results[2].value`), or
/// `None` when the line as a whole is wrong (not JSON, not an object, too large).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub id: Option<String>,
    pub field: Option<String>,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = &self.id {
            write!(f, "event {id:?}: ")?;
        }
        if let Some(field) = &self.field {
            write!(f, "field {field:?}: ")?;
        }
        f.write_str(&self.reason)
    }
}

/// An event ready for the log: validated, pseudonymised, canonically encoded.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub event: Event,
    pub canonical: Vec<u8>,
}

/// The largest canonical event: a tlog-tiles entry is at most 65,535 bytes.
pub const MAX_EVENT_BYTES: usize = u16::MAX as usize;

/// Validates one input line, pseudonymises its personal fields (when a
/// pseudonymiser is given) and encodes it canonically.
pub fn prepare(line: &[u8], pseudonymiser: Option<&Pseudonymiser>) -> Result<Prepared, Rejection> {
    let mut canonical = Vec::with_capacity(256);
    let (event, ()) = prepare_with(line, pseudonymiser, &mut canonical, true, |_| ())?;
    Ok(Prepared { event, canonical })
}

/// What ingest needs of [`prepare`]: the same checks, the canonical bytes
/// written into `out` (emptied first, so one buffer serves every line), and
/// the event's id lent to `with_id`, whose result is returned. No string
/// of the event is copied, its id included, which saves allocating.
pub fn prepare_into<T>(
    line: &[u8],
    pseudonymiser: Option<&Pseudonymiser>,
    out: &mut Vec<u8>,
    with_id: impl FnOnce(&str) -> T,
) -> Result<T, Rejection> {
    prepare_with(line, pseudonymiser, out, false, with_id).map(|(_, t)| t)
}

/// With `build` false, the returned event holds nothing that can be
/// trusted: never let it out.
fn prepare_with<T>(
    line: &[u8],
    pseudonymiser: Option<&Pseudonymiser>,
    out: &mut Vec<u8>,
    build: bool,
    with_id: impl FnOnce(&str) -> T,
) -> Result<(Event, T), Rejection> {
    out.clear();
    // Pseudonyms of a flat line are written here, not allocated.
    let mut slots = [[0u8; pseudonym::LEN]; PERSONAL_FIELDS.len()];
    let mut flat = Flat::default();
    let parsed = json::parse_line(line, &mut flat).map_err(|e| Rejection {
        id: None,
        field: None,
        reason: json_reason(&e),
    })?;
    match parsed {
        // The common line: every step on members kept on the stack, so it
        // costs no allocation, and its strings are copied out unchecked
        // (see `canonical::write_flat`): ~700 ns a line instead of ~790.
        Parsed::Flat => {
            if let Some(p) = pseudonymiser {
                for (field, slot) in PERSONAL_FIELDS.into_iter().zip(&mut slots) {
                    // An empty identifier stays empty, for validation to
                    // refuse: its pseudonym would make every empty one the
                    // same person.
                    if let Some(Json::String(s)) = flat.value_mut(field) {
                        if !s.is_empty() {
                            *s = Cow::Borrowed(p.pseudonym_into(field, s, slot));
                        }
                    }
                }
            }
            if let Some((todo, id)) = to_scrub(flat.members()) {
                for key in todo {
                    if let Some(v) = flat.value_mut(&key) {
                        personal::scrub_top(&key, v, pseudonymiser).map_err(|e| refused(&id, e))?;
                    }
                }
            }
            let event = from_members(flat.members(), build)?;
            canonical::write_flat(&flat, out);
            finish(flat.members(), event, out, with_id)
        }
        Parsed::Tree(value) => prepare_tree(value, pseudonymiser, out, build, with_id),
    }
}

/// The top-level members that personal data checks must see, and the
/// event's id; `None` for most events (nothing allocated).
fn to_scrub(members: &[Member]) -> Option<(Vec<String>, Option<String>)> {
    let todo: Vec<String> = members
        .iter()
        .filter(|(k, v)| personal::needs_scrub(k, v))
        .map(|(k, _)| k.to_string())
        .collect();
    let id = || {
        json::member(members, "id")
            .and_then(Json::as_str)
            .map(str::to_string)
    };
    (!todo.is_empty()).then(|| (todo, id()))
}

/// The rejection of a value that looks like personal data.
fn refused(id: &Option<String>, (field, what): (String, &'static str)) -> Rejection {
    Rejection {
        id: id.clone(),
        field: Some(field),
        reason: personal::refusal(what),
    }
}

/// The last check of a valid event, once encoded: its size.
fn finish<T>(
    members: &[Member],
    event: Event,
    out: &[u8],
    with_id: impl FnOnce(&str) -> T,
) -> Result<(Event, T), Rejection> {
    // Validated: a string.
    let id = json::member(members, "id")
        .and_then(Json::as_str)
        .unwrap_or_default();
    if out.len() > MAX_EVENT_BYTES {
        return Err(Rejection {
            id: Some(id.to_string()),
            field: None,
            reason: format!(
                "event is {} bytes once encoded; at most {MAX_EVENT_BYTES} can be logged",
                out.len()
            ),
        });
    }
    Ok((event, with_id(id)))
}

/// [`prepare_with`] for any other line, parsed into a tree.
fn prepare_tree<T>(
    value: Json,
    pseudonymiser: Option<&Pseudonymiser>,
    out: &mut Vec<u8>,
    build: bool,
    with_id: impl FnOnce(&str) -> T,
) -> Result<(Event, T), Rejection> {
    let Json::Object(mut obj) = value else {
        return Err(Rejection {
            id: None,
            field: None,
            reason: "expected a JSON object".into(),
        });
    };
    if let Some(p) = pseudonymiser {
        for field in PERSONAL_FIELDS {
            if let Some(Json::String(s)) = obj.get_mut(field) {
                if !s.is_empty() {
                    *s = p.pseudonym(field, s).into();
                }
            }
        }
    }
    if let Some((todo, id)) = to_scrub(obj.members()) {
        for key in todo {
            if let Some(v) = obj.get_mut(&key) {
                personal::scrub_top(&key, v, pseudonymiser).map_err(|e| refused(&id, e))?;
            }
        }
    }
    let event = from_members(obj.members(), build)?;
    canonical::write_object(&obj, out);
    finish(obj.members(), event, out, with_id)
}

/// The largest amount of money an event may carry, in minor units (10^15:
/// ten trillion yuan). Sums of amounts stay far from `i64`'s range (9.2 ×
/// 10^18) for any real session; a larger figure is an error upstream.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// serde_json's message, with the position as a column of this one line.
fn json_reason(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    format!("not valid JSON at column {}: {msg}", e.column())
}

/// Parses an event as stored in the log (already canonical and pseudonymised).
pub fn parse_stored(bytes: &[u8]) -> Result<Event, Rejection> {
    match Json::parse(bytes) {
        Ok(Json::Object(obj)) => from_members(obj.members(), true),
        Ok(_) => Err(Rejection {
            id: None,
            field: None,
            reason: "expected a JSON object".into(),
        }),
        Err(e) => Err(Rejection {
            id: None,
            field: None,
            reason: format!("not valid JSON: {e}"),
        }),
    }
}

struct FieldError {
    field: String,
    reason: String,
}

type R<T> = Result<T, FieldError>;

/// Typed access to an object's fields, for error messages that say exactly
/// which field (with its path) was wrong and what was expected.
struct Fields<'a> {
    obj: &'a [Member<'a>],
    path: String,
    /// Whether strings are copied into the event, or only checked (see
    /// [`prepare_into`]).
    build: bool,
}

fn describe(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

impl<'a> Fields<'a> {
    fn name(&self, f: &str) -> String {
        if self.path.is_empty() {
            f.to_string()
        } else {
            format!("{}.{f}", self.path)
        }
    }

    fn err<T>(&self, f: &str, reason: impl Into<String>) -> R<T> {
        Err(FieldError {
            field: self.name(f),
            reason: reason.into(),
        })
    }

    /// A present, non-null field. An explicit `null` counts as absent.
    fn get(&self, f: &str) -> Option<&'a Json<'a>> {
        json::member(self.obj, f).filter(|v| !v.is_null())
    }

    fn required(&self, f: &str) -> R<&'a Json<'a>> {
        match self.get(f) {
            Some(v) => Ok(v),
            None => self.err(f, "required field is missing"),
        }
    }

    fn opt<T>(&self, f: &str, conv: impl FnOnce(&Self, &'a Json<'a>) -> R<T>) -> R<Option<T>> {
        self.get(f).map(|v| conv(self, v)).transpose()
    }

    fn req<T>(&self, f: &str, conv: impl FnOnce(&Self, &'a Json<'a>) -> R<T>) -> R<T> {
        conv(self, self.required(f)?)
    }

    // Converters: each takes the field name through a closure-captured copy.
    fn string_of(&self, f: &str, v: &'a Json<'a>) -> R<String> {
        match v {
            Json::String(s) if !s.is_empty() => Ok(self.own(s)),
            Json::String(_) => self.err(f, "expected a non-empty string"),
            other => self.err(f, format!("expected a string, found {}", describe(other))),
        }
    }

    fn own(&self, s: &str) -> String {
        if self.build {
            s.to_string()
        } else {
            String::new()
        }
    }

    fn str(&self, f: &str) -> R<String> {
        self.req(f, |s, v| s.string_of(f, v))
    }
    fn opt_str(&self, f: &str) -> R<Option<String>> {
        self.opt(f, |s, v| s.string_of(f, v))
    }

    fn int_of(&self, f: &str, v: &Json, min: i64, what: &str) -> R<i64> {
        match v.as_i64() {
            Some(n) if n >= min => Ok(n),
            Some(_) => self.err(f, format!("expected {what}")),
            None if v.is_number() => self.err(
                f,
                format!("expected {what}, found a fraction or an out-of-range number"),
            ),
            None => self.err(f, format!("expected {what}, found {}", describe(v))),
        }
    }

    /// A non-negative integer amount in minor units, at most [`MAX_MINOR`].
    fn minor(&self, f: &str) -> R<i64> {
        self.req(f, |s, v| s.amount_of(f, v))
    }
    fn opt_minor(&self, f: &str) -> R<Option<i64>> {
        self.opt(f, |s, v| s.amount_of(f, v))
    }
    fn amount_of(&self, f: &str, v: &Json) -> R<i64> {
        const WHAT: &str = "a non-negative integer amount in minor units, at most 10^15";
        match self.int_of(f, v, 0, WHAT)? {
            n if n <= MAX_MINOR => Ok(n),
            _ => self.err(f, format!("expected {WHAT}")),
        }
    }
    fn opt_count(&self, f: &str) -> R<Option<u64>> {
        self.opt(f, |s, v| {
            s.int_of(f, v, 0, "a non-negative integer")
                .map(|n| n as u64)
        })
    }
    fn positive(&self, f: &str) -> R<u64> {
        self.req(f, |s, v| {
            s.int_of(f, v, 1, "a positive integer").map(|n| n as u64)
        })
    }

    fn number_of(&self, f: &str, v: &Json) -> R<f64> {
        match v.as_f64() {
            Some(x) if x.is_finite() => Ok(x),
            _ => self.err(f, format!("expected a number, found {}", describe(v))),
        }
    }
    fn number(&self, f: &str) -> R<f64> {
        self.req(f, |s, v| s.number_of(f, v))
    }

    fn bool_opt(&self, f: &str) -> R<Option<bool>> {
        self.opt(f, |s, v| {
            v.as_bool().map_or_else(
                || s.err(f, format!("expected true or false, found {}", describe(v))),
                Ok,
            )
        })
    }

    fn date_of(&self, f: &str, v: &Json) -> R<NaiveDate> {
        let Json::String(text) = v else {
            return self.err(
                f,
                format!("expected a date (YYYY-MM-DD), found {}", describe(v)),
            );
        };
        NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .or_else(|_| self.err(f, format!("expected a date (YYYY-MM-DD), found {text:?}")))
    }
    fn date(&self, f: &str) -> R<NaiveDate> {
        self.req(f, |s, v| s.date_of(f, v))
    }
    fn opt_date(&self, f: &str) -> R<Option<NaiveDate>> {
        self.opt(f, |s, v| s.date_of(f, v))
    }

    fn currency_of(&self, f: &str, v: &Json) -> R<Currency> {
        match v.as_str().and_then(Currency::parse) {
            Some(c) => Ok(c),
            None => self.err(
                f,
                "expected an ISO 4217 currency code (three capital letters, e.g. CNY)",
            ),
        }
    }
    fn currency(&self, f: &str) -> R<Currency> {
        self.req(f, |s, v| s.currency_of(f, v))
    }
    fn opt_currency(&self, f: &str) -> R<Option<Currency>> {
        self.opt(f, |s, v| s.currency_of(f, v))
    }

    fn choice_of<T: Copy>(&self, f: &str, v: &Json, options: &[(&str, T)]) -> R<T> {
        if let Some((_, t)) = v
            .as_str()
            .and_then(|s| options.iter().find(|(name, _)| *name == s))
        {
            return Ok(*t);
        }
        let names: Vec<&str> = options.iter().map(|(n, _)| *n).collect();
        let found = match v.as_str() {
            Some(s) => format!("{s:?}"),
            None => describe(v).to_string(),
        };
        self.err(
            f,
            format!("expected one of {}, found {found}", names.join(", ")),
        )
    }
    fn choice<T: Copy>(&self, f: &str, options: &[(&str, T)]) -> R<T> {
        self.req(f, |s, v| s.choice_of(f, v, options))
    }

    /// An optional array of objects, each converted with `item`.
    fn objects<T>(&self, f: &str, item: impl Fn(&Fields) -> R<T>) -> R<Vec<T>> {
        let Some(v) = self.get(f) else {
            return Ok(Vec::new());
        };
        let Json::Array(items) = v else {
            return self.err(f, format!("expected an array, found {}", describe(v)));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let path = format!("{}[{i}]", self.name(f));
                match v {
                    Json::Object(obj) => item(&Fields {
                        obj: obj.members(),
                        path,
                        build: self.build,
                    }),
                    other => Err(FieldError {
                        field: path,
                        reason: format!("expected an object, found {}", describe(other)),
                    }),
                }
            })
            .collect()
    }

    fn strings(&self, f: &str) -> R<Vec<String>> {
        let Some(v) = self.get(f) else {
            return Ok(Vec::new());
        };
        let Json::Array(items) = v else {
            return self.err(
                f,
                format!("expected an array of strings, found {}", describe(v)),
            );
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Json::String(s) => Ok(self.own(s)),
                other => Err(FieldError {
                    field: format!("{}[{i}]", self.name(f)),
                    reason: format!("expected a string, found {}", describe(other)),
                }),
            })
            .collect()
    }

    fn license(&self) -> R<License> {
        Ok(License {
            kind: self.str("kind")?,
            number: self.str("number")?,
            expires: self.opt_date("expires")?,
        })
    }
}

fn from_members(obj: &[Member], build: bool) -> Result<Event, Rejection> {
    let id = || match json::member(obj, "id") {
        Some(Json::String(s)) => Some(s.to_string()),
        _ => None,
    };
    let f = Fields {
        obj,
        path: String::new(),
        build,
    };
    event(&f).map_err(|e| Rejection {
        id: id(),
        field: Some(e.field),
        reason: e.reason,
    })
}

fn event(f: &Fields) -> R<Event> {
    let ty = f.req("type", |s, v| match v {
        Json::String(t) if TYPES.contains(&t.as_ref()) => Ok(t.as_ref()),
        Json::String(t) => s.err(
            "type",
            format!(
                "unknown event type {t:?}; expected one of {}",
                TYPES.join(", ")
            ),
        ),
        other => s.err(
            "type",
            format!("expected a string, found {}", describe(other)),
        ),
    })?;
    let id = f.req("id", |s, v| {
        let id = s.string_of("id", v)?;
        match v.as_str().map_or(0, |t| t.chars().count()) {
            n if n > 128 => s.err("id", format!("expected 1 to 128 characters, found {n}")),
            _ => Ok(id),
        }
    })?;
    let at = f.req("at", |s, v| match v {
        Json::String(t) => DateTime::parse_from_rfc3339(t)
            .or_else(|_| s.err("at", format!("expected an RFC 3339 timestamp with offset (2020-04-01T20:00:05+08:00), found {t:?}"))),
        other => s.err("at", format!("expected an RFC 3339 timestamp, found {}", describe(other))),
    })?;
    let personal = |name: &str| f.str(name).map(PersonalRef);
    let opt_personal = |name: &str| f.opt_str(name).map(|o| o.map(PersonalRef));
    let session = || f.str("session").map(SessionId);
    let order = || f.str("order").map(OrderId);
    let body = match ty {
        "merchant_registered" => Body::MerchantRegistered {
            merchant: MerchantId(f.str("merchant")?),
            name: f.str("name")?,
            licenses: f.objects("licenses", |l| l.license())?,
        },
        "anchor_registered" => Body::AnchorRegistered {
            anchor: AnchorId(f.str("anchor")?),
            name: f.str("name")?,
            mcn: f.opt_str("mcn")?,
            verified: f.bool_opt("verified")?,
        },
        "product_registered" => Body::ProductRegistered {
            product: ProductId(f.str("product")?),
            merchant: MerchantId(f.str("merchant")?),
            name: f.str("name")?,
            category: f.choice("category", &Category::ALL)?,
            brand: f.opt_str("brand")?,
            attributes: attributes(f)?,
            qualifications: f.objects("qualifications", |l| l.license())?,
        },
        "inspection_report" => Body::InspectionReport {
            report: ReportId(f.str("report")?),
            product: ProductId(f.str("product")?),
            lab: f.str("lab")?,
            issued: f.date("issued")?,
            results: {
                f.required("results")?;
                f.objects("results", |r| {
                    Ok(InspectionResult {
                        item: r.str("item")?,
                        value: r.number("value")?,
                        unit: r.str("unit")?,
                    })
                })?
            },
            conclusion: f.choice("conclusion", &Conclusion::ALL)?,
        },
        "agreement" => Body::Agreement {
            agreement: AgreementId(f.str("agreement")?),
            anchor: AnchorId(f.str("anchor")?),
            merchant: MerchantId(f.str("merchant")?),
            product: ProductId(f.str("product")?),
            seller: f.choice("seller", &Seller::ALL)?,
            commission_bp: f.opt("commission_bp", |s, v| {
                s.int_of(
                    "commission_bp",
                    v,
                    0,
                    "basis points, an integer from 0 to 10000",
                )
                .and_then(|n| {
                    if n <= 10_000 {
                        Ok(n as u32)
                    } else {
                        s.err(
                            "commission_bp",
                            "expected basis points, an integer from 0 to 10000",
                        )
                    }
                })
            })?,
            slot_fee: f.opt_minor("slot_fee")?,
            currency: f.opt_currency("currency")?,
            approved_claims: f.strings("approved_claims")?,
        },
        "session_started" => Body::SessionStarted {
            session: session()?,
            anchor: AnchorId(f.str("anchor")?),
            platform: f.str("platform")?,
            room: f.opt_str("room")?,
            title: f.opt_str("title")?,
        },
        "session_ended" => Body::SessionEnded {
            session: session()?,
        },
        "product_listed" => {
            let (session, product, price) =
                (session()?, ProductId(f.str("product")?), f.minor("price")?);
            Body::ProductListed {
                session,
                product,
                price: Money {
                    minor: price,
                    currency: f.currency("currency")?,
                },
                list_price: f.opt_minor("list_price")?,
            }
        }
        "claim" => Body::Claim {
            session: session()?,
            product: f.opt_str("product")?.map(ProductId),
            text: f.str("text")?,
            speaker: f.opt_str("speaker")?,
            asserts: f.objects("asserts", |a| {
                Ok(Assert {
                    attribute: a.str("attribute")?,
                    op: a.choice("op", &Op::ALL)?,
                    value: a.number("value")?,
                    unit: a.opt_str("unit")?,
                })
            })?,
        },
        "metrics_reported" => Body::MetricsReported {
            session: session()?,
            online: f.opt_count("online")?,
            views: f.opt_count("views")?,
            likes: f.opt_count("likes")?,
            orders: f.opt_count("orders")?,
            gmv: f.opt_minor("gmv")?,
            currency: f.opt_currency("currency")?,
        },
        "viewer_joined" => Body::ViewerJoined {
            session: session()?,
            account: personal("account")?,
            device: opt_personal("device")?,
            ip: opt_personal("ip")?,
            account_created: f.opt_date("account_created")?,
        },
        "viewer_left" => Body::ViewerLeft {
            session: session()?,
            account: personal("account")?,
        },
        "comment" => Body::Comment {
            session: session()?,
            account: personal("account")?,
            text: f.str("text")?,
        },
        "like" => Body::Like {
            session: session()?,
            account: personal("account")?,
            count: match f.get("count") {
                None => 1,
                Some(_) => f.positive("count")?,
            },
        },
        "order_placed" => {
            let (session, order, product, account) = (
                session()?,
                order()?,
                ProductId(f.str("product")?),
                personal("account")?,
            );
            let quantity = f.positive("quantity")?;
            let amount = f.minor("amount")?;
            Body::OrderPlaced {
                session,
                order,
                product,
                account,
                quantity,
                amount: Money {
                    minor: amount,
                    currency: f.currency("currency")?,
                },
                device: opt_personal("device")?,
                ip: opt_personal("ip")?,
                address: opt_personal("address")?,
                payment: opt_personal("payment")?,
            }
        }
        "order_paid" => Body::OrderPaid {
            order: order()?,
            amount: f.minor("amount")?,
        },
        "order_cancelled" => Body::OrderCancelled { order: order()? },
        "order_refunded" => Body::OrderRefunded {
            order: order()?,
            amount: f.minor("amount")?,
            reason: f.opt_str("reason")?,
        },
        "order_delivered" => Body::OrderDelivered { order: order()? },
        "complaint" => Body::Complaint {
            complaint: ComplaintId(f.str("complaint")?),
            order: order()?,
            category: f.choice("category", &ComplaintCategory::ALL)?,
            text: f.str("text")?,
            claim_ref: f.opt_str("claim_ref")?.map(EventId),
        },
        "case_updated" => Body::CaseUpdated {
            case: f.str("case")?,
            action: f.choice("action", &CaseAction::ALL)?,
            actor: f.str("actor")?,
            note: f.opt_str("note")?,
        },
        "intervention" => Body::Intervention {
            session: SessionId(f.str("session")?),
            action: f.choice("action", &InterventionAction::ALL)?,
            product: f.opt_str("product")?.map(ProductId),
            reason: f.str("reason")?,
            alert: f.opt_str("alert")?,
            actor: f.str("actor")?,
        },
        "alert" => Body::Alert {
            session: SessionId(f.str("session")?),
            alert: f.str("alert")?,
            code: f.str("code")?,
            severity: f
                .choice(
                    "severity",
                    &[("low", "low"), ("medium", "medium"), ("high", "high")],
                )?
                .to_string(),
            summary: f.str("summary")?,
            evidence: f.strings("evidence")?,
            checkpoint: f.req("checkpoint", |s, v| {
                s.int_of("checkpoint", v, 0, "a log size")
            })? as u64,
        },
        "access" => Body::Access {
            actor: f.str("actor")?,
            role: f.str("role")?,
            resource: f.str("resource")?,
        },
        _ => unreachable!("type checked against TYPES above"),
    };
    Ok(Event {
        id: EventId(id),
        at,
        body,
    })
}

fn attributes(f: &Fields) -> R<BTreeMap<String, AttrValue>> {
    let Some(v) = f.get("attributes") else {
        return Ok(BTreeMap::new());
    };
    let Json::Object(obj) = v else {
        return f.err(
            "attributes",
            format!(
                "expected an object of name → number or string, found {}",
                describe(v)
            ),
        );
    };
    obj.iter()
        .map(|(k, v)| {
            let value = match v {
                Json::Number(n) => AttrValue::Number(n.as_f64().unwrap_or(f64::NAN)),
                Json::String(s) => AttrValue::Text(s.to_string()),
                other => {
                    return Err(FieldError {
                        field: format!("attributes.{k}"),
                        reason: format!("expected a number or a string, found {}", describe(other)),
                    })
                }
            };
            Ok((k.to_string(), value))
        })
        .collect()
}

/// The fields of a stored event that the indexes need, read without
/// validating the rest (the entry was validated when it was logged).
#[derive(serde::Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct StoredHead {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub session: Option<String>,
    pub at: String,
}

pub fn stored_head(bytes: &[u8]) -> Result<StoredHead, Rejection> {
    serde_json::from_slice(bytes).map_err(|e| Rejection {
        id: None,
        field: None,
        reason: format!("stored event unreadable: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Members of flat lines of the busiest event types (and a few keys
    /// of others), each with a value that passes or fails validation.
    fn member() -> impl Strategy<Value = (String, String)> {
        let key = prop::sample::select(vec![
            "type",
            "id",
            "at",
            "session",
            "account",
            "device",
            "ip",
            "address",
            "payment",
            "order",
            "product",
            "quantity",
            "amount",
            "currency",
            "count",
            "text",
            "price",
            "online",
            "gmv",
            "account_created",
            "extra",
            "ké",
        ]);
        let value = prop::sample::select(vec![
            r#""viewer_joined""#,
            r#""order_placed""#,
            r#""like""#,
            r#""comment""#,
            r#""metrics_reported""#,
            r#""nope""#,
            r#""e1""#,
            r#""2020-04-01T20:01:02+08:00""#,
            r#""2020-04-01""#,
            r#""u1""#,
            r#""CNY""#,
            r#""""#,
            r#""燕窝""#,
            r#""with \"escape\"""#,
            "0",
            "3",
            "12900",
            "-1",
            "1.5",
            "true",
            "null",
            "[]",
        ]);
        (key, value).prop_map(|(k, v)| (k.to_string(), v.to_string()))
    }

    /// Valid flat lines of the busiest types, as members.
    const BASES: &[&[(&str, &str)]] = &[
        &[
            ("type", r#""viewer_joined""#),
            ("id", r#""e3""#),
            ("at", r#""2020-04-01T20:01:02+08:00""#),
            ("session", r#""s1""#),
            ("account", r#""u1""#),
            ("device", r#""d1""#),
            ("ip", r#""ip1""#),
        ],
        &[
            ("type", r#""like""#),
            ("id", r#""e9""#),
            ("at", r#""2020-04-01T20:01:06Z""#),
            ("session", r#""s1""#),
            ("account", r#""u1""#),
            ("count", "3"),
        ],
        &[
            ("type", r#""order_placed""#),
            ("id", r#""e4""#),
            ("at", r#""2020-04-01T20:03:10+08:00""#),
            ("session", r#""s1""#),
            ("order", r#""o1""#),
            ("product", r#""p1""#),
            ("account", r#""u1""#),
            ("quantity", "1"),
            ("amount", "12900"),
            ("currency", r#""CNY""#),
            ("address", r#""addr1""#),
            ("payment", r#""card1""#),
        ],
        &[
            ("type", r#""metrics_reported""#),
            ("id", r#""e6""#),
            ("at", r#""2020-04-01T20:05:00+08:00""#),
            ("session", r#""s1""#),
            ("online", "52000"),
            ("gmv", "64500"),
            ("currency", r#""CNY""#),
        ],
    ];

    /// A valid line, then up to three changes: a member's value replaced,
    /// a member dropped or added; members in any order, with or without
    /// spaces (after commas, before or after colons).
    fn line() -> impl Strategy<Value = String> {
        let change = (0..3u8, any::<prop::sample::Index>(), member());
        (
            prop::sample::select(BASES),
            prop::collection::vec(change, 0..4),
            Just(()).prop_perturb(|_, mut rng| rng.random::<u64>()),
            0..4u8,
        )
            .prop_map(|(base, changes, shuffle, spacing)| {
                let mut all: Vec<(String, String)> = base
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                for (how, at, (k, v)) in changes {
                    let i = at.index(all.len().max(1));
                    match how {
                        0 if i < all.len() => all[i].1 = v,
                        1 if i < all.len() => drop(all.remove(i)),
                        _ => all.push((k, v)),
                    }
                }
                // A rotation and a reversal give enough orders.
                let n = all.len().max(1);
                all.rotate_left((shuffle % n as u64) as usize);
                if shuffle & 1 << 32 != 0 {
                    all.reverse();
                }
                let (sep, colon) =
                    [(",", ":"), (", ", ":"), (",", ": "), (",", " :")][usize::from(spacing)];
                let body: Vec<String> = all
                    .iter()
                    .map(|(k, v)| format!("\"{k}\"{colon}{v}"))
                    .collect();
                format!("{{{}}}", body.join(sep))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The flat path (members on the stack, strings copied unescaped)
        /// gives the tree path's verdict, bytes and rejection on any line.
        #[test]
        fn the_flat_path_agrees_with_the_tree_path(line in line()) {
            let p = Pseudonymiser::new(&[3; 32]);
            let mut flat_out = Vec::new();
            let flat = prepare_with(line.as_bytes(), Some(&p), &mut flat_out, true, str::to_owned);
            let tree: Json = serde_json::from_str(&line).expect("generated lines are JSON");
            let mut tree_out = Vec::new();
            let tree = prepare_tree(tree, Some(&p), &mut tree_out, true, str::to_owned);
            match (flat, tree) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(a, b);
                    prop_assert_eq!(flat_out, tree_out);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "{line}: flat {a:?}, tree {b:?}"),
            }
        }
    }

    #[test]
    fn common_lines_take_the_flat_path() {
        let line = r#"{"type":"viewer_joined","id":"e3","at":"2020-04-01T20:01:02+08:00","session":"s1","account":"u1","device":"d1"}"#;
        let mut flat = Flat::default();
        assert!(matches!(
            json::parse_line(line.as_bytes(), &mut flat),
            Ok(Parsed::Flat)
        ));
    }
}
