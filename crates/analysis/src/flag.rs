//! Flags: the findings of report.md, each with a code, a severity, what
//! it says and the log entries it rests on.
//!
//! What a flag says is data ([`Says`]: the figures, names and rule ids
//! behind it), not prose: the words, in English and Chinese, come from one
//! catalogue (`render::words`), so the contract's English `summary` and a
//! Chinese dashboard say the same thing.

use serde::Serialize;

/// Evidence samples kept per flag (the strongest first); counts cover all.
const SAMPLE: usize = 10;

/// "No leaf recorded".
pub const NO_LEAF: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// High at or above `high`, medium at or above `medium`, else none.
    pub fn of(x: f64, medium: f64, high: f64) -> Option<Severity> {
        if x >= high {
            Some(Severity::High)
        } else if x >= medium {
            Some(Severity::Medium)
        } else {
            None
        }
    }
}

/// The flag codes of report.md (a closed list: answers and other tools rely on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlagCode {
    ViewerInflation,
    BotViewers,
    GmvInflation,
    OrderBrushing,
    RefundSurge,
    MetricsInconsistent,
    ClaimBannedTerm,
    ClaimMedical,
    ClaimContradicted,
    ClaimUnsupported,
    ClaimUnapproved,
    ProductUnqualified,
}

impl FlagCode {
    pub const ALL: [FlagCode; 12] = [
        FlagCode::ViewerInflation,
        FlagCode::BotViewers,
        FlagCode::GmvInflation,
        FlagCode::OrderBrushing,
        FlagCode::RefundSurge,
        FlagCode::MetricsInconsistent,
        FlagCode::ClaimBannedTerm,
        FlagCode::ClaimMedical,
        FlagCode::ClaimContradicted,
        FlagCode::ClaimUnsupported,
        FlagCode::ClaimUnapproved,
        FlagCode::ProductUnqualified,
    ];

    /// The claim codes, in the order their flags are listed.
    pub const CLAIMS: [FlagCode; 5] = [
        FlagCode::ClaimContradicted,
        FlagCode::ClaimMedical,
        FlagCode::ClaimBannedTerm,
        FlagCode::ClaimUnsupported,
        FlagCode::ClaimUnapproved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagCode::ViewerInflation => "VIEWER_INFLATION",
            FlagCode::BotViewers => "BOT_VIEWERS",
            FlagCode::GmvInflation => "GMV_INFLATION",
            FlagCode::OrderBrushing => "ORDER_BRUSHING",
            FlagCode::RefundSurge => "REFUND_SURGE",
            FlagCode::MetricsInconsistent => "METRICS_INCONSISTENT",
            FlagCode::ClaimBannedTerm => "CLAIM_BANNED_TERM",
            FlagCode::ClaimMedical => "CLAIM_MEDICAL",
            FlagCode::ClaimContradicted => "CLAIM_CONTRADICTED",
            FlagCode::ClaimUnsupported => "CLAIM_UNSUPPORTED",
            FlagCode::ClaimUnapproved => "CLAIM_UNAPPROVED",
            FlagCode::ProductUnqualified => "PRODUCT_UNQUALIFIED",
        }
    }

    /// A claim that misrepresents the product (false, or unlawful to say):
    /// what liability and the listing gate look for.
    pub fn misrepresents(self) -> bool {
        matches!(
            self,
            FlagCode::ClaimContradicted | FlagCode::ClaimBannedTerm | FlagCode::ClaimMedical
        )
    }

    /// The severity of a claim or product flag (session flags grade their
    /// own severity from thresholds).
    pub fn claim_severity(self) -> Severity {
        match self {
            FlagCode::ClaimMedical | FlagCode::ClaimContradicted | FlagCode::ProductUnqualified => {
                Severity::High
            }
            FlagCode::ClaimBannedTerm | FlagCode::ClaimUnsupported => Severity::Medium,
            _ => Severity::Low,
        }
    }
}

/// A code compares equal to its contract name (`FlagCode::BotViewers == "BOT_VIEWERS"`).
impl PartialEq<&str> for FlagCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for FlagCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.as_str())
    }
}

/// Log entries behind a finding: a sample of leaf indices and how many there are in all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    pub leaves: Vec<u64>,
    pub count: u64,
}

impl Evidence {
    pub fn of(leaves: impl IntoIterator<Item = u64>) -> Evidence {
        let mut all: Vec<u64> = leaves.into_iter().filter(|l| *l != NO_LEAF).collect();
        let count = all.len() as u64;
        all.truncate(SAMPLE);
        Evidence { leaves: all, count }
    }
}

#[derive(Clone, Debug)]
pub struct Flag {
    pub code: FlagCode,
    pub severity: Severity,
    pub says: Says,
    pub evidence: Evidence,
}

impl Flag {
    pub fn new(code: FlagCode, severity: Severity, says: Says, evidence: Evidence) -> Flag {
        Flag {
            code,
            severity,
            says,
            evidence,
        }
    }
}

/// A reported figure against what the events show: `x` times `observed`
/// (infinite when nothing was observed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Against {
    pub reported: i64,
    pub x: f64,
    pub observed: i64,
}

/// A figure a session's reports contradicted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contradiction {
    /// A cumulative figure (`views`, `likes`, `orders`, `gmv`) went down.
    WentDown(&'static str),
    OnlineAboveViews,
}

/// What a flag says, one variant per kind of finding. Shares are 0–1.
#[derive(Clone, Debug, PartialEq)]
pub enum Says {
    ViewerInflation {
        views: Option<Against>,
        peak: Option<Against>,
    },
    BotViewers {
        bots: u64,
        viewers: u64,
        share: f64,
        /// The commonest bot signals (`Signals::ALL` names), most first.
        mostly: Vec<&'static str>,
    },
    OrderBrushing {
        orders: u64,
        share: f64,
        groups: usize,
        accounts: u64,
        no_watch: f64,
        refunded: f64,
    },
    RefundSurge {
        rate: f64,
        expected: f64,
        /// Brushing orders' share of the refunded GMV, and the rate of the rest.
        brushing: Option<(f64, f64)>,
    },
    GmvInflation {
        currency: String,
        reported: Option<Against>,
        placed: Option<Against>,
        verified: i64,
        refunded: i64,
        brushing: i64,
    },
    MetricsInconsistent {
        reports: usize,
        what: Vec<Contradiction>,
    },
    /// Claims about one product under one claim code: the first details
    /// (each with its basis, empty for a contractual one) and how many
    /// more there are.
    Claims {
        code: FlagCode,
        claims: usize,
        product: String,
        details: Vec<(crate::claims::said::Said, String)>,
        more: usize,
    },
    /// A product listed but never registered.
    Unregistered { product: String },
    /// A product listed without what its category requires.
    Unqualified {
        product: String,
        category: String,
        listed: chrono::DateTime<chrono::FixedOffset>,
        /// Each problem with its legal basis.
        problems: Vec<(crate::claims::qualify::Problem, String)>,
    },
    /// A registered product not qualified on a day (no listing needed).
    NotQualified {
        product: String,
        category: String,
        on: chrono::NaiveDate,
        /// Each problem with its legal basis.
        problems: Vec<(crate::claims::qualify::Problem, String)>,
    },
}
