use super::*;

fn raw(params: &[(&str, Option<&str>)]) -> Vec<(String, Option<String>)> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
        .collect()
}

fn server_err(params: &[(&str, Option<&str>)]) -> NegotiationError {
    normalize(&raw(params), true).unwrap_err()
}

#[test]
fn js_number_matches_unary_plus() {
    let cases: &[(&str, f64)] = &[
        ("15", 15.0),
        ("010", 10.0),
        ("0x0f", 15.0),
        ("0X0F", 15.0),
        ("0b1001", 9.0),
        ("0o11", 9.0),
        ("1e1", 10.0),
        ("15.", 15.0),
        (".9e1", 9.0),
        ("+9", 9.0),
        ("-9", -9.0),
        ("9.5", 9.5),
        ("", 0.0),
        (" 12\t", 12.0),
    ];
    for &(text, expected) in cases {
        assert_eq!(js_number(text), expected, "+{text:?}");
    }
    assert_eq!(js_number("Infinity"), f64::INFINITY);
    assert_eq!(js_number("-Infinity"), f64::NEG_INFINITY);
}

#[test]
fn js_number_rejects_what_js_rejects() {
    for text in [
        "abc", "1_0", "0x", "0x1g", "inf", "NaN", "1e", "e1", ".", "+0x9", "9a", "1..2",
    ] {
        assert!(js_number(text).is_nan(), "+{text:?} should be NaN");
    }
}

#[test]
fn window_bits_accepts_integers_8_to_15_only() {
    assert_eq!(window_bits("8"), Some(8));
    assert_eq!(window_bits("15"), Some(15));
    assert_eq!(window_bits("9.0"), Some(9));
    assert_eq!(window_bits("0xF"), Some(15));
    for text in ["7", "16", "abc", "9.5", "Infinity", "-8", ""] {
        assert_eq!(window_bits(text), None, "{text:?}");
    }
}

#[test]
fn server_normalizes_known_params_in_order() {
    let params = normalize(
        &raw(&[
            ("client_max_window_bits", None),
            ("server_max_window_bits", Some("10")),
            ("server_no_context_takeover", None),
            ("client_no_context_takeover", None),
        ]),
        true,
    )
    .unwrap();
    assert_eq!(
        params.entries,
        vec![
            (Key::ClientMaxWindowBits, Value::Flag),
            (Key::ServerMaxWindowBits, Value::Bits(10)),
            (Key::ServerNoContextTakeover, Value::Flag),
            (Key::ClientNoContextTakeover, Value::Flag),
        ]
    );
}

#[test]
fn server_receives_server_max_window_bits_7_16_abc_fails() {
    for value in ["7", "16", "abc"] {
        let err = server_err(&[("server_max_window_bits", Some(value))]);
        assert_eq!(
            err.message(),
            format!("Invalid value for parameter \"server_max_window_bits\": {value}")
        );
        assert!(err.is_type_error());
    }
}

#[test]
fn server_receives_bare_server_max_window_bits_fails_with_true() {
    let err = server_err(&[("server_max_window_bits", None)]);
    assert_eq!(
        err.message(),
        "Invalid value for parameter \"server_max_window_bits\": true"
    );
}

#[test]
fn client_receives_bare_client_max_window_bits_fails() {
    let err = normalize(&raw(&[("client_max_window_bits", None)]), false).unwrap_err();
    assert_eq!(
        err.message(),
        "Invalid value for parameter \"client_max_window_bits\": true"
    );
    assert!(err.is_type_error());
}

#[test]
fn value_on_no_context_takeover_fails() {
    for key in ["server_no_context_takeover", "client_no_context_takeover"] {
        let err = server_err(&[(key, Some("1"))]);
        assert_eq!(
            err.message(),
            format!("Invalid value for parameter \"{key}\": 1")
        );
    }
}

#[test]
fn duplicate_param_fails_even_with_equal_values() {
    let err = server_err(&[
        ("server_no_context_takeover", None),
        ("server_no_context_takeover", None),
    ]);
    assert_eq!(
        err.message(),
        "Parameter \"server_no_context_takeover\" must have only a single value"
    );
    assert!(!err.is_type_error());
}

#[test]
fn unknown_param_fails() {
    let err = server_err(&[("foo", Some("bar"))]);
    assert_eq!(err.message(), "Unknown parameter \"foo\"");
    assert!(!err.is_type_error());
}

#[test]
fn duplicate_is_reported_at_first_occurrence_position() {
    // Object.keys order: server_max_window_bits (two values) before foo.
    let err = server_err(&[
        ("server_max_window_bits", Some("10")),
        ("foo", None),
        ("server_max_window_bits", Some("11")),
    ]);
    assert!(err
        .message()
        .starts_with("Parameter \"server_max_window_bits\""));
}

#[test]
fn array_index_names_are_visited_first() {
    let err = server_err(&[("client_no_context_takeover", Some("x")), ("7", None)]);
    assert_eq!(err.message(), "Unknown parameter \"7\"");
    let err = server_err(&[("client_no_context_takeover", Some("x")), ("07", None)]);
    assert!(err.message().starts_with("Invalid value"));
}

#[test]
fn array_index_rules() {
    assert_eq!(array_index("0"), Some(0));
    assert_eq!(array_index("4294967294"), Some(4_294_967_294));
    for name in ["", "00", "01", "4294967295", "1a", "-1"] {
        assert_eq!(array_index(name), None, "{name:?}");
    }
}

#[test]
fn normalize_all_fails_on_any_offer() {
    let good = raw(&[("client_max_window_bits", None)]);
    let bad = raw(&[("bogus", None)]);
    assert!(normalize_all(&[&good, &bad], true).is_err());
    assert_eq!(normalize_all(&[&good, &good], true).unwrap().len(), 2);
}

#[test]
fn params_set_replaces_in_place_or_appends() {
    let mut params = Params::default();
    params.set(Key::ServerMaxWindowBits, Value::Bits(10));
    params.set(Key::ClientNoContextTakeover, Value::Flag);
    params.set(Key::ServerMaxWindowBits, Value::Bits(12));
    assert_eq!(
        params.entries,
        vec![
            (Key::ServerMaxWindowBits, Value::Bits(12)),
            (Key::ClientNoContextTakeover, Value::Flag),
        ]
    );
    params.remove(Key::ServerMaxWindowBits);
    assert!(!params.has(Key::ServerMaxWindowBits));
    assert_eq!(params.get(Key::ClientNoContextTakeover), Some(Value::Flag));
}

#[test]
fn negotiation_error_displays_its_message() {
    let err = NegotiationError::error("boom");
    assert_eq!(err.to_string(), "boom");
}
