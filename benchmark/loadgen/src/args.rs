//! Command-line value parsers both generators' option parsers use.

use std::net::Ipv4Addr;

use crate::payload::Kind;

/// The value following option `name`, parsed.
pub fn num<T: std::str::FromStr>(name: &str, value: Option<String>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{name} needs a value"))?;
    value
        .parse()
        .map_err(|_| format!("bad value for {name}: {value:?}"))
}

/// `--type text|binary`.
pub fn kind(s: &str) -> Result<Kind, String> {
    match s {
        "text" => Ok(Kind::Text),
        "binary" => Ok(Kind::Binary),
        _ => Err(format!("unknown type {s:?}")),
    }
}

/// `--sources A,B,..`: source addresses.
pub fn sources(s: &str) -> Result<Vec<Ipv4Addr>, String> {
    s.split(',')
        .map(|a| {
            a.trim()
                .parse()
                .map_err(|_| format!("bad source address {a:?}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsers_accept_good_values_and_name_bad_ones() {
        assert_eq!(num::<u16>("--port", Some("9".into())), Ok(9));
        assert_eq!(
            num::<u16>("--port", None),
            Err("--port needs a value".into())
        );
        assert!(num::<u16>("--port", Some("x".into()))
            .unwrap_err()
            .contains("--port"));
        assert_eq!(kind("binary"), Ok(Kind::Binary));
        assert!(kind("xml").is_err());
        assert_eq!(sources("127.0.0.2, 127.0.0.3").unwrap().len(), 2);
        assert!(sources("nope").is_err());
    }
}
