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
    pub kinds: Vec<String>,
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
    pub fn qualified(&self) -> bool {
        !self.failed_inspection
            && self
                .requirements
                .iter()
                .all(|r| matches!(r.status, Status::Held(_) | Status::Waived(_)))
    }

    /// Each problem in words, with its legal basis.
    pub fn problems(
        &self,
        quals: &[License],
        reports: &[Report],
        basis: &str,
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for r in &self.requirements {
            let what = &r.requirement.requirement;
            let text = match &r.status {
                Status::Held(_) | Status::Waived(_) => continue,
                Status::Missing => {
                    format!("no {what} on record ({})", r.requirement.kinds.join(" or "))
                }
                Status::Expired(i, d) => {
                    format!("{what} {} expired on {d}", quals[*i].number)
                }
                Status::BadNumber(i) => format!(
                    "{what} number {} does not start with {}",
                    quals[*i].number,
                    r.requirement.prefix.as_deref().unwrap_or_default()
                ),
            };
            out.push((text, r.requirement.basis.clone()));
        }
        if let (true, Some(i)) = (self.failed_inspection, self.latest_inspection) {
            let r = &reports[i];
            out.push((
                format!(
                    "inspection {} by {} (issued {}) concluded fail",
                    r.id, r.lab, r.issued
                ),
                basis.to_string(),
            ));
        }
        out
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
    let requirements = rules
        .requirements(category)
        .iter()
        .map(|req| RequirementCheck {
            requirement: req.clone(),
            status: status(req, quals, attributes, on),
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

fn status(
    req: &Requirement,
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
        if !req.kinds.iter().any(|k| k.eq_ignore_ascii_case(&q.kind)) {
            continue;
        }
        if req
            .prefix
            .as_ref()
            .is_some_and(|p| !q.number.starts_with(p.as_str()))
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
        let text: Vec<&str> = p.iter().map(|(t, _)| t.as_str()).collect();
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
}
