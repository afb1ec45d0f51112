//! Client-side negotiation: the offer and `acceptAsClient`.

use super::*;

#[test]
fn client_offer_default_is_bare_client_max_window_bits() {
    assert_eq!(
        client_offer(&DeflateConfig::default()),
        "permessage-deflate; client_max_window_bits"
    );
    assert_eq!(
        client_offer(&client_bits(ClientBits::Unvalued)),
        "permessage-deflate; client_max_window_bits"
    );
}

#[test]
fn client_offer_lists_all_options_in_ws_order() {
    let cfg = DeflateConfig {
        server_no_context_takeover: Some(true),
        client_no_context_takeover: Some(true),
        server_max_window_bits: Some(ServerBits::Bits(10)),
        client_max_window_bits: Some(ClientBits::Bits(11)),
        ..DeflateConfig::default()
    };
    assert_eq!(
        client_offer(&cfg),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; \
         server_max_window_bits=10; client_max_window_bits=11"
    );
}

#[test]
fn client_offer_omits_false_options() {
    let cfg = DeflateConfig {
        server_no_context_takeover: Some(false),
        client_no_context_takeover: Some(false),
        server_max_window_bits: Some(ServerBits::Off),
        client_max_window_bits: Some(ClientBits::Off),
        ..DeflateConfig::default()
    };
    assert_eq!(client_offer(&cfg), "permessage-deflate");
}

/// Autobahn 13.1–13.7 offers (accept no_context_takeover and
/// max_window_bits; request as in the case) against ws's default server.
#[test]
fn client_accepts_bare_response_with_defaults() {
    let n = client(&DeflateConfig::default(), "permessage-deflate").unwrap();
    assert_eq!(n.negotiated, Negotiated::default());
}

#[test]
fn client_uses_server_params_for_both_directions() {
    let header = "permessage-deflate; server_no_context_takeover; server_max_window_bits=9; \
                  client_max_window_bits=10; client_no_context_takeover";
    let n = client(&DeflateConfig::default(), header).unwrap();
    assert_eq!(n.negotiated.compressor_params(false), (10, true));
    assert_eq!(n.negotiated.decompressor_params(false), (9, true));
}

#[test]
fn client_with_numeric_bits_applies_them_when_absent_and_refuses_larger() {
    let cfg = client_bits(ClientBits::Bits(10));
    let n = client(&cfg, "permessage-deflate").unwrap();
    assert_eq!(n.negotiated.compressor_params(false), (10, false));
    assert_eq!(
        client(&cfg, "permessage-deflate; client_max_window_bits=9")
            .unwrap()
            .negotiated
            .client_max_window_bits,
        9
    );
    let err = client(&cfg, "permessage-deflate; client_max_window_bits=11").unwrap_err();
    assert_eq!(
        err.message(),
        "Unexpected or invalid parameter \"client_max_window_bits\""
    );
}

#[test]
fn client_with_bits_off_refuses_any_client_max_window_bits() {
    let err = client(
        &client_bits(ClientBits::Off),
        "permessage-deflate; client_max_window_bits=15",
    )
    .unwrap_err();
    assert_eq!(
        err.message(),
        "Unexpected or invalid parameter \"client_max_window_bits\""
    );
}

#[test]
fn client_with_no_context_takeover_false_refuses_it() {
    let cfg = DeflateConfig {
        client_no_context_takeover: Some(false),
        ..DeflateConfig::default()
    };
    let err = client(&cfg, "permessage-deflate; client_no_context_takeover").unwrap_err();
    assert_eq!(
        err.message(),
        "Unexpected parameter \"client_no_context_takeover\""
    );
    assert!(
        client(
            &DeflateConfig::default(),
            "permessage-deflate; client_no_context_takeover"
        )
        .unwrap()
        .negotiated
        .client_no_context_takeover
    );
}

#[test]
fn client_receives_bare_client_max_window_bits_fails() {
    let err = client(
        &DeflateConfig::default(),
        "permessage-deflate; client_max_window_bits",
    )
    .unwrap_err();
    assert!(err.is_type_error());
}

#[test]
fn client_receives_window_bits_out_of_range_fails() {
    for header in [
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; client_max_window_bits=7",
    ] {
        assert!(
            client(&DeflateConfig::default(), header).is_err(),
            "{header}"
        );
    }
}

#[test]
fn client_uses_first_response_but_checks_all() {
    let header = "permessage-deflate; server_no_context_takeover, permessage-deflate";
    assert!(
        client(&DeflateConfig::default(), header)
            .unwrap()
            .negotiated
            .server_no_context_takeover
    );
    let bad = "permessage-deflate, permessage-deflate; bogus";
    assert!(client(&DeflateConfig::default(), bad).is_err());
    assert!(client_accept(&DeflateConfig::default(), &[]).is_err());
}

#[test]
fn client_and_server_agree_end_to_end() {
    let configs = [
        DeflateConfig::default(),
        DeflateConfig {
            server_no_context_takeover: Some(true),
            client_no_context_takeover: Some(true),
            ..DeflateConfig::default()
        },
        DeflateConfig {
            server_max_window_bits: Some(ServerBits::Bits(9)),
            client_max_window_bits: Some(ClientBits::Bits(11)),
            ..DeflateConfig::default()
        },
    ];
    for client_cfg in &configs {
        for server_cfg in &configs {
            let server = accept_ok(server_cfg, &client_offer(client_cfg));
            let client = client(client_cfg, &server.response_header()).unwrap();
            assert_eq!(
                server.negotiated.compressor_params(true),
                client.negotiated.decompressor_params(false)
            );
            assert_eq!(
                server.negotiated.decompressor_params(true),
                client.negotiated.compressor_params(false)
            );
        }
    }
}
