//! The registry a week before the stream: the anchor, the merchant, the
//! products with their qualifications and the agreements that approve
//! their selling points; with `false-claims`, the failed lab reports
//! behind contradicted claims; and the session's start.

use crate::config::{Config, Plan, Scenario};
use crate::rng::Rng;
use crate::stream::{q, Sim};
use chrono::Duration;
use std::io;

/// Products on sale, dropped in turn over the stream.
const PRODUCTS: usize = 20;
const CATEGORIES: [&str; 6] = [
    "food",
    "health_food",
    "cosmetics",
    "apparel",
    "electronics",
    "household",
];
/// The kinds of false claim, one per product in turn (with `false-claims`).
const FALSE_KINDS: [&str; 4] = ["banned_term", "medical", "contradicted", "unapproved"];
/// When the registry facts are written: a week before the stream.
const REGISTERED_MS: i64 = -7 * 86_400_000;

pub(crate) struct Product {
    pub id: String,
    pub price: i64,
    pub drop_ms: i64,
    pub false_claim: Option<String>,
    pub claim_ids: Vec<String>,
}

/// Grams of the key ingredient product `k` has, as registered and claimed.
pub(crate) fn key_grams(k: usize) -> i64 {
    2 + k as i64 % 5
}

fn anchor(plan: &Plan) -> String {
    format!("{}-anchor", plan.tag)
}

/// Writes the registry facts and returns the products, priced from `rng`.
pub(crate) fn register(
    sim: &mut Sim,
    rng: &mut Rng,
    cfg: &Config,
    plan: &Plan,
) -> io::Result<Vec<Product>> {
    let tag = &plan.tag;
    let merchant = format!("{tag}-merchant");
    sim.write_now(
        REGISTERED_MS,
        "anchor_registered",
        format!(
            r#""anchor":{},"name":"Anchor {tag}","mcn":"mcn-1","verified":true"#,
            q(&anchor(plan))
        ),
    )?;
    sim.write_now(
        REGISTERED_MS,
        "merchant_registered",
        format!(r#""merchant":{},"name":"Merchant {tag}","licenses":[{{"kind":"business","number":"91110000{}","expires":"2030-12-31"}}]"#, q(&merchant), cfg.seed % 100_000),
    )?;
    let mut products = Vec::new();
    for k in 0..PRODUCTS {
        products.push(register_product(sim, rng, plan, &merchant, k)?);
    }
    if cfg.has(Scenario::FalseClaims) {
        plan_false_claims(sim, plan, &mut products)?;
    }
    Ok(products)
}

/// Product `k`: its registration, with the qualifications its category
/// needs, and its agreement with the anchor.
fn register_product(
    sim: &mut Sim,
    rng: &mut Rng,
    plan: &Plan,
    merchant: &str,
    k: usize,
) -> io::Result<Product> {
    let tag = &plan.tag;
    let id = format!("{tag}-p{k}");
    let category = CATEGORIES[k % CATEGORIES.len()];
    let price = (rng.lognormal(9_900.0, 0.7).round() as i64).clamp(990, 99_900);
    let grams = key_grams(k);
    let quals = match category {
        "food" => {
            format!(r#"[{{"kind":"SC","number":"SC1174403060{k:04}","expires":"2030-01-01"}}]"#)
        }
        "health_food" => format!(
            r#"[{{"kind":"SC","number":"SC1174403060{k:04}","expires":"2030-01-01"}},{{"kind":"health_food_filing","number":"食健备G2019440{k:05}"}}]"#
        ),
        "cosmetics" => format!(r#"[{{"kind":"cosmetics_filing","number":"G-2019-{k:05}"}}]"#),
        "electronics" => format!(r#"[{{"kind":"CCC","number":"2019010{k:07}"}}]"#),
        _ => "[]".into(),
    };
    sim.write_now(
        REGISTERED_MS + 1000,
        "product_registered",
        format!(
            r#""product":{},"merchant":{},"name":"Product {k}","category":"{category}","attributes":{{"net_weight_g":{},"key_ingredient_g":{grams}}},"qualifications":{quals}"#,
            q(&id),
            q(merchant),
            100 * (1 + k % 5)
        ),
    )?;
    let approved = [
        format!("每份含{grams}克核心成分"),
        format!("Each pack has {grams} g of the key ingredient"),
    ];
    sim.write_now(
        REGISTERED_MS + 2000,
        "agreement",
        format!(
            r#""agreement":"{tag}-g{k}","anchor":{},"merchant":{},"product":{},"seller":"merchant","commission_bp":2000,"slot_fee":6000000,"currency":"CNY","approved_claims":[{},{}]"#,
            q(&anchor(plan)),
            q(merchant),
            q(&id),
            q(&approved[0]),
            q(&approved[1])
        ),
    )?;
    let drop_ms = (5 * 60 + k as i64 * (170 * 60 / PRODUCTS as i64)) * 1000;
    Ok(Product {
        id,
        price,
        drop_ms,
        false_claim: None,
        claim_ids: Vec::new(),
    })
}

/// A third of the products get one kind of false claim each; for a
/// contradicted one, the lab's failed report is on record before the stream.
fn plan_false_claims(sim: &mut Sim, plan: &Plan, products: &mut [Product]) -> io::Result<()> {
    let tag = &plan.tag;
    for (k, p) in products.iter_mut().enumerate().filter(|(k, _)| k % 3 == 0) {
        let kind = FALSE_KINDS[(k / 3) % FALSE_KINDS.len()];
        if kind == "contradicted" {
            // The lab found a fraction of what is claimed, before the stream.
            sim.write_now(
                -3 * 86_400_000,
                "inspection_report",
                format!(
                    r#""report":"{tag}-r{k}","product":{},"lab":"Guangzhou Inspection Institute","issued":"{}","results":[{{"item":"key_ingredient_g","value":0.05,"unit":"g"}}],"conclusion":"fail""#,
                    q(&p.id),
                    (plan.day - Duration::days(4)).format("%Y-%m-%d")
                ),
            )?;
        }
        p.false_claim = Some(kind.to_string());
    }
    Ok(())
}

/// The stream goes live.
pub(crate) fn start_session(sim: &mut Sim, cfg: &Config, plan: &Plan) -> io::Result<()> {
    let tag = &plan.tag;
    sim.write_now(
        0,
        "session_started",
        format!(
            r#""session":{},"anchor":{},"platform":"douyin","room":"r-{}","title":"Live {tag}""#,
            q(tag),
            q(&anchor(plan)),
            cfg.seed
        ),
    )?;
    Ok(())
}
