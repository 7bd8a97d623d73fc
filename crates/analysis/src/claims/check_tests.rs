//! Table-driven tests of every rule family, in Chinese and English, with
//! the near-misses that must not fire.

use super::*;
use chrono::{DateTime, NaiveDate};
use events::{Conclusion, InspectionResult, ReportId};
use proptest::prelude::*;

fn rules() -> ClaimRules {
    ClaimRules::default()
}

/// The terms (as listed in the rules) that `text` hits.
fn hits(text: &str) -> Vec<String> {
    let r = rules();
    r.scan(text)
        .into_iter()
        .map(|h| r.terms[h.term].term.clone())
        .collect()
}

/// 最 + an adjective is a superlative however it continues; the ordinary
/// words that begin with 最 are not; listed terms keep their own entry.
#[test]
fn superlatives_are_found_by_pattern_and_their_look_alikes_are_not() {
    for (text, matched) in [
        ("这是最强的一款", "最强"),
        ("全网最低, 不买后悔", "最低"),
        ("款式最全", "最全"),
        ("效果最棒了", "最棒"),
        ("最 强 性价比", "最 强"),
    ] {
        let r = rules();
        let found = r.scan(text);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        assert_eq!(found[0].matched, matched, "{text}");
        assert_eq!(r.terms[found[0].term].rule, "CN-AD-9");
    }
    for text in [
        "最近很多人问",
        "最后十分钟",
        "最终价格以下单为准",
        "最初是朋友推荐的",
        "每人最多两件",
        "最少买一件",
        "最好还是先试用",
        "这是最新一批货",
        "最早明天发货",
        "最.",
        "最 a",
    ] {
        assert!(hits(text).is_empty(), "{text}: {:?}", hits(text));
    }
    // A listed term is one hit, not two.
    assert_eq!(hits("口感最佳"), ["最佳"]);
    assert_eq!(hits("全球领先的技术"), ["全球领先"]);
    assert_eq!(hits("a world-leading formula"), ["world-leading"]);
}

#[test]
fn banned_terms_fire_in_both_languages_and_every_spelling() {
    let cases: &[(&str, &str)] = &[
        ("国家级品质, 放心买", "国家级"),
        ("這是國家級的工藝", "国家级"),
        ("最高级的面料", "最高级"),
        ("口感最佳", "最佳"),
        ("最 佳 选择", "最佳"),
        ("最-佳!", "最佳"),
        ("这是最好的燕窝", "最好的"),
        ("全网最低价, 只有今天", "全网最低价"),
        ("全網最低價", "全网最低价"),
        ("全网·最低价", "全网最低价"),
        ("史上最低价", "史上最低价"),
        ("销量第一的面膜", "第一"),
        ("全国第1", "第1"),
        ("顶级工艺", "顶级"),
        ("頂級", "顶级"),
        ("极品好茶", "极品"),
        ("独一无二的配方", "独一无二"),
        ("100%有效", "100%有效"),
        ("１００％有效", "100%有效"),
        ("the best deal ever", "best"),
        ("THE BEST", "best"),
        ("ＢＥＳＴ price", "best"),
        ("best-selling serum", "best-selling"),
        ("We are No.1", "no.1"),
        ("we are no 1 in china", "no.1"),
        ("Ｎｏ．１", "no.1"),
        ("#1 seller", "#1"),
        ("# 1 seller", "#1"),
        ("the number one brand", "number one"),
        ("TOP1 brand", "top 1"),
        ("lowest price ever!", "lowest price ever"),
        ("Lowest   price, ever", "lowest price ever"),
        ("cheapest on the market", "cheapest"),
        ("an unbeatable offer", "unbeatable"),
    ];
    for (text, term) in cases {
        assert_eq!(hits(text), [*term], "{text:?}");
    }
}

#[test]
fn banned_term_near_misses_do_not_fire() {
    for text in [
        "第一次来直播间的朋友",
        "第一步先洗脸",
        "第一时间发货",
        "第一批货已经卖完",
        "第一款产品是燕窝",
        "第1个链接",
        "最好早点下单",
        "最近很火",
        "最后十单",
        "best before 2021-06-01",
        "Best-before date on the lid",
        "all the best to you",
        "best wishes from the team",
        "I will do my best",
        "our bestseller is back",
        "No.10 link",
        "no 100 refunds",
        "number once more",
        "top 10 questions",
        "the lowest price tier",
        "a #10 can",
        "这是第一百单",
    ] {
        assert_eq!(hits(text), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn medical_terms_fire_in_both_languages() {
    let cases: &[(&str, &str)] = &[
        ("每天一杯能预防癌症", "预防癌症"),
        ("可以治疗失眠", "治疗"),
        ("可以治療失眠", "治疗"),
        ("三天治愈", "治愈"),
        ("常喝能防癌", "防癌"),
        ("降血糖效果好", "降血糖"),
        ("降 血 压", "降血压"),
        ("能治糖尿病", "治糖尿病"),
        ("it cures diabetes", "cures"),
        ("a cure for acne", "cure"),
        ("PREVENTS CANCER", "prevents cancer"),
        ("anti-cancer tea", "anti-cancer"),
        ("anticancer tea", "anti-cancer"),
        ("lowers blood sugar fast", "lowers blood sugar"),
    ];
    for (text, term) in cases {
        assert_eq!(hits(text), [*term], "{text:?}");
    }
}

#[test]
fn medical_near_misses_do_not_fire() {
    for text in [
        "保健食品不是药物, 不能代替药物治疗疾病",
        "secure payment",
        "manicure set",
        "a curated box",
        "treats for your dog",
        "血糖仪配件",
        "cancer research donation",
    ] {
        assert_eq!(hits(text), Vec::<String>::new(), "{text:?}");
    }
}

#[test]
fn several_terms_are_all_found_with_their_original_spelling() {
    let r = rules();
    let found = r.scan("全网最低价, 最好的, the ＢＥＳＴ deal ever");
    let words: Vec<&str> = found.iter().map(|h| h.matched.as_str()).collect();
    assert_eq!(words, ["全网最低价", "最好的", "ＢＥＳＴ"]);
    assert!(found.iter().all(|h| r.terms[h.term].rule == "CN-AD-9"));
}

fn record<'a>(
    category: Category,
    attrs: &'a BTreeMap<String, AttrValue>,
    reports: &'a [Report],
    approved: Option<&'a [String]>,
) -> Record<'a> {
    Record {
        category: Some(category),
        attributes: Some(attrs),
        reports,
        approved,
        has_product: true,
    }
}

fn assert_(attribute: &str, op: Op, value: f64, unit: Option<&str>) -> Assert {
    Assert {
        attribute: attribute.into(),
        op,
        value,
        unit: unit.map(Into::into),
    }
}

fn report(id: &str, item: &str, value: f64, unit: &str, conclusion: Conclusion) -> Report {
    Report {
        id: ReportId(id.into()),
        leaf: 7,
        at: DateTime::parse_from_rfc3339("2020-11-01T10:00:00+08:00").unwrap(),
        lab: "Guangzhou Inspection Institute".into(),
        issued: NaiveDate::from_ymd_opt(2020, 11, 1).unwrap(),
        results: vec![InspectionResult {
            item: item.into(),
            value,
            unit: unit.into(),
        }],
        conclusion,
    }
}

fn attrs(pairs: &[(&str, f64)]) -> BTreeMap<String, AttrValue> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), AttrValue::Number(*v)))
        .collect()
}

#[test]
fn medical_claims_are_allowed_for_drugs_and_devices_only() {
    let a = attrs(&[]);
    for (category, fires) in [
        (Category::Food, true),
        (Category::HealthFood, true),
        (Category::Cosmetics, true),
        (Category::Drug, false),
        (Category::MedicalDevice, false),
    ] {
        let c = check(
            &rules(),
            "可以降血压",
            &[],
            &record(category, &a, &[], None),
        );
        assert_eq!(
            c.codes(&rules()).iter().any(|c| *c == "CLAIM_MEDICAL"),
            fires,
            "{category:?}"
        );
    }
}

#[test]
fn asserts_against_reports_and_attributes() {
    let r = rules();
    let a = attrs(&[("bird_nest_g", 2.0), ("net_weight_g", 45.0)]);
    let fail = [report("r1", "bird_nest_g", 50.0, "mg", Conclusion::Fail)];
    let pass = [report("r2", "bird_nest_g", 2.3, "g", Conclusion::Pass)];
    let odd = [report("r3", "bird_nest_g", 2.0, "oz", Conclusion::Pass)];
    let cases: Vec<(Assert, &[Report], &str)> = vec![
        // The bird's nest case: 2 g claimed, 50 mg measured.
        (
            assert_("bird_nest_g", Op::Ge, 2.0, Some("g")),
            &fail,
            "contradicted",
        ),
        (
            assert_("bird_nest_g", Op::Ge, 2.0, Some("克")),
            &fail,
            "contradicted",
        ),
        (
            assert_("bird_nest_g", Op::Ge, 2000.0, Some("mg")),
            &fail,
            "contradicted",
        ),
        (
            assert_("bird_nest_g", Op::Ge, 2.0, Some("g")),
            &pass,
            "holds",
        ),
        // The attribute alone supports it.
        (assert_("bird_nest_g", Op::Ge, 2.0, Some("g")), &[], "holds"),
        // Within the 2% tolerance.
        (
            assert_("bird_nest_g", Op::Ge, 2.04, Some("g")),
            &[],
            "holds",
        ),
        (
            assert_("bird_nest_g", Op::Ge, 2.5, Some("g")),
            &[],
            "contradicted",
        ),
        (
            assert_("bird_nest_g", Op::Eq, 2.0, Some("g")),
            &pass,
            "contradicted",
        ),
        (assert_("net_weight_g", Op::Le, 50.0, None), &[], "holds"),
        (
            assert_("net_weight_g", Op::Gt, 46.0, Some("g")),
            &[],
            "contradicted",
        ),
        (
            assert_("net_weight_g", Op::Lt, 0.05, Some("kg")),
            &[],
            "holds",
        ),
        // Nothing on record.
        (
            assert_("collagen_mg", Op::Ge, 500.0, Some("mg")),
            &[],
            "unsupported",
        ),
        // Not the same dimension: said, not guessed.
        (
            assert_("net_weight_g", Op::Ge, 45.0, Some("ml")),
            &[],
            "unsupported",
        ),
    ];
    for (assert, reports, expected) in cases {
        let c = check(
            &r,
            "x",
            std::slice::from_ref(&assert),
            &record(Category::Food, &a, reports, None),
        );
        let got = match &c.asserts[0].outcome {
            Outcome::Holds(_) => "holds",
            Outcome::Contradicted(_) => "contradicted",
            Outcome::Unsupported(_) => "unsupported",
        };
        assert_eq!(got, expected, "{}", describe(&assert));
    }
    // An unknown unit is named in the finding.
    let c = check(
        &r,
        "x",
        &[assert_("bird_nest_g", Op::Ge, 2.0, Some("g"))],
        &record(Category::Food, &attrs(&[]), &odd, None),
    );
    match &c.asserts[0].outcome {
        Outcome::Unsupported(why) => assert!(why.en().contains("'oz' is not known"), "{why:?}"),
        o => panic!("{o:?}"),
    }
    // A contradiction names the report, the value and the unit.
    let c = check(
        &r,
        "x",
        &[assert_("bird_nest_g", Op::Ge, 2.0, Some("g"))],
        &record(Category::Food, &a, &fail, None),
    );
    let Outcome::Contradicted(m) = &c.asserts[0].outcome else {
        panic!()
    };
    assert_eq!(m[0].source, Source::Report(0));
    assert_eq!((m[0].value, m[0].unit.as_deref()), (50.0, Some("mg")));
    assert!((m[0].compared - 0.05).abs() < 1e-12);
}

#[test]
fn approved_selling_points_match_after_folding_with_a_small_tolerance() {
    let approved = vec![
        "每份含2克燕窝".to_string(),
        "Each bowl has over 2 g of bird's nest".to_string(),
        "Very good value".to_string(),
    ];
    let cases: &[(&str, Approval)] = &[
        ("每份含2克燕窝", Approval::Exact),
        ("每份含 2 克燕窝！", Approval::Exact),
        ("每份含２克燕窝。", Approval::Exact),
        ("EACH BOWL HAS OVER 2 G OF BIRDS NEST!", Approval::Exact),
        ("Each bowl has over 2 g of bird's nest!!!", Approval::Exact),
        ("Very very good value", Approval::Tolerant),
        (
            "Each bowl has has over 2 g of bird's nest",
            Approval::Tolerant,
        ),
        ("每份含2克燕窝燕窝", Approval::Tolerant),
        // Improvising beyond the approved points.
        ("每份含3克燕窝", Approval::NotApproved(3)),
        ("每份含2克燕窝, 全家都爱吃", Approval::NotApproved(3)),
        (
            "Each bowl has over 5 g of bird's nest",
            Approval::NotApproved(3),
        ),
        ("good value", Approval::NotApproved(3)),
    ];
    let a = attrs(&[]);
    for (text, expected) in cases {
        let c = check(
            &rules(),
            text,
            &[],
            &record(Category::Food, &a, &[], Some(&approved)),
        );
        assert_eq!(c.approval, *expected, "{text:?}");
    }
    let c = check(
        &rules(),
        "每份含2克燕窝",
        &[],
        &record(Category::Food, &a, &[], None),
    );
    assert_eq!(c.approval, Approval::NoAgreement);
    assert_eq!(c.codes(&rules()), ["CLAIM_UNAPPROVED"]);
}

#[test]
fn the_worked_example_an_approved_but_false_claim_for_a_food() {
    // liability.md: "instant bird's nest", mostly sugar water. The merchant
    // approved the selling point; the lab found a fraction of it.
    let approved = vec!["每碗燕窝含量足2克".to_string()];
    let a = attrs(&[("bird_nest_g", 2.0)]);
    let lab = [report("r1", "bird_nest_g", 0.05, "g", Conclusion::Fail)];
    let c = check(
        &rules(),
        "每碗燕窝含量足2克!",
        &[assert_("bird_nest_g", Op::Ge, 2.0, Some("g"))],
        &record(Category::Food, &a, &lab, Some(&approved)),
    );
    assert_eq!(c.approval, Approval::Exact);
    assert_eq!(c.codes(&rules()), ["CLAIM_CONTRADICTED"]);
    // The declared attribute agrees with the claim; the report does not.
    let Outcome::Contradicted(m) = &c.asserts[0].outcome else {
        panic!()
    };
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].source, Source::Report(0));
}

#[test]
fn an_anchor_improvising_beyond_the_approved_points() {
    let approved = vec!["每份含2克燕窝".to_string()];
    let a = attrs(&[("bird_nest_g", 2.0)]);
    let c = check(
        &rules(),
        "我们家自己也天天吃, 每份含5克燕窝, 全网最低价, 还能降血糖",
        &[assert_("bird_nest_g", Op::Ge, 5.0, Some("g"))],
        &record(Category::Food, &a, &[], Some(&approved)),
    );
    assert_eq!(
        c.codes(&rules()),
        [
            "CLAIM_BANNED_TERM",
            "CLAIM_MEDICAL",
            "CLAIM_CONTRADICTED",
            "CLAIM_UNAPPROVED"
        ]
    );
}

#[test]
fn a_lawful_approved_claim_is_clean() {
    let approved = vec!["每份含2克燕窝".to_string()];
    let a = attrs(&[("bird_nest_g", 2.0)]);
    let c = check(
        &rules(),
        "每份含2克燕窝",
        &[assert_("bird_nest_g", Op::Ge, 2.0, Some("g"))],
        &record(Category::Food, &a, &[], Some(&approved)),
    );
    assert!(c.is_clean(&rules()), "{c:?}");
}

#[test]
fn rule_files_are_checked() {
    let v: Value = serde_json::from_str(DEFAULT_CLAIM_RULES).unwrap();
    let mut broken = v.clone();
    broken["banned"][0]["rule"] = Value::Null;
    let e = ClaimRules::from_value(&broken).unwrap_err().to_string();
    assert!(e.contains("claims.banned[0]") && e.contains("rule"), "{e}");
    let mut twice = v.clone();
    twice["medical"][0]["term"] = "最 佳".into();
    let e = ClaimRules::from_value(&twice).unwrap_err().to_string();
    assert!(e.contains("listed twice"), "{e}");
    // Every default term says where it comes from.
    for t in rules().terms {
        assert!(t.rule.starts_with("CN-AD-"), "{t:?}");
    }
}

proptest! {
    /// Spacing, punctuation and full-width forms inside a banned phrase
    /// never hide it.
    #[test]
    fn banned_phrases_survive_spelling_noise(
        ix in 0usize..8,
        seps in proptest::collection::vec(prop::sample::select(vec!["", " ", "·", "，", "！", "　", "~"]), 8),
    ) {
        let phrase = ["国家级", "最高级", "最佳", "全网最低价", "顶级", "极品", "独一无二", "史上最低价"][ix];
        let mut noisy = String::from("这款");
        for (c, sep) in phrase.chars().zip(seps.iter().cycle()) {
            noisy.push(c);
            noisy.push_str(sep);
        }
        noisy.push_str("真的好");
        prop_assert_eq!(hits(&noisy), [phrase]);
    }

    /// Scanning never panics and every hit maps back into the text.
    #[test]
    fn scanning_arbitrary_text_is_safe(s in "\\PC{0,80}") {
        for h in rules().scan(&s) {
            prop_assert!(s.contains(&h.matched));
        }
    }
}
