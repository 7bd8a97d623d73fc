//! Qualifications: what a product's category requires it to hold, checked
//! on a given day (`rules/qualifications.json`).

use crate::error::{strict, RulesError};
use crate::state::registry::Report;
use chrono::NaiveDate;
use events::{AttrValue, Category, Conclusion, License};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const DEFAULT_QUALIFICATION_RULES: &str = include_str!("../../rules/qualifications.json");

/// One thing a category must hold, met by any one of `kinds`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub requirement: String,
    /// Its name in Chinese, for pages in Chinese (default: `requirement`).
    #[serde(default)]
    pub requirement_zh: Option<String>,
    /// The `kind` codes that name it (case-insensitive).
    pub kinds: Vec<String>,
    /// Other labels producers' systems use for it, in Chinese and English.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Number formats that say what a qualification is whatever its
    /// `kind` label: `#` a digit, `*` anything (`SC##############`).
    #[serde(default)]
    pub numbers: Vec<String>,
    pub prefix: Option<String>,
    pub unless_attribute: Option<String>,
    pub basis: String,
    /// Where the requirement comes from, for people reading the file.
    #[serde(default)]
    pub why: String,
}

/// `rules/qualifications.json` as written: every key known.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QualificationsFile {
    #[serde(rename = "_about", default)]
    _about: Option<String>,
    categories: BTreeMap<String, Vec<Requirement>>,
    #[serde(default)]
    inspection_basis: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct QualificationRules {
    pub categories: Vec<(Category, Vec<Requirement>)>,
    pub inspection_basis: String,
}

impl Default for QualificationRules {
    fn default() -> QualificationRules {
        QualificationRules::from_value(
            &serde_json::from_str(DEFAULT_QUALIFICATION_RULES).expect("embedded"),
        )
        .expect("the embedded qualification rules parse (tested)")
    }
}

impl QualificationRules {
    pub(crate) fn from_value(v: &Value) -> Result<QualificationRules, RulesError> {
        let mut f: QualificationsFile = strict("qualifications", v)?;
        let mut categories = Vec::new();
        for (name, category) in Category::ALL {
            let path = format!("qualifications.categories.{name}");
            let list = f.categories.remove(name).ok_or_else(|| {
                RulesError::field(&path, "must be a list (empty when nothing is required)")
            })?;
            for (i, r) in list.iter().enumerate() {
                if r.kinds.is_empty() || r.requirement.is_empty() || r.basis.is_empty() {
                    return Err(RulesError::field(
                        format!("{path}[{i}]"),
                        "needs `requirement`, `basis` and a non-empty `kinds` list",
                    ));
                }
            }
            categories.push((category, list));
        }
        if let Some(k) = f.categories.keys().next() {
            return Err(RulesError::field(
                format!("qualifications.categories.{k}"),
                "is not a category",
            ));
        }
        Ok(QualificationRules {
            categories,
            inspection_basis: f.inspection_basis,
        })
    }

    pub fn requirements(&self, c: Category) -> &[Requirement] {
        self.categories
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(&[], |(_, r)| r.as_slice())
    }
}

/// How one requirement stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Met by the product's qualification at this index.
    Held(usize),
    /// Waived by the named attribute.
    Waived(String),
    Missing,
    /// Only expired ones are held (the latest expiry).
    Expired(usize, NaiveDate),
    /// Held, but the number does not have the required form.
    BadNumber(usize),
    /// Not found, but the product holds a qualification that neither its
    /// `kind` nor its number lets us recognise (it may be this one).
    Unrecognised(usize),
}

impl Status {
    /// The status's name in answers.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Held(_) => "held",
            Status::Waived(_) => "waived",
            Status::Missing => "missing",
            Status::Expired(..) => "expired",
            Status::BadNumber(_) => "bad_number",
            Status::Unrecognised(_) => "unrecognised",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct RequirementCheck {
    pub requirement: Requirement,
    pub status: Status,
}

/// A product's qualifications on one day.
#[derive(Clone, Debug, PartialEq)]
pub struct QualificationCheck {
    pub on: NaiveDate,
    pub requirements: Vec<RequirementCheck>,
    /// The latest inspection report on record that day (index into the
    /// reports given), if any.
    pub latest_inspection: Option<usize>,
    pub failed_inspection: bool,
}

impl QualificationCheck {
    /// Not qualified only because a qualification could not be recognised:
    /// worth a look (low severity), not proof that anything is missing.
    pub fn only_unrecognised(&self) -> bool {
        !self.failed_inspection
            && self.requirements.iter().all(|r| {
                matches!(
                    r.status,
                    Status::Held(_) | Status::Waived(_) | Status::Unrecognised(_)
                )
            })
    }

    pub fn qualified(&self) -> bool {
        !self.failed_inspection
            && self
                .requirements
                .iter()
                .all(|r| matches!(r.status, Status::Held(_) | Status::Waived(_)))
    }

    /// Each problem, with its legal basis.
    pub fn problems(
        &self,
        quals: &[License],
        reports: &[Report],
        basis: &str,
    ) -> Vec<(Problem, String)> {
        let mut out = Vec::new();
        for r in &self.requirements {
            let req = &r.requirement;
            let requirement = Named {
                en: req.requirement.clone(),
                zh: req
                    .requirement_zh
                    .clone()
                    .unwrap_or_else(|| req.requirement.clone()),
            };
            let problem = match &r.status {
                Status::Held(_) | Status::Waived(_) => continue,
                Status::Missing => Problem::Missing {
                    requirement,
                    kinds: req.kinds.clone(),
                },
                Status::Expired(i, on) => Problem::Expired {
                    requirement,
                    number: quals[*i].number.clone(),
                    on: *on,
                },
                Status::BadNumber(i) => Problem::BadNumber {
                    requirement,
                    number: quals[*i].number.clone(),
                    prefix: req.prefix.clone().unwrap_or_default(),
                },
                Status::Unrecognised(i) => Problem::Unrecognised {
                    requirement,
                    kind: quals[*i].kind.clone(),
                    number: quals[*i].number.clone(),
                    kinds: req.kinds.clone(),
                    numbers: req.numbers.clone(),
                },
            };
            out.push((problem, req.basis.clone()));
        }
        if let (true, Some(i)) = (self.failed_inspection, self.latest_inspection) {
            let r = &reports[i];
            let failed = Problem::FailedInspection {
                report: r.id.0.clone(),
                lab: r.lab.clone(),
                issued: r.issued,
            };
            out.push((failed, basis.to_string()));
        }
        out
    }
}

/// A requirement's name in English and Chinese.
#[derive(Clone, Debug, PartialEq)]
pub struct Named {
    pub en: String,
    pub zh: String,
}

/// One problem with a product's qualifications, as data: [`Problem::en`]
/// says it in English (the contract's text), `render::words::problem` in
/// either language.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    Missing {
        requirement: Named,
        kinds: Vec<String>,
    },
    Expired {
        requirement: Named,
        number: String,
        on: NaiveDate,
    },
    BadNumber {
        requirement: Named,
        number: String,
        prefix: String,
    },
    /// A qualification neither its kind nor its number lets us recognise.
    Unrecognised {
        requirement: Named,
        kind: String,
        number: String,
        kinds: Vec<String>,
        numbers: Vec<String>,
    },
    /// The latest inspection report on record concluded fail.
    FailedInspection {
        report: String,
        lab: String,
        issued: NaiveDate,
    },
}

impl Problem {
    /// The problem in English.
    pub fn en(&self) -> String {
        match self {
            Problem::Missing { requirement, kinds } => {
                format!("no {} on record ({})", requirement.en, kinds.join(" or "))
            }
            Problem::Expired {
                requirement,
                number,
                on,
            } => format!("{} {number} expired on {on}", requirement.en),
            Problem::BadNumber {
                requirement,
                number,
                prefix,
            } => format!(
                "{} number {number} does not start with {prefix}",
                requirement.en
            ),
            Problem::Unrecognised {
                requirement,
                kind,
                number,
                kinds,
                numbers,
            } => format!(
                "{} not recognised: {kind:?} number {number} is neither a known kind ({}) nor a known number format ({})",
                requirement.en,
                kinds.join(", "),
                if numbers.is_empty() {
                    "none defined".to_string()
                } else {
                    numbers.join(", ")
                }
            ),
            Problem::FailedInspection {
                report,
                lab,
                issued,
            } => format!("inspection {report} by {lab} (issued {issued}) concluded fail"),
        }
    }
}

/// Checks a product of `category` on day `on`, against the reports on
/// record that day (the caller filters them).
pub fn check(
    rules: &QualificationRules,
    category: Category,
    quals: &[License],
    attributes: &BTreeMap<String, AttrValue>,
    reports: &[Report],
    on: NaiveDate,
) -> QualificationCheck {
    let all = rules.requirements(category);
    let requirements = all
        .iter()
        .map(|req| RequirementCheck {
            requirement: req.clone(),
            status: status(req, all, quals, attributes, on),
        })
        .collect();
    let latest_inspection = reports
        .iter()
        .enumerate()
        .max_by_key(|(_, r)| (r.issued, r.at, r.leaf))
        .map(|(i, _)| i);
    QualificationCheck {
        on,
        requirements,
        failed_inspection: latest_inspection
            .is_some_and(|i| reports[i].conclusion == Conclusion::Fail),
        latest_inspection,
    }
}

/// Whether `q` is a qualification of the kind `req` asks for: by its
/// `kind` label, or by its number's format.
fn recognised(req: &Requirement, q: &License) -> bool {
    let kind = q.kind.trim();
    req.kinds
        .iter()
        .chain(&req.aliases)
        .any(|k| k.eq_ignore_ascii_case(kind))
        || req
            .numbers
            .iter()
            .any(|f| number_matches(f, q.number.trim()))
}

/// `number` against a format: `#` one digit, `*` any run of characters,
/// anything else itself.
fn number_matches(format: &str, number: &str) -> bool {
    fn go(f: &[char], n: &[char]) -> bool {
        match (f.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&f[1..], n) || (!n.is_empty() && go(f, &n[1..])),
            (Some('#'), Some(c)) if c.is_ascii_digit() => go(&f[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&f[1..], &n[1..]),
            _ => false,
        }
    }
    let (f, n): (Vec<char>, Vec<char>) = (format.chars().collect(), number.chars().collect());
    go(&f, &n)
}

fn status(
    req: &Requirement,
    all: &[Requirement],
    quals: &[License],
    attributes: &BTreeMap<String, AttrValue>,
    on: NaiveDate,
) -> Status {
    if let Some(a) = req
        .unless_attribute
        .as_ref()
        .filter(|a| attributes.contains_key(*a))
    {
        return Status::Waived(a.clone());
    }
    let mut best = Status::Missing;
    for (i, q) in quals.iter().enumerate() {
        if !recognised(req, q) {
            continue;
        }
        if req
            .prefix
            .as_ref()
            .is_some_and(|p| !q.number.trim().starts_with(p.as_str()))
        {
            best = Status::BadNumber(i);
            continue;
        }
        match q.expires {
            Some(d) if d < on => {
                if !matches!(best, Status::Expired(_, e) if e >= d) {
                    best = Status::Expired(i, d);
                }
            }
            _ => return Status::Held(i),
        }
    }
    if best == Status::Missing {
        // Something is held that no requirement of the category claims:
        // say so rather than call the requirement missing.
        if let Some(i) = quals
            .iter()
            .position(|q| !all.iter().any(|r| recognised(r, q)))
        {
            return Status::Unrecognised(i);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use events::ReportId;

    fn lic(kind: &str, number: &str, expires: Option<&str>) -> License {
        License {
            kind: kind.into(),
            number: number.into(),
            expires: expires.map(|d| d.parse().unwrap()),
        }
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn inspection(id: &str, issued: &str, conclusion: Conclusion) -> Report {
        Report {
            id: ReportId(id.into()),
            leaf: 1,
            at: DateTime::parse_from_rfc3339(&format!("{issued}T12:00:00+08:00")).unwrap(),
            lab: "lab".into(),
            issued: day(issued),
            results: vec![],
            conclusion,
        }
    }

    fn qualified(c: Category, quals: &[License], attrs: &[&str], reports: &[Report]) -> bool {
        let attrs = attrs
            .iter()
            .map(|a| (a.to_string(), AttrValue::Text("yes".into())))
            .collect();
        check(
            &QualificationRules::default(),
            c,
            quals,
            &attrs,
            reports,
            day("2020-11-01"),
        )
        .qualified()
    }

    #[test]
    fn every_category_has_its_requirements() {
        use Category::*;
        let sc = lic("SC", "SC11744030600001", Some("2025-01-01"));
        let cases: Vec<(Category, Vec<License>, &[&str], bool)> = vec![
            (Food, vec![sc.clone()], &[], true),
            (Food, vec![], &[], false),
            (Food, vec![lic("sc", "SC11744030600001", None)], &[], true),
            (Food, vec![lic("SC", "QS1234", None)], &[], false),
            (Food, vec![lic("SC", "SC1", Some("2019-12-31"))], &[], false),
            (
                Food,
                vec![
                    lic("SC", "SC1", Some("2019-12-31")),
                    lic("SC", "SC2", Some("2021-01-01")),
                ],
                &[],
                true,
            ),
            (HealthFood, vec![sc.clone()], &[], false),
            (
                HealthFood,
                vec![
                    sc.clone(),
                    lic("health_food_filing", "食健备G202011000001", None),
                ],
                &[],
                true,
            ),
            (
                Cosmetics,
                vec![lic("cosmetics_filing", "粤G妆网备字2020001", None)],
                &[],
                true,
            ),
            (Cosmetics, vec![], &[], false),
            (
                Drug,
                vec![lic("drug_approval", "国药准字H20200001", None)],
                &[],
                true,
            ),
            (Drug, vec![sc.clone()], &[], false),
            (
                MedicalDevice,
                vec![lic("medical_device_filing", "粤械备20200001", None)],
                &[],
                true,
            ),
            (
                Electronics,
                vec![lic("CCC", "2019010901000001", None)],
                &[],
                true,
            ),
            (Electronics, vec![], &[], false),
            (Electronics, vec![], &["ccc_exempt"], true),
            (Apparel, vec![], &[], true),
            (Household, vec![], &[], true),
            (Other, vec![], &[], true),
        ];
        for (c, quals, attrs, expected) in cases {
            assert_eq!(
                qualified(c, &quals, attrs, &[]),
                expected,
                "{c:?} {quals:?} {attrs:?}"
            );
        }
    }

    #[test]
    fn the_latest_inspection_decides() {
        let sc = [lic("SC", "SC11744030600001", None)];
        let fail = inspection("r1", "2020-10-01", Conclusion::Fail);
        let pass = inspection("r2", "2020-10-15", Conclusion::Pass);
        assert!(!qualified(
            Category::Food,
            &sc,
            &[],
            std::slice::from_ref(&fail)
        ));
        assert!(qualified(
            Category::Food,
            &sc,
            &[],
            &[fail.clone(), pass.clone()]
        ));
        let refail = inspection("r3", "2020-10-20", Conclusion::Fail);
        assert!(!qualified(Category::Food, &sc, &[], &[fail, pass, refail]));
    }

    #[test]
    fn problems_are_said_with_their_basis() {
        let rules = QualificationRules::default();
        let quals = [lic("SC", "SC1", Some("2019-12-31"))];
        let reports = [inspection("r1", "2020-10-01", Conclusion::Fail)];
        let c = check(
            &rules,
            Category::HealthFood,
            &quals,
            &BTreeMap::new(),
            &reports,
            day("2020-11-01"),
        );
        let p = c.problems(&quals, &reports, &rules.inspection_basis);
        let text: Vec<String> = p.iter().map(|(t, _)| t.en()).collect();
        assert_eq!(
            text,
            [
                "food production licence SC1 expired on 2019-12-31",
                "no health food registration or filing on record (health_food_registration or health_food_filing)",
                "inspection r1 by lab (issued 2020-10-01) concluded fail",
            ]
        );
        assert_eq!(p[0].1, "Food Safety Law art. 35");
        assert_eq!(p[2].1, "Product Quality Law art. 26");
    }

    /// A qualification is recognised by what it is: an alias of its kind,
    /// or its number's format, whatever the label; one we cannot recognise
    /// is said to be that (low severity), never called missing.
    #[test]
    fn qualifications_are_recognised_by_alias_or_number() {
        let on = day("2020-11-01");
        let status = |quals: &[License]| {
            check(
                &QualificationRules::default(),
                Category::Food,
                quals,
                &BTreeMap::new(),
                &[],
                on,
            )
        };
        let sc = "SC11744030600123";
        for kind in [
            "SC",
            "sc",
            "food_production",
            "食品生产许可证",
            "",
            "production licence no.",
            "生产许可",
        ] {
            let c = status(&[lic(kind, sc, Some("2025-01-01"))]);
            assert!(c.qualified(), "{kind:?} with a valid SC number");
        }
        // An alias with a number of another form: the prefix rule still holds.
        assert!(matches!(
            status(&[lic("食品生产许可证", "QS1234", None)]).requirements[0].status,
            Status::BadNumber(0)
        ));
        // Expiry counts however it was recognised.
        assert!(matches!(
            status(&[lic("", sc, Some("2019-01-01"))]).requirements[0].status,
            Status::Expired(0, _)
        ));
        // Neither kind nor number known: unrecognised, low, not missing.
        let c = status(&[lic("营业执照副本", "91440101MA5ABCDE12", None)]);
        assert!(matches!(c.requirements[0].status, Status::Unrecognised(0)));
        assert!(!c.qualified() && c.only_unrecognised());
        let problems = c.problems(&[lic("营业执照副本", "91440101MA5ABCDE12", None)], &[], "");
        let said = problems[0].0.en();
        assert!(
            said.contains("not recognised") && said.contains("SC##############"),
            "{problems:?}"
        );
        // Nothing at all is still missing.
        assert_eq!(status(&[]).requirements[0].status, Status::Missing);
        // Other categories' numbers.
        let cat = |c: Category, q: License| {
            check(
                &QualificationRules::default(),
                c,
                &[q],
                &BTreeMap::new(),
                &[],
                on,
            )
            .qualified()
        };
        assert!(cat(Category::Drug, lic("批文", "国药准字H20203003", None)));
        assert!(cat(Category::Cosmetics, lic("", "国妆特字G20190001", None)));
        assert!(cat(
            Category::MedicalDevice,
            lic("", "粤械注准20202140001", None)
        ));
        assert!(cat(
            Category::Electronics,
            lic("", "2020010907123456", None)
        ));
        assert!(
            !cat(Category::Electronics, lic("", "20200109071234", None)),
            "CCC numbers have 16 digits"
        );
    }

    #[test]
    fn number_formats_match_whole_numbers() {
        assert!(number_matches("SC##############", "SC11744030600123"));
        assert!(!number_matches("SC##############", "SC1174403060012"));
        assert!(!number_matches("SC##############", "SC117440306001234"));
        assert!(!number_matches("SC##############", "SC1174403060012X"));
        assert!(number_matches("*械注准*", "国械注准20193010001"));
        assert!(number_matches("国药准字*", "国药准字Z1"));
        assert!(!number_matches("国药准字*", "药准字Z1"));
    }
}
