//! GA4-shaped e-commerce events with exact money.
//!
//! Amounts are kept as integer minor units of their ISO 4217 currency (cents, yen, fils), so
//! revenue sums are exact and never mixed across currencies. Parsing from the wire (JSON numbers
//! or decimal strings) happens here so every format converts amounts the same way.

use serde::{Deserialize, Serialize};

/// The GA4 e-commerce event names footfall understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommerceAction {
    ViewItem,
    AddToCart,
    RemoveFromCart,
    BeginCheckout,
    Purchase,
    Refund,
}

impl CommerceAction {
    pub const ALL: [CommerceAction; 6] = [
        CommerceAction::ViewItem,
        CommerceAction::AddToCart,
        CommerceAction::RemoveFromCart,
        CommerceAction::BeginCheckout,
        CommerceAction::Purchase,
        CommerceAction::Refund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CommerceAction::ViewItem => "view_item",
            CommerceAction::AddToCart => "add_to_cart",
            CommerceAction::RemoveFromCart => "remove_from_cart",
            CommerceAction::BeginCheckout => "begin_checkout",
            CommerceAction::Purchase => "purchase",
            CommerceAction::Refund => "refund",
        }
    }

    pub fn parse(s: &str) -> Option<CommerceAction> {
        CommerceAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Purchases and refunds describe an order and must say which one.
    pub fn needs_transaction_id(self) -> bool {
        matches!(self, CommerceAction::Purchase | CommerceAction::Refund)
    }
}

/// A validated ISO 4217 currency code (three ASCII capitals).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency(String);

impl Currency {
    pub fn parse(s: &str) -> Result<Currency, MoneyError> {
        if s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
            Ok(Currency(s.to_ascii_uppercase()))
        } else {
            Err(MoneyError::BadCurrency(s.chars().take(16).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits after the decimal point in this currency's minor unit (ISO 4217).
    pub fn exponent(&self) -> u32 {
        match self.0.as_str() {
            "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF"
            | "UGX" | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
            "CLF" | "UYW" => 4,
            _ => 2,
        }
    }

    /// Converts a decimal amount to minor units, refusing amounts it cannot keep exactly.
    pub fn to_minor(&self, amount: f64) -> Result<i64, MoneyError> {
        let scaled = amount * 10f64.powi(self.exponent() as i32);
        // 2^53: beyond it an f64 no longer holds every integer, so the amount would not be exact.
        if !scaled.is_finite() || scaled.abs() > 9_007_199_254_740_992.0 {
            return Err(MoneyError::OutOfRange);
        }
        Ok(scaled.round() as i64)
    }

    /// Parses a decimal string such as `"19.99"` exactly.
    pub fn parse_minor(&self, text: &str) -> Result<i64, MoneyError> {
        let exp = self.exponent() as usize;
        let text = text.trim();
        let (neg, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let valid = !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && frac.bytes().all(|b| b.is_ascii_digit())
            && int.len() <= 15;
        if !valid {
            return Err(MoneyError::BadAmount(text.chars().take(32).collect()));
        }
        if frac.len() > exp && frac[exp..].bytes().any(|b| b != b'0') {
            return Err(MoneyError::TooPrecise(self.0.clone()));
        }
        let mut minor: i64 = int.parse().map_err(|_| MoneyError::OutOfRange)?;
        for i in 0..exp {
            let d = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
            minor = minor * 10 + d;
        }
        Ok(if neg { -minor } else { minor })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("currency must be a three-letter ISO 4217 code, got {0:?}")]
    BadCurrency(String),
    #[error("amount is not a decimal number: {0:?}")]
    BadAmount(String),
    #[error("amount has more decimals than {0} allows")]
    TooPrecise(String),
    #[error("amount is out of range")]
    OutOfRange,
}

/// One product line of an e-commerce event (GA4 `items[]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub item_id: String,
    pub item_name: Option<String>,
    pub item_category: Option<String>,
    pub item_brand: Option<String>,
    pub item_variant: Option<String>,
    /// Unit price in minor units of the event's currency.
    pub price_minor: Option<i64>,
    pub quantity: i64,
}

/// A validated e-commerce event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commerce {
    pub action: CommerceAction,
    pub currency: Option<Currency>,
    /// Event value in minor units; for purchases the order total.
    pub value_minor: Option<i64>,
    pub transaction_id: Option<String>,
    pub items: Vec<Item>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_convert_exactly_per_currency() {
        let eur = Currency::parse("eur").unwrap();
        assert_eq!(eur.as_str(), "EUR");
        assert_eq!(eur.to_minor(19.99).unwrap(), 1999);
        assert_eq!(eur.to_minor(0.1 + 0.2).unwrap(), 30);
        assert_eq!(eur.parse_minor("1234567.89").unwrap(), 123_456_789);
        assert_eq!(eur.parse_minor("5").unwrap(), 500);
        assert_eq!(eur.parse_minor("-2.5").unwrap(), -250);
        assert_eq!(eur.parse_minor("1.230").unwrap(), 123);
        assert!(eur.parse_minor("1.234").is_err());
        assert!(eur.parse_minor("1e3").is_err());
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.to_minor(1500.0).unwrap(), 1500);
        let kwd = Currency::parse("KWD").unwrap();
        assert_eq!(kwd.parse_minor("1.005").unwrap(), 1005);
        assert!(Currency::parse("EURO").is_err());
        assert!(eur.to_minor(f64::INFINITY).is_err());
    }
}
