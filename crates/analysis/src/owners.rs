//! Who a session, product or case belongs to: the facts from which a
//! service decides which party may see it (api.md, roles and scopes).
//! Nothing is judged here.

use crate::cases::case::Case;
use crate::state::{key, State};
use std::collections::BTreeSet;

/// The parties of one live session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionOwners {
    pub anchor: Option<String>,
    pub platform: Option<String>,
    /// The anchor's MCN agency, as its registration says.
    pub mcn: Option<String>,
    /// Merchants of the products listed in the session.
    pub merchants: BTreeSet<String>,
}

/// The parties of the session `ix`.
pub(crate) fn session(state: &State, ix: usize) -> SessionOwners {
    let s = &state.sessions[ix];
    let anchor = s.anchor.as_ref().map(|a| a.0.clone());
    let mcn = anchor
        .as_ref()
        .and_then(|a| state.registry.anchors.get(a))
        .and_then(|p| p.mcn.clone());
    let merchants = s
        .listed
        .iter()
        .filter_map(|(p, _, _)| state.registry.products.get(p.as_str()))
        .map(|p| p.merchant.0.clone())
        .collect();
    SessionOwners {
        anchor,
        platform: s.platform.clone(),
        mcn,
        merchants,
    }
}

/// The platforms of the sessions in which `product` was listed.
pub(crate) fn product_platforms(state: &State, product: &str) -> BTreeSet<String> {
    state
        .registry
        .listings
        .get(product)
        .into_iter()
        .flatten()
        .filter_map(|l| state.sessions.get(l.session as usize)?.platform.clone())
        .collect()
}

/// Whether `account` (as the log stores it: pseudonymised) placed the
/// order the case is about.
pub(crate) fn case_bought_by(state: &State, case: &Case, account: &str) -> bool {
    let Some(o) = state.orders.get(case.complaint.order as usize) else {
        return false;
    };
    o.is_placed()
        && state
            .sessions
            .get(o.session as usize)
            .and_then(|s| s.crowd.account_keys.get(o.account as usize))
            .is_some_and(|k| *k == key(account))
}

/// The session in which `order` was placed, and whether `account` placed it.
pub(crate) fn order(state: &State, order: &str, account: Option<&str>) -> Option<(String, bool)> {
    let o = &state.orders[state.order_ix(order)? as usize];
    if !o.is_placed() {
        return None;
    }
    let s = state.sessions.get(o.session as usize)?;
    let bought =
        account.is_some_and(|a| s.crowd.account_keys.get(o.account as usize) == Some(&key(a)));
    Some((s.id.0.clone(), bought))
}
