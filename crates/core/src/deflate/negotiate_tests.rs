use super::*;
use crate::deflate::Negotiated;

type Raw = Vec<(String, Option<String>)>;

/// A minimal `Sec-WebSocket-Extensions` splitter for well-formed test input.
fn parse(header: &str) -> Vec<Raw> {
    header
        .split(',')
        .map(|offer| {
            let mut parts = offer.split(';').map(str::trim);
            assert_eq!(parts.next(), Some(EXTENSION_NAME));
            parts
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (p.to_string(), None),
                })
                .collect()
        })
        .collect()
}

fn slices(offers: &[Raw]) -> Vec<&[(String, Option<String>)]> {
    offers.iter().map(Vec::as_slice).collect()
}

fn accept(cfg: &DeflateConfig, header: &str) -> Result<Option<Agreement>, NegotiationError> {
    server_accept(cfg, &slices(&parse(header)))
}

fn accept_ok(cfg: &DeflateConfig, header: &str) -> Agreement {
    accept(cfg, header).unwrap().unwrap()
}

fn client(cfg: &DeflateConfig, header: &str) -> Result<Agreement, NegotiationError> {
    client_accept(cfg, &slices(&parse(header)))
}

fn server_bits(bits: ServerBits) -> DeflateConfig {
    DeflateConfig {
        server_max_window_bits: Some(bits),
        ..DeflateConfig::default()
    }
}

fn client_bits(bits: ClientBits) -> DeflateConfig {
    DeflateConfig {
        client_max_window_bits: Some(bits),
        ..DeflateConfig::default()
    }
}

#[test]
fn server_accepts_autobahn_13_variants() {
    let base = "permessage-deflate; client_no_context_takeover; client_max_window_bits";
    let cases: &[(&str, &str, (u8, bool))] = &[
        ("", "; client_no_context_takeover", (15, false)),
        (
            "; server_no_context_takeover",
            "; client_no_context_takeover; server_no_context_takeover",
            (15, true),
        ),
        (
            "; server_max_window_bits=9",
            "; client_no_context_takeover; server_max_window_bits=9",
            (9, false),
        ),
        (
            "; server_max_window_bits=15",
            "; client_no_context_takeover; server_max_window_bits=15",
            (15, false),
        ),
        (
            "; server_no_context_takeover; server_max_window_bits=9",
            "; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=9",
            (9, true),
        ),
        (
            "; server_no_context_takeover; server_max_window_bits=15",
            "; client_no_context_takeover; server_no_context_takeover; server_max_window_bits=15",
            (15, true),
        ),
    ];
    for &(request, response, compressor) in cases {
        let n = accept_ok(&DeflateConfig::default(), &format!("{base}{request}"));
        assert_eq!(n.response_header(), format!("permessage-deflate{response}"));
        assert_eq!(
            n.negotiated.compressor_params(true),
            compressor,
            "{request}"
        );
        assert_eq!(
            n.negotiated.decompressor_params(true),
            (15, true),
            "{request}"
        );
    }
}

#[test]
fn server_falls_back_when_first_offer_is_unacceptable() {
    // Autobahn 13.7's list, against a server that insists on 10 bits.
    let header = "permessage-deflate; client_no_context_takeover; client_max_window_bits; \
                  server_no_context_takeover; server_max_window_bits=9, \
                  permessage-deflate; client_no_context_takeover; client_max_window_bits; \
                  server_no_context_takeover, \
                  permessage-deflate; client_no_context_takeover; client_max_window_bits";
    let n = accept_ok(&server_bits(ServerBits::Bits(10)), header);
    assert_eq!(
        n.response_header(),
        "permessage-deflate; client_no_context_takeover; server_no_context_takeover; \
         server_max_window_bits=10"
    );
    assert_eq!(n.negotiated.compressor_params(true), (10, true));
}

#[test]
fn server_accepts_chromium_offer() {
    let n = accept_ok(
        &DeflateConfig::default(),
        "permessage-deflate; client_max_window_bits",
    );
    assert_eq!(n.response_header(), "permessage-deflate");
    assert_eq!(n.negotiated, Negotiated::default());
}

#[test]
fn server_without_offer_returns_none() {
    assert_eq!(server_accept(&DeflateConfig::default(), &[]), Ok(None));
}

#[test]
fn server_with_all_offers_unacceptable_fails() {
    let err = accept(
        &server_bits(ServerBits::Off),
        "permessage-deflate; server_max_window_bits=12",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "None of the extension offers can be accepted"
    );
    assert!(!err.is_type_error());
}

#[test]
fn server_no_context_takeover_false_refuses_offers_requesting_it() {
    let refuse = DeflateConfig {
        server_no_context_takeover: Some(false),
        ..DeflateConfig::default()
    };
    let offer = "permessage-deflate; server_no_context_takeover";
    assert!(accept(&refuse, offer).is_err());
    assert!(
        accept_ok(&DeflateConfig::default(), offer)
            .negotiated
            .server_no_context_takeover
    );
    assert!(
        !accept_ok(&refuse, "permessage-deflate")
            .negotiated
            .server_no_context_takeover
    );
}

#[test]
fn server_options_are_appended_to_the_response() {
    let cfg = DeflateConfig {
        server_no_context_takeover: Some(true),
        client_no_context_takeover: Some(true),
        server_max_window_bits: Some(ServerBits::Bits(11)),
        client_max_window_bits: Some(ClientBits::Bits(12)),
        ..DeflateConfig::default()
    };
    let n = accept_ok(&cfg, "permessage-deflate; client_max_window_bits");
    assert_eq!(
        n.response_header(),
        "permessage-deflate; client_max_window_bits=12; server_no_context_takeover; \
         client_no_context_takeover; server_max_window_bits=11"
    );
    assert_eq!(n.negotiated.compressor_params(true), (11, true));
    assert_eq!(n.negotiated.decompressor_params(true), (12, true));
    assert_eq!(
        n.params(),
        [
            ("client_max_window_bits", Some(12)),
            ("server_no_context_takeover", None),
            ("client_no_context_takeover", None),
            ("server_max_window_bits", Some(11)),
        ]
    );
}

#[test]
fn server_max_window_bits_below_configured_is_refused() {
    let cfg = server_bits(ServerBits::Bits(10));
    assert!(accept(&cfg, "permessage-deflate; server_max_window_bits=9").is_err());
    let n = accept_ok(&cfg, "permessage-deflate; server_max_window_bits=12");
    assert_eq!(
        n.response_header(),
        "permessage-deflate; server_max_window_bits=10"
    );
}

#[test]
fn server_client_max_window_bits_rule_of_8_21() {
    let cfg = client_bits(ClientBits::Bits(10));
    let refused = [
        "permessage-deflate; client_max_window_bits=9",
        "permessage-deflate",
    ];
    for offer in refused {
        assert!(accept(&cfg, offer).is_err(), "{offer}");
    }
    for offer in [
        "permessage-deflate; client_max_window_bits=10",
        "permessage-deflate; client_max_window_bits=12",
        "permessage-deflate; client_max_window_bits",
    ] {
        let n = accept_ok(&cfg, offer);
        assert_eq!(
            n.response_header(),
            "permessage-deflate; client_max_window_bits=10"
        );
        assert_eq!(n.negotiated.decompressor_params(true), (10, false));
    }
}

#[test]
fn server_echoes_numeric_client_max_window_bits_unless_off() {
    let offer = "permessage-deflate; client_max_window_bits=12";
    let n = accept_ok(&DeflateConfig::default(), offer);
    assert_eq!(
        n.response_header(),
        "permessage-deflate; client_max_window_bits=12"
    );
    let n = accept_ok(&client_bits(ClientBits::Off), offer);
    assert_eq!(n.response_header(), "permessage-deflate");
    assert_eq!(n.negotiated.decompressor_params(true), (15, false));
}

#[test]
fn server_accepts_server_max_window_bits_8() {
    let n = accept_ok(
        &DeflateConfig::default(),
        "permessage-deflate; server_max_window_bits=8",
    );
    assert_eq!(
        n.response_header(),
        "permessage-deflate; server_max_window_bits=8"
    );
    assert_eq!(n.negotiated.compressor_params(true), (8, false));
}

#[test]
fn server_receives_invalid_params_fails_like_ws() {
    let cases = [
        (
            "server_max_window_bits=7",
            "Invalid value for parameter \"server_max_window_bits\": 7",
        ),
        (
            "server_max_window_bits=16",
            "Invalid value for parameter \"server_max_window_bits\": 16",
        ),
        (
            "server_max_window_bits=abc",
            "Invalid value for parameter \"server_max_window_bits\": abc",
        ),
        (
            "client_max_window_bits=0",
            "Invalid value for parameter \"client_max_window_bits\": 0",
        ),
        (
            "server_no_context_takeover=1",
            "Invalid value for parameter \"server_no_context_takeover\": 1",
        ),
        (
            "client_max_window_bits; client_max_window_bits",
            "Parameter \"client_max_window_bits\" must have only a single value",
        ),
        ("x-unknown", "Unknown parameter \"x-unknown\""),
    ];
    for (params, message) in cases {
        let err = accept(
            &DeflateConfig::default(),
            &format!("permessage-deflate; {params}"),
        )
        .unwrap_err();
        assert_eq!(err.message(), message);
    }
}

#[test]
fn server_checks_every_offer_before_accepting() {
    let header = "permessage-deflate, permessage-deflate; server_max_window_bits=99";
    let err = accept(&DeflateConfig::default(), header).unwrap_err();
    assert!(err.message().starts_with("Invalid value"));
}

#[path = "negotiate_client_tests.rs"]
mod client;
