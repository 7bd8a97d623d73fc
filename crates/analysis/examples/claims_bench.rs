//! Claims checked per second against the full default rule set, on one
//! core (docs/PERFORMANCE.md, issue 6: target over 100,000 claims/s of 50
//! characters).
//!
//! cargo run --release -p analysis --example claims_bench [-- N]
//!
//! Claims are 50 characters of mixed Chinese and English (a quarter are
//! an approved point, said as approved), one in five with a forbidden term, each with an assert against two reports and
//! an attribute, and an approved-selling-point comparison (two points).

use analysis::claims::check::{check, ClaimRules, Record};
use analysis::state::registry::Report;
use chrono::{DateTime, NaiveDate};
use events::{Assert, AttrValue, Category, Conclusion, InspectionResult, Op, ReportId};
use std::collections::BTreeMap;
use std::time::Instant;

const FRAGMENTS: [&str; 12] = [
    "家人们看过来，",
    "这款燕窝每碗含量足2克，",
    "今天直播间专属价格，",
    "买二送一只有今天，",
    "口感细腻入口即化，",
    "great value for the whole family, ",
    "free shipping today only, ",
    "宝宝们点个关注，",
    "each bowl has 2 g of bird's nest, ",
    "库存不多了赶紧下单，",
    "original factory packaging, ",
    "老粉都知道我们家品质，",
];
const SPICE: [&str; 5] = [
    "全网最低价",
    "能降血糖",
    "the best",
    "No.1",
    "第一次来的朋友",
];

fn claim(i: usize) -> String {
    if i % 4 == 1 && i != 1 {
        return claim(1); // the approved point, said as approved
    }
    let mut s = String::new();
    if i.is_multiple_of(5) {
        s.push_str(SPICE[(i / 5) % SPICE.len()]);
    }
    let mut k = i.wrapping_mul(2_654_435_761);
    while s.chars().count() < 50 {
        s.push_str(FRAGMENTS[k % FRAGMENTS.len()]);
        k = k / 7 + 3;
    }
    s.chars().take(50).collect()
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(500_000);
    let rules = ClaimRules::default();
    let texts: Vec<String> = (0..n).map(claim).collect();
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let report = |id: &str, value: f64, unit: &str| Report {
        id: ReportId(id.into()),
        leaf: 0,
        at: DateTime::parse_from_rfc3339("2020-11-01T10:00:00+08:00").expect("valid"),
        lab: "lab".into(),
        issued: NaiveDate::from_ymd_opt(2020, 11, 1).expect("valid"),
        results: vec![InspectionResult {
            item: "bird_nest_g".into(),
            value,
            unit: unit.into(),
        }],
        conclusion: Conclusion::Pass,
    };
    let reports = [report("r1", 2.1, "g"), report("r2", 2050.0, "mg")];
    let attributes: BTreeMap<String, AttrValue> =
        [("bird_nest_g".to_string(), AttrValue::Number(2.0))].into();
    let approved = vec![claim(1), "Each bowl has 2 g of bird's nest".to_string()];
    let record = Record {
        category: Some(Category::Food),
        attributes: Some(&attributes),
        reports: &reports,
        approved: Some(&approved),
        has_product: true,
    };
    let asserts = [Assert {
        attribute: "bird_nest_g".into(),
        op: Op::Ge,
        value: 2.0,
        unit: Some("g".into()),
    }];

    let t = Instant::now();
    let mut hits = 0usize;
    for text in &texts {
        hits += rules.scan(text).len();
    }
    let scan = t.elapsed();

    let t = Instant::now();
    let mut flagged = 0usize;
    for text in &texts {
        let c = check(&rules, text, &asserts, &record);
        flagged += !c.is_clean(&rules) as usize;
    }
    let full = t.elapsed();

    let per_sec = |d: std::time::Duration| n as f64 / d.as_secs_f64();
    println!("| claims | avg chars | terms in rule set | term hits | term scan only | full check (terms, assert vs 2 reports + attribute, approval) |");
    println!("|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {n} | {:.1} | {} | {hits} | {:.0} claims/s | {:.0} claims/s ({flagged} flagged) |",
        chars as f64 / n as f64,
        rules.terms.len(),
        per_sec(scan),
        per_sec(full),
    );
}
