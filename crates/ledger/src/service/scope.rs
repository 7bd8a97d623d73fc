//! What each role may see and do (api.md, "Roles and scopes"): decisions
//! from a token's principal and the facts of the analysis, nothing else.
//!
//! A resource outside the scope is as if it did not exist (404); an action
//! the role may not take on a resource it can see is refused (403).

use super::tokens::{Principal, Role};
use analysis::owners::{account_key, CaseOwners, ProductOwners, SessionOwners};
use analysis::Analyzer;
use events::CaseAction;

impl Principal {
    fn scope_is(&self, value: Option<&str>) -> bool {
        self.scope.is_some() && self.scope.as_deref() == value
    }

    /// May see the session with these parties (and its report).
    pub fn sees_session(&self, o: &SessionOwners) -> bool {
        match self.role {
            Role::Regulator => true,
            Role::Platform => self.scope_is(o.platform.as_deref()),
            Role::Mcn => self.scope_is(o.mcn.as_deref()),
            Role::Anchor => self.scope_is(o.anchor.as_deref()),
            Role::Merchant => self.scope.as_ref().is_some_and(|m| o.merchants.contains(m)),
            Role::Consumer | Role::Producer => false,
        }
    }

    /// May see the report of a product with these parties.
    pub fn sees_product(&self, o: &ProductOwners) -> bool {
        match self.role {
            Role::Regulator => true,
            Role::Merchant => self.scope_is(o.merchant.as_deref()),
            Role::Platform => self.scope.as_ref().is_some_and(|p| o.platforms.contains(p)),
            _ => false,
        }
    }

    /// May see a case with these parties.
    pub fn sees_case(&self, o: &CaseOwners) -> bool {
        let session = || o.session.as_ref();
        match self.role {
            Role::Regulator => true,
            Role::Platform => session().is_some_and(|o| self.scope_is(o.platform.as_deref())),
            Role::Mcn => session().is_some_and(|o| self.scope_is(o.mcn.as_deref())),
            Role::Anchor => session().is_some_and(|o| self.scope_is(o.anchor.as_deref())),
            Role::Merchant => self.scope_is(o.merchant.as_deref()),
            Role::Consumer => {
                o.buyer.is_some() && o.buyer == self.scope.as_deref().map(account_key)
            }
            Role::Producer => false,
        }
    }

    /// The case actions the role may take (on cases it can see).
    pub fn may(&self, action: CaseAction) -> bool {
        use CaseAction::*;
        match self.role {
            Role::Regulator => matches!(action, Escalate | Close),
            Role::Platform => matches!(action, Decide | Remedy | Close | Escalate),
            Role::Mcn | Role::Anchor => action == Dispute,
            Role::Merchant => matches!(action, Remedy | Dispute),
            Role::Consumer => matches!(action, Dispute | Escalate),
            Role::Producer => false,
        }
    }

    /// May send events (`POST /v1/events`).
    pub fn ingests(&self) -> bool {
        matches!(self.role, Role::Platform | Role::Producer)
    }

    /// For a listing check of `product` in `anchor`'s room: `Some(true)`
    /// allowed, `Some(false)` out of scope (404), `None` not the role's to
    /// ask (403).
    pub fn checks_listing(&self, an: &Analyzer, product: &str, anchor: &str) -> Option<bool> {
        match self.role {
            Role::Regulator => Some(true),
            Role::Mcn => Some(self.scope_is(an.anchor_mcn(anchor))),
            Role::Merchant => Some(self.scope_is(an.product_merchant(product))),
            Role::Anchor => Some(self.scope_is(Some(anchor))),
            Role::Platform | Role::Consumer | Role::Producer => None,
        }
    }

    /// Whether a session on platform `theirs` is this token's to send
    /// events about: a platform or producer sends only its own platform's
    /// sessions. `None` if it may; otherwise why not.
    pub fn refuses_platform(&self, theirs: Option<&str>) -> Option<String> {
        let platform = self.scope.as_deref()?;
        match theirs {
            Some(p) if p != platform => Some(format!(
                "this session is on platform {p:?}; a {} token of {platform:?} may send only its own",
                self.role.as_str()
            )),
            _ => None,
        }
    }
}
