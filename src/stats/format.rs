//! Numbers for people: 1,234 and 12.5 %.

/// A count with thousands separators.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A fraction (0.125) as a percentage with one decimal ("12.5 %").
pub fn percent(fraction: f64) -> String {
    format!("{:.1} %", fraction * 100.0)
}

/// `part / whole` with one decimal, or "–" when there is no whole.
pub fn per(part: i64, whole: i64) -> String {
    if whole == 0 { "–".into() } else { format!("{:.1}", part as f64 / whole as f64) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-45_000), "-45,000");
    }

    #[test]
    fn fractions_become_percentages_and_ratios_say_when_undefined() {
        assert_eq!(percent(0.125), "12.5 %");
        assert_eq!(percent(1.0), "100.0 %");
        assert_eq!(per(7, 2), "3.5");
        assert_eq!(per(7, 0), "–");
    }
}
