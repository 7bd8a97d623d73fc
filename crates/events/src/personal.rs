//! Personal data outside the contract's five identifiers.
//!
//! The log is append-only and kept for years, so personal data must not
//! reach it raw. The contract's identifiers (`account`, `device`, `ip`,
//! `address`, `payment`) are pseudonymised at the top level (in `parse`);
//! here, the rest:
//! - a member named like personal data ([`PERSONAL_KEYS`]: the five, and
//!   `phone`, `email`, `id_card`, `real_name`, …) is pseudonymised at any
//!   depth, so `"buyer":{"account":"u1"}` links to the same viewer as
//!   `"account":"u1"` does;
//! - a string in a field the contract does not define (an extra field, or
//!   anything nested in one) that looks like a mainland mobile number, an
//!   e-mail address or a resident ID-card number (with a valid check
//!   digit) is refused with the reason: where it belongs is a named field.
//!
//! Free text the contract defines (a comment, a claim) is not searched: it
//! is what the analysis reads, and refusing it would lose the event.

use crate::json::Json;
use crate::model::PERSONAL_FIELDS;
use crate::pseudonym::Pseudonymiser;

/// Member names pseudonymised wherever they appear. Extend here.
pub const PERSONAL_KEYS: [&str; 15] = [
    "account",
    "device",
    "ip",
    "address",
    "payment",
    "phone",
    "mobile",
    "telephone",
    "email",
    "id_card",
    "id_number",
    "real_name",
    "receiver",
    "receiver_phone",
    "wechat",
];

/// Whether `key` is a top-level field of some event type in the contract
/// (`docs/spec/events.md`): the fields whose content the contract defines.
pub fn is_contract_field(key: &str) -> bool {
    matches!(
        key,
        "type"
            | "id"
            | "at"
            | "account"
            | "account_created"
            | "action"
            | "actor"
            | "address"
            | "agreement"
            | "alert"
            | "amount"
            | "anchor"
            | "approved_claims"
            | "asserts"
            | "attributes"
            | "brand"
            | "case"
            | "category"
            | "checkpoint"
            | "claim_ref"
            | "code"
            | "commission_bp"
            | "complaint"
            | "conclusion"
            | "count"
            | "currency"
            | "device"
            | "evidence"
            | "gmv"
            | "ip"
            | "issued"
            | "lab"
            | "liable"
            | "licenses"
            | "likes"
            | "list_price"
            | "mcn"
            | "merchant"
            | "name"
            | "note"
            | "online"
            | "order"
            | "orders"
            | "payment"
            | "platform"
            | "price"
            | "product"
            | "qualifications"
            | "quantity"
            | "reason"
            | "remedy"
            | "report"
            | "resource"
            | "results"
            | "role"
            | "room"
            | "seller"
            | "session"
            | "severity"
            | "slot_fee"
            | "speaker"
            | "summary"
            | "text"
            | "title"
            | "verified"
            | "views"
    )
}

/// What a value looks like, if personal: "a mobile number", "an e-mail
/// address", "an ID-card number".
pub fn looks_personal(s: &str) -> Option<&'static str> {
    let s = s.trim();
    if is_email(s) {
        Some("an e-mail address")
    } else if is_mobile(s) {
        Some("a mobile number")
    } else if is_id_card(s) {
        Some("an ID-card number")
    } else {
        None
    }
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let ok = |c: char| c.is_ascii_alphanumeric() || "._+-".contains(c);
    !local.is_empty()
        && local.chars().all(ok)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

/// A mainland mobile number: 1[3-9] and 9 more digits, with an optional
/// +86 / 86 prefix and spaces or dashes between groups.
fn is_mobile(s: &str) -> bool {
    if !s.chars().all(|c| c.is_ascii_digit() || " -+()".contains(c)) {
        return false;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let national = digits.strip_prefix("86").filter(|_| digits.len() == 13);
    let n = national.unwrap_or(&digits);
    n.len() == 11 && n.starts_with('1') && (b'3'..=b'9').contains(&n.as_bytes()[1])
}

/// A resident ID-card number (GB 11643): 17 digits, a plausible birth
/// date, and the ISO 7064 MOD 11-2 check character.
fn is_id_card(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    if !(1900..=2100).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b[..17]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    b[17].to_ascii_uppercase() == check
}

/// Pseudonymises personal members at any depth below the top level of
/// `value` (the top level's five are done by `parse`), and, when `unknown`
/// (a field the contract does not define), refuses a string that looks
/// personal. `path` names `value` (`buyer`, `results[2].value`); the error
/// is the path of the refused value and what it looked like.
pub fn scrub(
    value: &mut Json,
    path: &mut String,
    unknown: bool,
    p: Option<&Pseudonymiser>,
) -> Result<(), (String, &'static str)> {
    let len = path.len();
    match value {
        Json::String(s) if unknown => {
            if let Some(what) = looks_personal(s) {
                return Err((path.clone(), what));
            }
        }
        Json::Number(n) if unknown && n.as_u64().is_some_and(|n| is_mobile(&n.to_string())) => {
            return Err((path.clone(), "a mobile number"));
        }
        Json::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                path.push_str(&format!("[{i}]"));
                scrub(v, path, unknown, p)?;
                path.truncate(len);
            }
        }
        Json::Object(obj) => {
            for (k, v) in obj.members_mut() {
                path.push('.');
                path.push_str(k);
                if let (true, Json::String(s)) = (PERSONAL_KEYS.contains(&k), &mut *v) {
                    if let (Some(p), false) = (p, s.is_empty()) {
                        *s = p.pseudonym(k, s).into();
                    }
                } else {
                    scrub(v, path, unknown, p)?;
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Whether a top-level member needs [`scrub_top`]: it is nested, outside
/// the contract, or personal beyond the five. Cheap: most members of most
/// events need nothing.
pub fn needs_scrub(key: &str, value: &Json) -> bool {
    matches!(value, Json::Array(_) | Json::Object(_))
        || !is_contract_field(key)
        || (PERSONAL_KEYS.contains(&key) && !PERSONAL_FIELDS.contains(&key))
}

/// [`scrub`] for the top-level member `key`: pseudonymised if personal
/// (beyond the five, which `parse` has done), else searched.
pub fn scrub_top(
    key: &str,
    value: &mut Json,
    p: Option<&Pseudonymiser>,
) -> Result<(), (String, &'static str)> {
    if PERSONAL_KEYS.contains(&key) {
        if let (Json::String(s), Some(p), false) = (&mut *value, p, PERSONAL_FIELDS.contains(&key))
        {
            if !s.is_empty() {
                *s = p.pseudonym(key, s).into();
            }
            return Ok(());
        }
    }
    scrub(value, &mut key.to_string(), !is_contract_field(key), p)
}

/// The reason a value was refused.
pub fn refusal(what: &str) -> String {
    format!(
        "looks like {what}: personal data is logged only pseudonymised, in a field named for it ({})",
        PERSONAL_KEYS.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_personal_values_and_not_ordinary_ones() {
        for s in [
            "13812345678",
            "+86 138-1234-5678",
            "8613812345678",
            "15900001111",
        ] {
            assert_eq!(looks_personal(s), Some("a mobile number"), "{s}");
        }
        for s in ["li.lei+shop@example.com", "a@b.cn"] {
            assert_eq!(looks_personal(s), Some("an e-mail address"), "{s}");
        }
        // A valid check digit (the standard's example) and one off by one.
        assert_eq!(
            looks_personal("11010519491231002X"),
            Some("an ID-card number")
        );
        assert_eq!(looks_personal("110105194912310021"), None);
        for s in [
            "12345678901", // not a mobile prefix
            "o-20201101-0001",
            "SC10644011300123",
            "@handle",
            "1380013800",
            "2020-04-01T20:00:00+08:00",
            "燕窝",
            "4001234567",
        ] {
            assert_eq!(looks_personal(s), None, "{s}");
        }
    }
}
