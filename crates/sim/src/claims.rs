//! What is said at each product drop: the anchor repeats the merchant's
//! approved selling point and, with `false-claims`, improvises a false
//! one; then the product is listed. The truth records what is wrong with
//! every claim.

use crate::config::Plan;
use crate::registry::{key_grams, Product};
use crate::stream::{q, Kind, Sim};

/// Schedules every product's claims and listing at its drop.
pub(crate) fn schedule_drops(sim: &mut Sim, plan: &Plan, products: &mut [Product]) {
    for (k, p) in products.iter_mut().enumerate() {
        approved_claim(sim, plan, k, p);
        if let Some(kind) = p.false_claim.clone() {
            false_claim(sim, plan, k, p, &kind);
        }
        let listed = format!(
            r#""session":{},"product":{},"price":{},"currency":"CNY","list_price":{}"#,
            q(&plan.tag),
            q(&p.id),
            p.price,
            p.price * 3 / 2
        );
        sim.push(p.drop_ms, Kind::Other, "product_listed", listed);
    }
}

/// The merchant's own selling point; false when the lab says so (the
/// approved-but-false claim of liability.md's worked example).
fn approved_claim(sim: &mut Sim, plan: &Plan, k: usize, p: &mut Product) {
    let grams = key_grams(k);
    let lawful = sim.push(
        p.drop_ms + 5_000,
        Kind::Other,
        "claim",
        format!(
            r#""session":{},"product":{},"text":{},"speaker":"anchor","asserts":[{{"attribute":"key_ingredient_g","op":">=","value":{grams},"unit":"g"}}]"#,
            q(&plan.tag),
            q(&p.id),
            q(&format!("每份含{grams}克核心成分"))
        ),
    );
    let lawful_kinds = match p.false_claim.as_deref() {
        Some("contradicted") => vec!["contradicted"],
        _ => Vec::new(),
    };
    sim.truth.claims.insert(lawful.clone(), lawful_kinds);
    p.claim_ids.push(lawful);
}

/// The anchor's own words, of the given kind: never among the approved
/// points.
fn false_claim(sim: &mut Sim, plan: &Plan, k: usize, p: &mut Product, kind: &str) {
    let grams = key_grams(k);
    let (text, asserts) = match kind {
        "banned_term" => (
            "全网最低价, 最好的, the best deal ever".to_string(),
            String::new(),
        ),
        "medical" => (
            "每天一杯能预防癌症, cures diabetes".to_string(),
            String::new(),
        ),
        "contradicted" => (
            format!("每碗燕窝含量足{grams}克"),
            format!(
                r#","asserts":[{{"attribute":"key_ingredient_g","op":">=","value":{grams},"unit":"g"}}]"#
            ),
        ),
        _ => (
            "我们家自己也天天吃, 比专柜的还好".to_string(),
            String::new(),
        ),
    };
    let id = sim.push(
        p.drop_ms + 20_000,
        Kind::Other,
        "claim",
        format!(
            r#""session":{},"product":{},"text":{},"speaker":"anchor"{asserts}"#,
            q(&plan.tag),
            q(&p.id),
            q(&text)
        ),
    );
    sim.truth.claims.insert(
        id.clone(),
        match kind {
            "banned_term" => vec!["banned_term", "unapproved"],
            "medical" => vec!["medical", "unapproved"],
            "contradicted" => vec!["contradicted", "unapproved"],
            _ => vec!["unapproved"],
        },
    );
    p.claim_ids.push(id);
}
