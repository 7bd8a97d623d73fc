//! What a finding about a claim says, as data. It imports nothing of this
//! crate, because the flags' `Says` holds these and the rest of `claims`
//! uses the flags. `en()` says each in English (the contract's text);
//! `render::words` says them in either language.

use chrono::NaiveDate;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Absolute and superlative terms (`CLAIM_BANNED_TERM`).
    Banned,
    /// Disease prevention or treatment (`CLAIM_MEDICAL`).
    Medical,
}

/// Why an assertion could not be checked.
#[derive(Clone, Debug, PartialEq)]
pub enum Unsupported {
    NoProduct,
    NothingOnRecord {
        attribute: String,
    },
    /// Values on record that could not be compared, each with why.
    Uncompared(Vec<Uncompared>),
}

/// A value on record that could not be compared with the claim.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncompared {
    pub what: Compared,
    pub why: Why,
}

/// Where a value on record comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Compared {
    Attribute(String),
    Report(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Why {
    UnknownUnit(String),
    /// The value's unit, and the claim's.
    Incompatible(String, String),
    /// A text attribute (its text), where a number was claimed.
    Text(String),
}

impl Unsupported {
    /// Why, in English (the contract's text).
    pub fn en(&self) -> String {
        match self {
            Unsupported::NoProduct => "the claim names no product".into(),
            Unsupported::NothingOnRecord { attribute } => {
                format!("no attribute or inspection result named '{attribute}' is on record")
            }
            Unsupported::Uncompared(all) => {
                let each: Vec<String> = all.iter().map(Uncompared::en).collect();
                each.join("; ")
            }
        }
    }
}

impl Uncompared {
    pub fn en(&self) -> String {
        let what = match &self.what {
            Compared::Attribute(k) => format!("attribute {k}"),
            Compared::Report(id) => format!("report {id}"),
        };
        match &self.why {
            Why::UnknownUnit(u) => format!("{what}: unit '{u}' is not known, not compared"),
            Why::Incompatible(f, t) => format!("{what}: '{f}' cannot be compared with '{t}'"),
            Why::Text(t) => format!("{what} is text ('{t}'), not a number"),
        }
    }
}

/// What a finding about a claim says, as data: [`Said::en`] in English
/// (the contract's text), `render::words::said` in either language.
#[derive(Clone, Debug, PartialEq)]
pub enum Said {
    /// A banned or medical term, as matched, with the rule file's gloss.
    Term {
        matched: String,
        note: String,
        family: Family,
    },
    /// What was claimed (`key_ingredient_g ≥ 2 g`), and what contradicts it.
    Contradicted {
        claimed: String,
        by: By,
    },
    Unsupported {
        claimed: String,
        why: Unsupported,
    },
    /// The claim's text (clipped) is not among the approved selling points.
    NotApproved {
        text: String,
        on_record: usize,
    },
    /// No agreement between the anchor and the merchant.
    NoAgreement {
        text: String,
        anchor: Option<String>,
    },
}

/// A value on record that contradicts a claim, and where it is from.
#[derive(Clone, Debug, PartialEq)]
pub enum By {
    Report {
        id: String,
        lab: String,
        issued: NaiveDate,
        /// On record before the session began (else recorded after).
        before_session: bool,
        value: f64,
        unit: String,
    },
    Attribute {
        value: f64,
        unit: String,
    },
}

impl Said {
    /// The finding in English.
    pub fn en(&self) -> String {
        match self {
            Said::Term { matched, note, .. } => format!("'{matched}' ({note})"),
            Said::Contradicted { claimed, by } => {
                let source = match by {
                    By::Report {
                        id,
                        lab,
                        issued,
                        before_session,
                        value,
                        unit,
                    } => {
                        let when = if *before_session {
                            "on record before the session"
                        } else {
                            "recorded after the session began"
                        };
                        format!("inspection {id} by {lab} (issued {issued}, {when}) measured {value} {unit}")
                    }
                    By::Attribute { value, unit } => {
                        format!("the product's registered attribute is {value} {unit}")
                    }
                };
                format!("says {claimed}; {}", source.trim_end())
            }
            Said::Unsupported { claimed, why } => format!("says {claimed}; {}", why.en()),
            Said::NotApproved { text, on_record } => format!(
                "'{text}' is not one of the merchant's approved selling points ({on_record} on record)"
            ),
            Said::NoAgreement { text, anchor } => format!(
                "'{text}': no agreement on record between anchor {} and the merchant",
                anchor.as_deref().unwrap_or("(unknown)")
            ),
        }
    }
}
