//! Who a session, product or case belongs to: the facts from which a
//! service decides which party may see it (api.md, roles and scopes).
//! Nothing is judged here.

use crate::cases::case::Case;
use crate::state::{key, State};
use std::collections::BTreeSet;

/// The parties of one live session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
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

/// The parties of one product: who may see its report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProductOwners {
    /// The merchant who registered it.
    pub merchant: Option<String>,
    /// The platforms of the sessions in which it was listed.
    pub platforms: BTreeSet<String>,
}

/// The parties of one after-sales case: who may see it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct CaseOwners {
    /// The parties of the session the order was placed in.
    pub session: Option<SessionOwners>,
    /// The merchant of the product.
    pub merchant: Option<String>,
    /// The key ([`account_key`]) of the account that placed the order.
    pub buyer: Option<u64>,
}

/// The key under which the state knows an account (pseudonymised, as
/// logged): what a case keeps of its buyer.
pub fn account_key(account: &str) -> u64 {
    key(account)
}

pub(crate) fn product(state: &State, product: &str) -> ProductOwners {
    ProductOwners {
        merchant: state
            .registry
            .products
            .get(product)
            .map(|p| p.merchant.0.clone()),
        platforms: product_platforms(state, product),
    }
}

/// The parties of `case`. Needs the crowds (buyers are known from them).
pub(crate) fn case(state: &State, case: &Case) -> CaseOwners {
    let order = state
        .orders
        .get(case.complaint.order as usize)
        .filter(|o| o.is_placed());
    let buyer = order.and_then(|o| {
        let s = state.sessions.get(o.session as usize)?;
        s.crowd.account_keys.get(o.account as usize).copied()
    });
    CaseOwners {
        session: case
            .session
            .as_deref()
            .and_then(|s| Some(session(state, state.session_ix(s)?))),
        merchant: case.product.as_deref().and_then(|p| {
            let p = state.registry.products.get(p)?;
            Some(p.merchant.0.clone())
        }),
        buyer,
    }
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
