//! Is this live data real, is this product what was said, who answers for
//! it? Pure, incremental analysis of live-commerce events.
//!
//! An [`Analyzer`] is fed events one at a time, in any order, each with its
//! leaf index in the log ([`Analyzer::observe`]), and can be asked at any
//! moment for a session's report, a product's findings, the listing gate
//! or the after-sales cases. Nothing here does I/O or knows of JSON output,
//! HTTP or terminals: the answers are plain structs, their evidence leaf
//! indices; the application turns those into event ids and documents.
//!
//! The flow is one way: **state** (what is kept per session, account,
//! order and product, fed event by event) → **judgement** (signals, flags,
//! claim findings, liability facts and decisions) → **answers**.
//!
//! - [`state`]: what is kept, and how each event updates it.
//! - [`rules`]: every threshold, weight, term list, requirement and
//!   liability rule, from documented data files (`rules/*.json`).
//! - [`authenticity`]: is this live data real? (report.md §1)
//! - [`claims`]: is this product what was said? Claims and qualifications.
//! - [`cases`]: who answers for it, and what is owed? (report.md §3)
//! - [`products`]: the product findings (report.md §2) and the listing gate.
//! - [`flag`], [`format`]: flag codes and severities; numbers in words.

pub mod authenticity;
pub mod cases;
pub mod claims;
pub mod error;
pub mod flag;
pub mod format;
pub mod owners;
pub mod products;
pub mod rules;
pub mod state;

pub use authenticity::report::SessionReport;
pub use error::RulesError;
pub use flag::{Evidence, Flag, FlagCode, Severity};
pub use rules::Rules;

/// The version of the judgement: bumped whenever the same state and rules
/// would be judged differently (new signals, new weights in the default
/// rule files), so answers saved by an older build are not served as
/// this one's.
pub const JUDGEMENT: u32 = 2;

use cases::case::{Case, Exposure};
use cases::liability::Pack;
use chrono::{DateTime, FixedOffset, NaiveDate};
use events::{Event, SessionId};
use products::gate::Gate;
use products::report::ProductReport;
use state::State;

/// The incremental analyzer: the state fed so far, and the rules it is judged by.
pub struct Analyzer {
    state: State,
    rules: Rules,
}

impl Analyzer {
    pub fn new(rules: Rules) -> Analyzer {
        Analyzer {
            state: State::default(),
            rules,
        }
    }

    /// Resumes from a state fed earlier (a snapshot), judged by `rules`.
    pub fn with_state(state: State, rules: Rules) -> Analyzer {
        Analyzer { state, rules }
    }

    /// What has been kept so far: what a snapshot saves.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Takes one event, logged at `leaf`.
    pub fn observe(&mut self, leaf: u64, ev: &Event) {
        self.state.observe(leaf, ev);
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Judges by another liability rule pack from now on.
    pub fn set_liability(&mut self, pack: Pack) {
        self.rules.liability = pack;
    }

    /// Events observed so far.
    pub fn events(&self) -> u64 {
        self.state.events()
    }

    /// The sessions seen so far (started, or referred to by an event).
    pub fn session_ids(&self) -> impl Iterator<Item = &SessionId> {
        self.state.session_ids()
    }

    /// The registered products, sorted.
    pub fn product_ids(&self) -> Vec<&str> {
        self.state.product_ids()
    }

    /// The session's report as of the events observed so far.
    ///
    /// # Panics
    /// On a state without its crowds ([`State::has_crowds`]).
    pub fn session_report(&self, id: &str) -> Option<SessionReport> {
        assert!(self.state.has_crowds(), "a session report needs the crowds");
        let ix = self.state.session_ix(id)?;
        Some(authenticity::session::session_report(
            &self.state,
            &self.rules,
            ix,
        ))
    }

    /// The session's report as `merchant` may see it: sales counted over
    /// its own products' orders only, and no flag's evidence (other
    /// parties' orders and accounts); `None` if no event named the session.
    ///
    /// # Panics
    /// On a state without its crowds ([`State::has_crowds`]).
    pub fn session_report_for_merchant(&self, id: &str, merchant: &str) -> Option<SessionReport> {
        let mut r = self.session_report(id)?;
        let s = &self.state.sessions[self.state.session_ix(id)?];
        let own: std::collections::HashSet<u64> = self
            .state
            .registry
            .products
            .iter()
            .filter(|(_, p)| p.merchant.as_str() == merchant)
            .map(|(id, _)| state::key(id))
            .collect();
        r.sales = authenticity::sales::sales_of(&self.state, &self.rules, s, |o| {
            own.contains(&o.product)
        });
        r.ring_graph = None;
        for f in &mut r.flags {
            f.evidence.leaves.clear();
        }
        Some(r)
    }

    /// The findings about one product, with its qualifications judged on
    /// day `on`; `None` if the log never mentions it.
    pub fn product_report(&self, id: &str, on: NaiveDate) -> Option<ProductReport> {
        products::report::product_report(&self.state, &self.rules, id, on)
    }

    /// The pre-live gate: may `product` be listed in `anchor`'s room at `at`?
    pub fn listing_gate(&self, product: &str, anchor: &str, at: DateTime<FixedOffset>) -> Gate {
        products::gate::listing_gate(&self.state, &self.rules, product, anchor, at)
    }

    /// Every after-sales case, its deadlines judged at `now`.
    pub fn cases(&self, now: DateTime<FixedOffset>) -> Vec<Case> {
        cases::case::cases(&self.state, &self.rules, now)
    }

    /// One case by its id (`c-<complaint>`).
    pub fn case(&self, id: &str, now: DateTime<FixedOffset>) -> Option<Case> {
        cases::case::case(&self.state, &self.rules, id, now)
    }

    /// The parties of a session (who may see it); `None` if no event named it.
    pub fn session_owners(&self, id: &str) -> Option<owners::SessionOwners> {
        Some(owners::session(&self.state, self.state.session_ix(id)?))
    }

    /// Each session's id and a count that moves whenever an event about it
    /// (its own, or one about its orders) is observed: a session whose
    /// count moved since it was last judged needs judging again.
    pub fn session_changes(&self) -> impl Iterator<Item = (&str, u64)> {
        self.state
            .sessions
            .iter()
            .map(|s| (s.id.as_str(), s.events + s.order_events))
    }

    /// The alerts raised so far, in log order.
    pub fn alerts(&self) -> &[state::registry::AlertRec] {
        &self.state.registry.alerts
    }

    /// The interventions so far, in log order.
    pub fn interventions(&self) -> &[state::registry::InterventionRec] {
        &self.state.registry.interventions
    }

    /// Whether the session has started and not ended.
    pub fn session_live(&self, id: &str) -> bool {
        self.state.session_ix(id).is_some_and(|ix| {
            self.state.sessions[ix].started.is_some() && self.state.sessions[ix].ended.is_none()
        })
    }

    /// The merchant who registered `product`, if it was registered.
    pub fn product_merchant(&self, product: &str) -> Option<&str> {
        let p = self.state.registry.products.get(product)?;
        Some(p.merchant.as_str())
    }

    /// The MCN agency of `anchor`, as its registration says.
    pub fn anchor_mcn(&self, anchor: &str) -> Option<&str> {
        self.state.registry.anchors.get(anchor)?.mcn.as_deref()
    }

    /// Who may see `product`'s report.
    pub fn product_owners(&self, product: &str) -> owners::ProductOwners {
        owners::product(&self.state, product)
    }

    /// Who may see `case`.
    ///
    /// # Panics
    /// On a state without its crowds ([`State::has_crowds`]).
    pub fn case_owners(&self, case: &Case) -> owners::CaseOwners {
        assert!(self.state.has_crowds(), "buyers are known from the crowds");
        owners::case(&self.state, case)
    }

    /// The session in which `order` was placed, if it was; and whether
    /// `account` (pseudonymised) placed it.
    ///
    /// # Panics
    /// On a state without its crowds, when `account` is given.
    pub fn order_session(&self, order: &str, account: Option<&str>) -> Option<(String, bool)> {
        assert!(
            account.is_none() || self.state.has_crowds(),
            "buyers are known from the crowds"
        );
        owners::order(&self.state, order, account)
    }

    /// What recalling `product` would cost; `None` when no claim about it
    /// was false or unlawful.
    pub fn exposure(&self, product: &str) -> Option<Exposure> {
        cases::case::exposure(&self.state, &self.rules, product)
    }
}
