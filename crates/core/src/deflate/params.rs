//! Parameter normalisation (ws `normalizeParams`) and negotiation errors.
//!
//! ws turns each parsed offer into a JS object, so it visits parameters in
//! JS property order (array-index names first, then first-occurrence order)
//! and converts window bits with the unary `+` operator. Both are reproduced
//! so that the first error reported, and its message, match ws.

use core::fmt;

/// A known permessage-deflate parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    ServerNoContextTakeover,
    ClientNoContextTakeover,
    ServerMaxWindowBits,
    ClientMaxWindowBits,
}

impl Key {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::ServerNoContextTakeover => "server_no_context_takeover",
            Self::ClientNoContextTakeover => "client_no_context_takeover",
            Self::ServerMaxWindowBits => "server_max_window_bits",
            Self::ClientMaxWindowBits => "client_max_window_bits",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [
            Self::ServerNoContextTakeover,
            Self::ClientNoContextTakeover,
            Self::ServerMaxWindowBits,
            Self::ClientMaxWindowBits,
        ]
        .into_iter()
        .find(|key| key.name() == name)
    }
}

/// A normalised value: a bare parameter (ws `true`) or a window size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value {
    Flag,
    Bits(u8),
}

/// One normalised offer or response, in ws's property order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Params {
    pub(crate) entries: Vec<(Key, Value)>,
}

impl Params {
    pub(crate) fn get(&self, key: Key) -> Option<Value> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
    }

    pub(crate) fn has(&self, key: Key) -> bool {
        self.get(key).is_some()
    }

    /// JS assignment: replaces in place, or appends a new property.
    pub(crate) fn set(&mut self, key: Key, value: Value) {
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub(crate) fn remove(&mut self, key: Key) {
        self.entries.retain(|(k, _)| *k != key);
    }
}

/// Normalises every offer (ws checks them all before choosing one).
pub(crate) fn normalize_all(
    offers: &[&[(String, Option<String>)]],
    is_server: bool,
) -> Result<Vec<Params>, NegotiationError> {
    offers.iter().map(|raw| normalize(raw, is_server)).collect()
}

/// ws `normalizeParams` for one offer or response.
pub(crate) fn normalize(
    raw: &[(String, Option<String>)],
    is_server: bool,
) -> Result<Params, NegotiationError> {
    let mut params = Params::default();
    for (name, values) in js_property_order(raw) {
        let [value] = values.as_slice() else {
            return Err(NegotiationError::error(format!(
                "Parameter \"{name}\" must have only a single value"
            )));
        };
        let Some(key) = Key::from_name(name) else {
            return Err(NegotiationError::error(format!(
                "Unknown parameter \"{name}\""
            )));
        };
        params
            .entries
            .push((key, normalize_value(key, *value, is_server)?));
    }
    Ok(params)
}

fn normalize_value(
    key: Key,
    value: Option<&str>,
    is_server: bool,
) -> Result<Value, NegotiationError> {
    let invalid = || NegotiationError::invalid_value(key.name(), value.unwrap_or("true"));
    match (key, value) {
        (Key::ClientMaxWindowBits, None) if is_server => Ok(Value::Flag),
        (Key::ClientMaxWindowBits | Key::ServerMaxWindowBits, Some(text)) => {
            window_bits(text).map(Value::Bits).ok_or_else(invalid)
        }
        (Key::ServerNoContextTakeover | Key::ClientNoContextTakeover, None) => Ok(Value::Flag),
        _ => Err(invalid()),
    }
}

/// Groups values by name, ordered as `Object.keys` would list them.
fn js_property_order(raw: &[(String, Option<String>)]) -> Vec<(&str, Vec<Option<&str>>)> {
    let mut grouped: Vec<(&str, Vec<Option<&str>>)> = Vec::new();
    for (name, value) in raw {
        let value = value.as_deref();
        match grouped.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(value),
            None => grouped.push((name, vec![value])),
        }
    }
    // Stable: string names keep their insertion order after the indices.
    grouped.sort_by_key(|(name, _)| array_index(name).map_or((1, 0), |i| (0, i)));
    grouped
}

/// A JS array index: a canonical decimal below 2^32 − 1.
fn array_index(name: &str) -> Option<u32> {
    let canonical = name == "0" || (!name.starts_with('0') && !name.is_empty());
    if !canonical || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse::<u32>().ok().filter(|&i| i != u32::MAX)
}

/// `+value` followed by ws's `Number.isInteger(num) && 8 <= num <= 15`.
fn window_bits(text: &str) -> Option<u8> {
    let num = js_number(text);
    (num.fract() == 0.0 && (8.0..=15.0).contains(&num)).then_some(num as u8)
}

/// ECMAScript `StringToNumber`; NaN when the text is not a numeric literal.
fn js_number(text: &str) -> f64 {
    let text = text.trim_matches(is_js_space);
    if text.is_empty() {
        return 0.0;
    }
    let prefixed = [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ];
    for (prefix, radix) in prefixed {
        if let Some(digits) = text.strip_prefix(prefix) {
            return radix_number(digits, radix);
        }
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned == "Infinity" {
        return if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    if is_decimal_literal(unsigned) {
        return text.parse().unwrap_or(f64::NAN);
    }
    f64::NAN
}

fn radix_number(digits: &str, radix: u32) -> f64 {
    if digits.is_empty() {
        return f64::NAN;
    }
    digits
        .chars()
        .try_fold(0.0, |acc, c| {
            c.to_digit(radix)
                .map(|d| acc * f64::from(radix) + f64::from(d))
        })
        .unwrap_or(f64::NAN)
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: `1`, `1.`, `.5`, `1.5e-3`.
fn is_decimal_literal(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exponent_ok
}

/// ECMAScript `WhiteSpace` and `LineTerminator`.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// A failed negotiation. The message is ws's, word for word; its text is not
/// API, but the JS binding reuses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiationError {
    message: String,
    type_error: bool,
}

impl NegotiationError {
    pub(crate) fn error(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            type_error: false,
        }
    }

    fn invalid_value(name: &str, value: &str) -> Self {
        Self {
            message: format!("Invalid value for parameter \"{name}\": {value}"),
            type_error: true,
        }
    }

    /// The message ws would put in its `Error`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether ws throws a `TypeError` (invalid parameter values) rather
    /// than a plain `Error`.
    pub fn is_type_error(&self) -> bool {
        self.type_error
    }
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NegotiationError {}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
