//! How figures read on the dashboard: counts with separators, percentages, durations, money in
//! major units, times in the viewer's zone, and the change against the previous period.
//!
//! Templates call these as `fmt::num(x)`; the `Num` trait lets them pass fields by value or by
//! reference, as askama generates either.

use std::fmt::Write;

use chrono::DateTime;

use crate::model::Currency;
use crate::query::Amount;
use crate::query::zone::Zone;

/// A number a template hands over, by value or by reference.
pub trait Num {
    fn as_f64(&self) -> f64;
}

macro_rules! num_impl {
    ($($t:ty),*) => {$(
        impl Num for $t {
            fn as_f64(&self) -> f64 {
                *self as f64
            }
        }
    )*};
}
num_impl!(u64, i64, u32, i32, f64, usize);

impl<T: Num + ?Sized> Num for &T {
    fn as_f64(&self) -> f64 {
        (**self).as_f64()
    }
}

/// 1234567 → "1,234,567".
pub fn num(v: impl Num) -> String {
    let v = v.as_f64().round() as i64;
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    if v < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share 0..=1 as "41.2%".
pub fn pct(share: impl Num) -> String {
    let s = share.as_f64();
    if s.is_finite() {
        format!("{:.1}%", s * 100.0)
    } else {
        "–".into()
    }
}

/// Milliseconds as "1h 02m", "3m 12s" or "4.2s".
pub fn duration(ms: impl Num) -> String {
    let ms = ms.as_f64();
    if !ms.is_finite() || ms < 0.0 {
        return "–".into();
    }
    let secs = (ms / 1000.0).round() as i64;
    if ms < 10_000.0 {
        format!("{:.1}s", ms / 1000.0)
    } else if secs < 3600 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{}h {:02}m", secs / 3600, (secs % 3600) / 60)
    }
}

/// An instant as "2026-11-24 13:05" in `zone`.
pub fn datetime(ms: impl Num, zone: &Zone) -> String {
    let ms = ms.as_f64() as i64;
    DateTime::from_timestamp_millis(zone.wall_ms(ms))
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// An instant as "13:05:09" in `zone`.
pub fn clock(ms: impl Num, zone: &Zone) -> String {
    let ms = ms.as_f64() as i64;
    DateTime::from_timestamp_millis(zone.wall_ms(ms))
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// An instant as a `YYYY-MM-DD` date in `zone` (for date inputs).
pub fn date(ms: i64, zone: &Zone) -> String {
    DateTime::from_timestamp_millis(zone.wall_ms(ms))
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Minor units of `currency` in major units: 17980 EUR → "179.80 EUR".
pub fn amount(a: &Amount) -> String {
    let exponent = Currency::parse(&a.currency)
        .map(|c| c.exponent())
        .unwrap_or(2);
    let scale = 10i64.pow(exponent);
    let sign = if a.minor < 0 { "-" } else { "" };
    let major = num(a.minor.unsigned_abs() / scale.unsigned_abs());
    if exponent == 0 {
        format!("{sign}{major} {}", a.currency)
    } else {
        let minor = a.minor.unsigned_abs() % scale.unsigned_abs();
        format!(
            "{sign}{major}.{minor:0width$} {}",
            a.currency,
            width = exponent as usize
        )
    }
}

/// Several currencies, largest first as reported: "179.80 EUR, 20.00 USD"; "–" when none.
pub fn amounts(list: &[Amount]) -> String {
    if list.is_empty() {
        return "–".into();
    }
    let mut out = String::new();
    for (i, a) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "{}", amount(a));
    }
    out
}

/// How a figure moved against the previous period: the text and a CSS class.
pub struct Delta {
    pub text: String,
    pub class: &'static str,
}

/// The relative change from `previous` to `current`; `higher_is_better` picks the colour.
pub fn delta(current: impl Num, previous: impl Num, higher_is_better: bool) -> Delta {
    let (c, p) = (current.as_f64(), previous.as_f64());
    if !c.is_finite() || !p.is_finite() || p == 0.0 {
        return Delta {
            text: if c > 0.0 && p == 0.0 {
                "new".into()
            } else {
                "–".into()
            },
            class: "flat",
        };
    }
    let change = (c - p) / p;
    let class = if change.abs() < 0.005 {
        "flat"
    } else if (change > 0.0) == higher_is_better {
        "up"
    } else {
        "down"
    };
    let arrow = if change > 0.0 { "▲" } else { "▼" };
    Delta {
        text: format!("{arrow} {:.1}%", change.abs() * 100.0),
        class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(num(0u64), "0");
        assert_eq!(num(999u64), "999");
        assert_eq!(num(1_234_567u64), "1,234,567");
        assert_eq!(num(-1234i64), "-1,234");
        let row = (12u64, 0u64);
        // Templates hand over fields by reference.
        let by_ref: &u64 = &row.0;
        assert_eq!(num(by_ref), "12");
        assert_eq!(pct(0.4123), "41.2%");
        assert_eq!(duration(4200i64), "4.2s");
        assert_eq!(duration(192_000i64), "3m 12s");
        assert_eq!(duration(3_720_000i64), "1h 02m");
    }

    #[test]
    fn money_is_shown_in_major_units() {
        let eur = Amount {
            currency: "EUR".into(),
            minor: 17980,
        };
        assert_eq!(amount(&eur), "179.80 EUR");
        let jpy = Amount {
            currency: "JPY".into(),
            minor: 1_200_000,
        };
        assert_eq!(amount(&jpy), "1,200,000 JPY");
        let refund = Amount {
            currency: "EUR".into(),
            minor: -5,
        };
        assert_eq!(amount(&refund), "-0.05 EUR");
        assert_eq!(amounts(&[]), "–");
    }

    #[test]
    fn deltas_say_which_way_is_good() {
        let d = delta(120u64, 100u64, true);
        assert_eq!((d.text.as_str(), d.class), ("▲ 20.0%", "up"));
        let d = delta(0.6, 0.5, false);
        assert_eq!(d.class, "down");
        assert_eq!(delta(5u64, 0u64, true).text, "new");
        assert_eq!(delta(0u64, 0u64, true).text, "–");
    }

    #[test]
    fn times_follow_the_zone() {
        let tokyo = Zone::parse("Asia/Tokyo").unwrap();
        assert_eq!(datetime(1_795_478_400_000i64, &tokyo), "2026-11-24 09:00");
        assert_eq!(date(1_795_478_400_000, &Zone::default()), "2026-11-24");
    }
}
