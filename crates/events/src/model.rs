//! Events as typed values. Field names follow the contract exactly.

use chrono::{DateTime, FixedOffset, NaiveDate};
use std::collections::BTreeMap;
use std::fmt;

macro_rules! id_types {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);
        impl $name {
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
    )*};
}

/// A closed vocabulary of the contract: each variant has exactly one name,
/// used to parse it (`ALL`), print it (`as_str`, `Display`) and serialise it.
macro_rules! names {
    ($name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        impl $name {
            pub const ALL: [(&'static str, $name); [$($text),*].len()] = [$(($text, $name::$variant)),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.pad(self.as_str()) }
        }
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                $name::ALL
                    .iter()
                    .find(|(n, _)| *n == s)
                    .map(|(_, v)| *v)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown {} {s:?}", stringify!($name))))
            }
        }
    };
}

id_types!(
    /// An event's `id`: unique across the whole log.
    EventId,
    SessionId,
    AnchorId,
    MerchantId,
    ProductId,
    OrderId,
    ReportId,
    AgreementId,
    ComplaintId,
    /// A personal identifier (`account`, `device`, `ip`, `address`,
    /// `payment`) as stored: pseudonymised unless configured otherwise.
    PersonalRef,
);

/// An ISO 4217 currency code: three upper-case ASCII letters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn parse(s: &str) -> Option<Currency> {
        let b: [u8; 3] = s.as_bytes().try_into().ok()?;
        b.iter().all(u8::is_ascii_uppercase).then_some(Currency(b))
    }
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII by construction")
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Currency::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not an ISO 4217 code: {s:?}")))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An amount in minor units (fen, cents) of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    Food,
    HealthFood,
    Cosmetics,
    Drug,
    MedicalDevice,
    Apparel,
    Electronics,
    Household,
    Other,
}

names!(Category {
    Food = "food",
    HealthFood = "health_food",
    Cosmetics = "cosmetics",
    Drug = "drug",
    MedicalDevice = "medical_device",
    Apparel = "apparel",
    Electronics = "electronics",
    Household = "household",
    Other = "other",
});

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conclusion {
    Pass,
    Fail,
}

names!(Conclusion { Pass = "pass", Fail = "fail" });

/// Who sells to the buyer under an agreement (the seller of record).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Seller {
    Merchant,
    Anchor,
}

names!(Seller { Merchant = "merchant", Anchor = "anchor" });

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Ge,
    Le,
    Eq,
    Gt,
    Lt,
}

names!(Op { Ge = ">=", Le = "<=", Eq = "=", Gt = ">", Lt = "<" });

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComplaintCategory {
    Quality,
    FalseAdvertising,
    Counterfeit,
    NotDelivered,
    Other,
}

names!(ComplaintCategory {
    Quality = "quality",
    FalseAdvertising = "false_advertising",
    Counterfeit = "counterfeit",
    NotDelivered = "not_delivered",
    Other = "other",
});

/// A licence or qualification: `{kind, number, expires?}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct License {
    pub kind: String,
    pub number: String,
    pub expires: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum AttrValue {
    Number(f64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct InspectionResult {
    pub item: String,
    pub value: f64,
    pub unit: String,
}

/// A checkable quantity in a claim, e.g. `bird_nest_g >= 2 g`.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Assert {
    pub attribute: String,
    pub op: Op,
    pub value: f64,
    pub unit: Option<String>,
}

/// One event: the common fields and its type-specific body.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: EventId,
    pub at: DateTime<FixedOffset>,
    pub body: Body,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    MerchantRegistered {
        merchant: MerchantId,
        name: String,
        licenses: Vec<License>,
    },
    AnchorRegistered {
        anchor: AnchorId,
        name: String,
        mcn: Option<String>,
        verified: Option<bool>,
    },
    ProductRegistered {
        product: ProductId,
        merchant: MerchantId,
        name: String,
        category: Category,
        brand: Option<String>,
        attributes: BTreeMap<String, AttrValue>,
        qualifications: Vec<License>,
    },
    InspectionReport {
        report: ReportId,
        product: ProductId,
        lab: String,
        issued: NaiveDate,
        results: Vec<InspectionResult>,
        conclusion: Conclusion,
    },
    Agreement {
        agreement: AgreementId,
        anchor: AnchorId,
        merchant: MerchantId,
        product: ProductId,
        seller: Seller,
        commission_bp: Option<u32>,
        slot_fee: Option<i64>,
        currency: Option<Currency>,
        approved_claims: Vec<String>,
    },
    SessionStarted {
        session: SessionId,
        anchor: AnchorId,
        platform: String,
        room: Option<String>,
        title: Option<String>,
    },
    SessionEnded {
        session: SessionId,
    },
    ProductListed {
        session: SessionId,
        product: ProductId,
        price: Money,
        list_price: Option<i64>,
    },
    Claim {
        session: SessionId,
        product: Option<ProductId>,
        text: String,
        speaker: Option<String>,
        asserts: Vec<Assert>,
    },
    MetricsReported {
        session: SessionId,
        online: Option<u64>,
        views: Option<u64>,
        likes: Option<u64>,
        orders: Option<u64>,
        gmv: Option<i64>,
        currency: Option<Currency>,
    },
    ViewerJoined {
        session: SessionId,
        account: PersonalRef,
        device: Option<PersonalRef>,
        ip: Option<PersonalRef>,
        account_created: Option<NaiveDate>,
    },
    ViewerLeft {
        session: SessionId,
        account: PersonalRef,
    },
    Comment {
        session: SessionId,
        account: PersonalRef,
        text: String,
    },
    Like {
        session: SessionId,
        account: PersonalRef,
        count: u64,
    },
    OrderPlaced {
        session: SessionId,
        order: OrderId,
        product: ProductId,
        account: PersonalRef,
        quantity: u64,
        amount: Money,
        device: Option<PersonalRef>,
        ip: Option<PersonalRef>,
        address: Option<PersonalRef>,
        payment: Option<PersonalRef>,
    },
    OrderPaid {
        order: OrderId,
        amount: i64,
    },
    OrderCancelled {
        order: OrderId,
    },
    OrderRefunded {
        order: OrderId,
        amount: i64,
        reason: Option<String>,
    },
    OrderDelivered {
        order: OrderId,
    },
    Complaint {
        complaint: ComplaintId,
        order: OrderId,
        category: ComplaintCategory,
        text: String,
        claim_ref: Option<EventId>,
    },
    /// Written by liveledger itself when a person works an after-sales
    /// case: an addition to the contract (events.md lets us add, never
    /// rename), so that the case history is as tamper-evident as the sale.
    CaseUpdated {
        case: String,
        action: CaseAction,
        actor: String,
        note: Option<String>,
    },
    /// A regulator or platform acted on a live session.
    Intervention {
        session: SessionId,
        action: InterventionAction,
        product: Option<ProductId>,
        reason: String,
        /// The alert that prompted it, if any.
        alert: Option<String>,
        actor: String,
    },
    /// A flag first raised on a session, or raised to a higher severity,
    /// as the service judged it at log size `checkpoint`.
    Alert {
        session: SessionId,
        alert: String,
        code: String,
        severity: String,
        summary: String,
        /// Event ids the flag rests on (a sample).
        evidence: Vec<String>,
        checkpoint: u64,
    },
    /// Someone was shown order- or account-level data by the service: who
    /// looked at what is itself on the record.
    Access {
        actor: String,
        role: String,
        resource: String,
    },
}

/// What a regulator or platform does to a live session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InterventionAction {
    Warn,
    TakeOffSale,
    Reinstate,
    Suspend,
}

names!(InterventionAction {
    Warn = "warn",
    TakeOffSale = "take_off_sale",
    Reinstate = "reinstate",
    Suspend = "suspend",
});

/// What a person did to an after-sales case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CaseAction {
    Decide,
    Remedy,
    Close,
    Escalate,
    Dispute,
}

names!(CaseAction {
    Decide = "decide",
    Remedy = "remedy",
    Close = "close",
    Escalate = "escalate",
    Dispute = "dispute",
});

/// The event types of the contract, by their `type` string.
pub const TYPES: [&str; 24] = [
    "merchant_registered",
    "anchor_registered",
    "product_registered",
    "inspection_report",
    "agreement",
    "session_started",
    "session_ended",
    "product_listed",
    "claim",
    "metrics_reported",
    "viewer_joined",
    "viewer_left",
    "comment",
    "like",
    "order_placed",
    "order_paid",
    "order_cancelled",
    "order_refunded",
    "order_delivered",
    "complaint",
    "case_updated",
    "intervention",
    "alert",
    "access",
];

/// The fields that carry personal data and are pseudonymised before storage.
pub const PERSONAL_FIELDS: [&str; 5] = ["account", "device", "ip", "address", "payment"];

impl Body {
    /// The contract's `type` string.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::MerchantRegistered { .. } => "merchant_registered",
            Body::AnchorRegistered { .. } => "anchor_registered",
            Body::ProductRegistered { .. } => "product_registered",
            Body::InspectionReport { .. } => "inspection_report",
            Body::Agreement { .. } => "agreement",
            Body::SessionStarted { .. } => "session_started",
            Body::SessionEnded { .. } => "session_ended",
            Body::ProductListed { .. } => "product_listed",
            Body::Claim { .. } => "claim",
            Body::MetricsReported { .. } => "metrics_reported",
            Body::ViewerJoined { .. } => "viewer_joined",
            Body::ViewerLeft { .. } => "viewer_left",
            Body::Comment { .. } => "comment",
            Body::Like { .. } => "like",
            Body::OrderPlaced { .. } => "order_placed",
            Body::OrderPaid { .. } => "order_paid",
            Body::OrderCancelled { .. } => "order_cancelled",
            Body::OrderRefunded { .. } => "order_refunded",
            Body::OrderDelivered { .. } => "order_delivered",
            Body::Complaint { .. } => "complaint",
            Body::CaseUpdated { .. } => "case_updated",
            Body::Intervention { .. } => "intervention",
            Body::Alert { .. } => "alert",
            Body::Access { .. } => "access",
        }
    }

    /// The order the event is about, if any.
    pub fn order(&self) -> Option<&OrderId> {
        match self {
            Body::OrderPlaced { order, .. }
            | Body::OrderPaid { order, .. }
            | Body::OrderCancelled { order }
            | Body::OrderRefunded { order, .. }
            | Body::OrderDelivered { order }
            | Body::Complaint { order, .. } => Some(order),
            _ => None,
        }
    }

    /// The product the event is about, if any.
    pub fn product(&self) -> Option<&ProductId> {
        match self {
            Body::ProductRegistered { product, .. }
            | Body::InspectionReport { product, .. }
            | Body::Agreement { product, .. }
            | Body::ProductListed { product, .. }
            | Body::OrderPlaced { product, .. }
            | Body::Claim {
                product: Some(product),
                ..
            } => Some(product),
            _ => None,
        }
    }

    /// The live session the event belongs to, for session-scoped types.
    pub fn session(&self) -> Option<&SessionId> {
        match self {
            Body::SessionStarted { session, .. }
            | Body::SessionEnded { session }
            | Body::ProductListed { session, .. }
            | Body::Claim { session, .. }
            | Body::MetricsReported { session, .. }
            | Body::ViewerJoined { session, .. }
            | Body::ViewerLeft { session, .. }
            | Body::Intervention { session, .. }
            | Body::Alert { session, .. }
            | Body::Comment { session, .. }
            | Body::Like { session, .. }
            | Body::OrderPlaced { session, .. } => Some(session),
            _ => None,
        }
    }
}
