//! Units of measure for comparing a claimed quantity with a measured one.
//!
//! Only what can be converted exactly is converted (g ↔ mg, ml ↔ l,
//! kJ ↔ kcal); a unit outside this table is reported as unknown rather
//! than guessed at.

/// A physical dimension; values of different dimensions never compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Mass,
    Volume,
    Energy,
    Percent,
    Count,
}

/// A known unit: its dimension and its size in the dimension's base unit
/// (g, ml, kJ, %, pieces).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unit {
    pub dimension: Dimension,
    pub scale: f64,
}

/// Looks a unit up by name, in English or Chinese, any case.
pub fn unit(name: &str) -> Option<Unit> {
    use Dimension::*;
    let (dimension, scale) = match name.trim().to_ascii_lowercase().as_str() {
        "kg" | "千克" | "公斤" => (Mass, 1000.0),
        "g" | "克" => (Mass, 1.0),
        "mg" | "毫克" => (Mass, 1e-3),
        "ug" | "µg" | "μg" | "mcg" | "微克" => (Mass, 1e-6),
        "l" | "升" => (Volume, 1000.0),
        "ml" | "毫升" => (Volume, 1.0),
        "kj" | "千焦" => (Energy, 1.0),
        "kcal" | "千卡" | "大卡" => (Energy, 4.184),
        "%" | "pct" | "percent" => (Percent, 1.0),
        "pcs" | "pieces" | "个" | "粒" | "片" | "袋" | "瓶" => (Count, 1.0),
        _ => return None,
    };
    Some(Unit { dimension, scale })
}

/// The unit a product attribute's name implies by its suffix
/// (`key_ingredient_g`, `caffeine_mg`, `protein_pct`), if any.
pub fn unit_of_attribute(name: &str) -> Option<&'static str> {
    const SUFFIXES: [(&str, &str); 9] = [
        ("_kg", "kg"),
        ("_mg", "mg"),
        ("_ug", "ug"),
        ("_g", "g"),
        ("_ml", "ml"),
        ("_l", "l"),
        ("_kcal", "kcal"),
        ("_pct", "%"),
        ("_percent", "%"),
    ];
    SUFFIXES
        .iter()
        .find(|(suffix, _)| name.ends_with(suffix))
        .map(|(_, unit)| *unit)
}

/// How `value` in unit `from` reads in unit `to`.
#[derive(Clone, Debug, PartialEq)]
pub enum Converted {
    Value(f64),
    /// One side gave no unit: the numbers are compared as they are.
    Unitless(f64),
    Unknown(String),
    Incompatible(String, String),
}

pub fn convert(value: f64, from: Option<&str>, to: Option<&str>) -> Converted {
    let (Some(from), Some(to)) = (from, to) else {
        return Converted::Unitless(value);
    };
    match (unit(from), unit(to)) {
        (None, _) => Converted::Unknown(from.to_string()),
        (_, None) => Converted::Unknown(to.to_string()),
        (Some(f), Some(t)) if f.dimension != t.dimension => {
            Converted::Incompatible(from.to_string(), to.to_string())
        }
        (Some(f), Some(t)) => Converted::Value(value * f.scale / t.scale),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_within_a_dimension_only() {
        assert_eq!(convert(50.0, Some("mg"), Some("g")), Converted::Value(0.05));
        assert_eq!(
            convert(2.0, Some("克"), Some("mg")),
            Converted::Value(2000.0)
        );
        assert_eq!(
            convert(1.5, Some("L"), Some("ml")),
            Converted::Value(1500.0)
        );
        assert_eq!(
            convert(12.0, Some("%"), Some("pct")),
            Converted::Value(12.0)
        );
        assert_eq!(
            convert(2.0, Some("g"), Some("ml")),
            Converted::Incompatible("g".into(), "ml".into())
        );
        assert_eq!(
            convert(2.0, Some("oz"), Some("g")),
            Converted::Unknown("oz".into())
        );
        assert_eq!(convert(2.0, None, Some("g")), Converted::Unitless(2.0));
    }

    #[test]
    fn attribute_suffixes_imply_units() {
        assert_eq!(unit_of_attribute("key_ingredient_g"), Some("g"));
        assert_eq!(unit_of_attribute("caffeine_mg"), Some("mg"));
        assert_eq!(unit_of_attribute("protein_pct"), Some("%"));
        assert_eq!(unit_of_attribute("colour"), None);
    }
}
