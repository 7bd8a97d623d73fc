//! Numbers as the answers print them: ratios rounded for stable golden
//! files, counts grouped by thousands, money as a decimal amount.

/// Ratios to 4 decimals: stable golden files, no false precision.
pub fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// `a / b`, 0 when `b` is not positive.
pub fn ratio(a: i64, b: i64) -> f64 {
    if b > 0 {
        a as f64 / b as f64
    } else {
        0.0
    }
}

/// 1234567 → "1,234,567".
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Minor units as a decimal amount ("12,345.67 CNY").
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02} {currency}", grouped(m / 100), m % 100)
        .trim_end()
        .to_string()
}

/// "1 claim", "3 claims".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The first `chars` characters of `s`, with an ellipsis if cut.
pub fn clip(s: &str, chars: usize) -> String {
    if s.chars().count() <= chars {
        s.to_string()
    } else {
        s.chars().take(chars).chain(['…']).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_grouped_minor_units() {
        assert_eq!(money(123_456_789, "CNY"), "1,234,567.89 CNY");
        assert_eq!(money(-5, "USD"), "-0.05 USD");
        assert_eq!(money(100, ""), "1.00");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(1234), "1,234");
    }
}
