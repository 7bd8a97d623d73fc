//! Numbers for people: a percentage with one decimal.

pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}
