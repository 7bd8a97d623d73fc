//! Every rule and remedy of the default pack, and the EU pack.

use super::*;

fn cny(minor: i64) -> Money {
    Money {
        minor,
        currency: Currency::parse("CNY").unwrap(),
    }
}

fn parties(anchor_sells: bool) -> Parties {
    Parties {
        seller: if anchor_sells {
            "anchor:a1"
        } else {
            "merchant:m1"
        }
        .into(),
        merchant: "merchant:m1".into(),
        anchor: "anchor:a1".into(),
        platform: "platform".into(),
    }
}

/// Facts from a list of those that hold; the seller facts follow `anchor_sells`.
fn facts(hold: &[&'static str], anchor_sells: bool) -> Facts {
    let mut f = Facts::default();
    for (name, _) in FACTS {
        f.set(name, hold.contains(&name));
    }
    f.set("anchor_is_seller", anchor_sells);
    f.set("merchant_is_seller", !anchor_sells);
    f
}

fn liable(d: &Decision) -> Vec<(String, String, bool)> {
    d.liable
        .iter()
        .map(|l| (l.party.clone(), l.role.clone(), l.joint))
        .collect()
}

fn l(party: &str, role: &str, joint: bool) -> (String, String, bool) {
    (party.into(), role.into(), joint)
}

const FOOD_APPROVED_FALSE: [&str; 6] = [
    "upheld",
    "false_claim",
    "misrepresented",
    "approved_false_claim",
    "life_and_health",
    "unsafe_food",
];

#[test]
fn the_default_pack_parses_and_names_only_known_facts() {
    let p = Pack::default();
    assert_eq!(p.name, "Mainland China");
    assert_eq!((p.decide_hours, p.remedy_days), (48, 7));
    let eu = Pack::from_json(EU_PACK).unwrap();
    assert!(eu.remedies.iter().all(|r| r.compensation.is_none()));
    let e = Pack::from_json(&DEFAULT_PACK.replace("\"misrepresented\"]", "\"lied\"]")).unwrap_err();
    assert!(e.to_string().contains("unknown fact `lied`"), "{e}");
}

#[test]
fn the_worked_example_approved_false_claim_about_food() {
    // liability.md: seller liable, the anchor jointly (food: life and
    // health), refund + 3 × the price (the inspection passed: safe, just
    // not what was said).
    let hold = [
        "upheld",
        "false_claim",
        "misrepresented",
        "approved_false_claim",
        "life_and_health",
    ];
    let d = decide(
        &Pack::default(),
        &facts(&hold, false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(
        liable(&d),
        [
            l("merchant:m1", "seller", false),
            l("anchor:a1", "endorser", true)
        ]
    );
    assert_eq!(d.liable[1].basis, ["CN-AD-56", "CN-CPL-45"]);
    assert_eq!((d.remedy.refund, d.remedy.compensation), (25_900, 77_700));
    assert_eq!(d.remedy.basis, ["CN-CPL-24", "CN-CPL-55"]);
    // Rules that did not fire say why.
    let r = d
        .rules
        .iter()
        .find(|r| r.rule == "CN-R3-endorser-knew")
        .unwrap();
    assert_eq!(
        (r.fired, r.why.as_str()),
        (false, "not fired: life_and_health holds")
    );
}

#[test]
fn the_500_yuan_minimum() {
    let hold = [
        "upheld",
        "unlawful_ad",
        "misrepresented",
        "unapproved_false_claim",
    ];
    let d = decide(
        &Pack::default(),
        &facts(&hold, false),
        &parties(false),
        cny(9_900),
        0,
    );
    // 3 × 99 yuan = 297 yuan < 500 yuan.
    assert_eq!((d.remedy.refund, d.remedy.compensation), (9_900, 50_000));
}

#[test]
fn unsafe_food_ten_times_with_a_1000_yuan_minimum_where_higher() {
    let d = decide(
        &Pack::default(),
        &facts(&FOOD_APPROVED_FALSE, false),
        &parties(false),
        cny(5_000),
        0,
    );
    // 10 × 50 = 500 yuan → the 1000-yuan minimum; beats 3× (500-yuan minimum).
    assert_eq!(d.remedy.compensation, 100_000);
    assert!(d.remedy.basis.contains(&"CN-FSL-148".to_string()));
    assert!(!d.remedy.basis.contains(&"CN-CPL-55".to_string()));
    let d = decide(
        &Pack::default(),
        &facts(&FOOD_APPROVED_FALSE, false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(d.remedy.compensation, 259_000);
}

#[test]
fn approved_makes_the_merchant_the_advertiser_unapproved_the_anchor() {
    // Anchor as seller of record, approved false claim: the merchant is the
    // advertiser, jointly liable; the anchor is already the seller.
    let hold = [
        "upheld",
        "false_claim",
        "misrepresented",
        "approved_false_claim",
    ];
    let d = decide(
        &Pack::default(),
        &facts(&hold, true),
        &parties(true),
        cny(25_900),
        0,
    );
    assert_eq!(
        liable(&d),
        [
            l("anchor:a1", "seller", false),
            l("merchant:m1", "advertiser", true)
        ]
    );
    // Merchant sells, the anchor improvised: the anchor is the advertiser.
    let hold = [
        "upheld",
        "false_claim",
        "misrepresented",
        "unapproved_false_claim",
    ];
    let d = decide(
        &Pack::default(),
        &facts(&hold, false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(
        liable(&d),
        [
            l("merchant:m1", "seller", false),
            l("anchor:a1", "advertiser", true)
        ]
    );
}

#[test]
fn endorsers_of_other_goods_answer_only_when_they_should_have_known() {
    let hold = [
        "upheld",
        "false_claim",
        "misrepresented",
        "approved_false_claim",
    ];
    let d = decide(
        &Pack::default(),
        &facts(&hold, false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(liable(&d), [l("merchant:m1", "seller", false)]);
    let mut knew = hold.to_vec();
    knew.push("should_have_known");
    let d = decide(
        &Pack::default(),
        &facts(&knew, false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(
        liable(&d),
        [
            l("merchant:m1", "seller", false),
            l("anchor:a1", "endorser", true)
        ]
    );
}

#[test]
fn the_platform_answers_for_unknown_sellers_and_for_selling_after_a_failed_inspection() {
    let d = decide(
        &Pack::default(),
        &facts(&["upheld", "unknown_seller"], false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(
        liable(&d),
        [
            l("merchant:m1", "seller", false),
            l("platform", "platform", true)
        ]
    );
    assert_eq!(d.liable[1].basis, ["CN-CPL-44"]);
    let d = decide(
        &Pack::default(),
        &facts(&["upheld", "failed_before_order"], false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(d.liable[1].basis, ["CN-ECL-38"]);
}

#[test]
fn a_quality_complaint_without_a_false_claim_is_refund_only() {
    let d = decide(
        &Pack::default(),
        &facts(&["upheld"], false),
        &parties(false),
        cny(25_900),
        10_000,
    );
    assert_eq!(liable(&d), [l("merchant:m1", "seller", false)]);
    assert_eq!(d.liable[0].basis, ["CN-CPL-24"]);
    // What was already refunded is not owed again.
    assert_eq!((d.remedy.refund, d.remedy.compensation), (15_900, 0));
}

#[test]
fn nothing_upheld_nothing_owed() {
    let d = decide(
        &Pack::default(),
        &facts(&[], false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert!(d.liable.is_empty());
    assert_eq!((d.remedy.refund, d.remedy.compensation), (0, 0));
    assert!(d.rules.iter().all(|r| !r.fired));
}

#[test]
fn minimums_in_another_currency_are_said_not_applied() {
    let usd = Money {
        minor: 1_000,
        currency: Currency::parse("USD").unwrap(),
    };
    let hold = [
        "upheld",
        "unlawful_ad",
        "misrepresented",
        "unapproved_false_claim",
    ];
    let d = decide(
        &Pack::default(),
        &facts(&hold, false),
        &parties(false),
        usd,
        0,
    );
    assert_eq!(d.remedy.compensation, 3_000);
    assert!(
        d.remedy.notes[0].contains("minimum is set in CNY"),
        "{:?}",
        d.remedy.notes
    );
}

#[test]
fn the_eu_pack_refunds_without_a_punitive_multiple() {
    let eu = Pack::from_json(EU_PACK).unwrap();
    let d = decide(
        &eu,
        &facts(&FOOD_APPROVED_FALSE, false),
        &parties(false),
        cny(25_900),
        0,
    );
    assert_eq!(liable(&d), [l("merchant:m1", "seller", false)]);
    assert_eq!((d.remedy.refund, d.remedy.compensation), (25_900, 0));
    assert_eq!(d.remedy.basis, ["EU-SGD-13"]);
}
