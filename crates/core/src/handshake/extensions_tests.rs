//! Cases of `ws`'s `test/extension.test.js`, restated, plus the A7 battery.

use proptest::prelude::*;

use super::*;

fn offer(name: &str, params: &[(&str, Option<&str>)]) -> ExtensionOffer {
    ExtensionOffer {
        name: name.to_owned(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
            .collect(),
    }
}

fn err(value: &str) -> String {
    parse_extensions(value).unwrap_err().to_string()
}

#[test]
fn parse_single_extension() {
    assert_eq!(parse_extensions("foo").unwrap(), [offer("foo", &[])]);
}

#[test]
fn parse_params_keeps_order_and_repeats() {
    assert_eq!(
        parse_extensions("foo;bar;baz=1;bar=2").unwrap(),
        [offer(
            "foo",
            &[("bar", None), ("baz", Some("1")), ("bar", Some("2"))]
        )]
    );
}

#[test]
fn parse_multiple_extensions_keeps_header_order() {
    assert_eq!(
        parse_extensions("foo,bar;baz,foo;baz").unwrap(),
        [
            offer("foo", &[]),
            offer("bar", &[("baz", None)]),
            offer("foo", &[("baz", None)]),
        ]
    );
}

#[test]
fn parse_quoted_params_unquotes_and_unescapes() {
    let value = |header: &str| parse_extensions(header).unwrap().remove(0).params;
    assert_eq!(value("foo;bar=\"hi\""), [("bar".into(), Some("hi".into()))]);
    assert_eq!(value("foo;bar=\"\\0\""), [("bar".into(), Some("0".into()))]);
    assert_eq!(
        value("foo;bar=\"b\\a\\z\""),
        [("bar".into(), Some("baz".into()))]
    );
    assert_eq!(
        value("foo;bar=\"b\\az\";bar"),
        [("bar".into(), Some("baz".into())), ("bar".into(), None)]
    );
    assert_eq!(
        value("foo;bar=\"b\\az\""),
        [("bar".into(), Some("baz".into()))]
    );
}

#[test]
fn parse_text_after_closing_quote_fails() {
    assert_eq!(
        err("foo;bar=\"baz\"qux"),
        "Unexpected character at index 13"
    );
    assert_eq!(
        err("foo;bar=\"baz\" qux"),
        "Unexpected character at index 14"
    );
}

#[test]
fn parse_prototype_names_are_plain_names() {
    assert_eq!(
        parse_extensions("hasOwnProperty, toString").unwrap(),
        [offer("hasOwnProperty", &[]), offer("toString", &[])]
    );
    assert_eq!(
        parse_extensions("foo;constructor").unwrap(),
        [offer("foo", &[("constructor", None)])]
    );
    assert_eq!(
        parse_extensions("__proto__; __proto__=1; __proto__").unwrap(),
        [offer(
            "__proto__",
            &[("__proto__", Some("1")), ("__proto__", None)]
        )]
    );
}

#[test]
fn parse_ignores_optional_white_space() {
    let header = "foo; bar\t; \tbaz=1\t ;  bar=\"1\"\t\t, \tqux\t ;norf";
    assert_eq!(
        parse_extensions(header).unwrap(),
        [
            offer(
                "foo",
                &[("bar", None), ("baz", Some("1")), ("bar", Some("1"))]
            ),
            offer("qux", &[("norf", None)]),
        ]
    );
}

fn assert_errors_at(cases: &[(&str, usize)]) {
    for &(header, index) in cases {
        let error = parse_extensions(header).unwrap_err();
        assert_eq!(error.index(), Some(index), "{header:?}");
        assert_eq!(
            error.to_string(),
            format!("Unexpected character at index {index}")
        );
    }
}

#[test]
fn parse_empty_name_fails() {
    assert_errors_at(&[
        (",", 0),
        ("foo,,", 4),
        ("foo,  ,", 6),
        ("foo;=", 4),
        ("foo; =", 5),
        ("foo;;", 4),
        ("foo; ;", 5),
        ("foo;bar=,", 8),
        ("foo;bar=\"\"", 9),
    ]);
}

#[test]
fn parse_misplaced_white_space_fails() {
    assert_errors_at(&[
        (" foo", 0),
        ("f oo", 2),
        ("foo;ba r", 7),
        ("foo;bar =", 8),
        ("foo;bar= ", 8),
        ("foo;bar=ba z", 11),
    ]);
}

#[test]
fn parse_invalid_token_char_fails() {
    assert_errors_at(&[
        ("f@o", 1),
        ("f\\oo", 1),
        ("\"foo\"", 0),
        ("f\"oo\"", 1),
        ("foo;b@r", 5),
        ("foo;b\\ar", 5),
        ("foo;\"bar\"", 4),
        ("foo;b\"ar\"", 5),
        ("foo;bar=b@z", 9),
        ("foo;bar=b\\az ", 9),
        ("foo;bar=\"b@z\"", 10),
        ("foo;bar=\"baz;\"", 12),
        ("foo;bar=b\"az\"", 9),
        ("foo;bar=\"\\\\\"", 10),
        ("foo;bar=\"\\\"\"", 10),
        ("fo\u{e9}", 2),
        ("foo;bar=\"\u{e9}\"", 9),
    ]);
}

#[test]
fn parse_premature_end_fails() {
    for header in [
        "",
        "foo ",
        "foo\t",
        "foo, ",
        "foo;",
        "foo;bar ",
        "foo;bar,",
        "foo;bar; ",
        "foo;bar=",
        "foo;bar=\"baz",
        "foo;bar=\"1\\",
        "foo;bar=\"baz\" ",
    ] {
        let error = parse_extensions(header).unwrap_err();
        assert_eq!(error.to_string(), "Unexpected end of input", "{header:?}");
        assert_eq!(error.index(), None);
    }
}

#[test]
fn format_single_extension() {
    assert_eq!(format_extensions(&[offer("foo", &[])]), "foo");
    assert_eq!(format_extensions(&[]), "");
}

#[test]
fn format_params_in_order() {
    let offers = [offer(
        "foo",
        &[("bar", None), ("bar", Some("2")), ("baz", Some("1"))],
    )];
    assert_eq!(format_extensions(&offers), "foo; bar; bar=2; baz=1");
}

#[test]
fn format_multiple_extensions() {
    let offers = [
        offer("foo", &[]),
        offer("foo", &[("baz", None)]),
        offer("bar", &[("baz", None)]),
    ];
    assert_eq!(format_extensions(&offers), "foo, foo; baz, bar; baz");
}

#[test]
fn format_then_parse_round_trips() {
    let offers = [
        offer("permessage-deflate", &[("client_max_window_bits", None)]),
        offer(
            "permessage-deflate",
            &[("server_max_window_bits", Some("10"))],
        ),
    ];
    assert_eq!(
        parse_extensions(&format_extensions(&offers)).unwrap(),
        offers
    );
}

/// A7: the pathological shapes, 1 MB each.
fn pathological_extensions(len: usize) -> Vec<String> {
    vec![
        format!("a;{}b", " ".repeat(len)),
        format!("a;b=\"{}", "\\x".repeat(len / 2)),
        format!("a;b=\"{}\"", "\\x".repeat(len / 2)),
        format!("a;b=\"{}", "\\\\".repeat(len / 2)),
        format!("a{}", "; __proto__=1".repeat(len / 13)),
        format!("a{}", ", constructor".repeat(len / 13)),
        format!("a;b={}", "x".repeat(len)),
        " ".repeat(len),
    ]
}

#[test]
fn parse_pathological_megabyte_is_fast() {
    for header in pathological_extensions(1 << 20) {
        let elapsed = super::super::timing::best_cpu_time(|| parse_extensions(&header));
        let limit = super::super::timing::budget(std::time::Duration::from_millis(500));
        assert!(elapsed < limit, "{:?}… took {elapsed:?}", &header[..16]);
    }
}

#[test]
fn parse_pathological_time_is_linear() {
    for (small, large) in pathological_extensions(1 << 18)
        .into_iter()
        .zip(pathological_extensions(1 << 20))
    {
        let ratio =
            super::super::timing::growth(|| parse_extensions(&small), || parse_extensions(&large));
        assert!(
            ratio < 10.0,
            "{:?}… grew {ratio}x for 4x input",
            &small[..16]
        );
    }
}

#[test]
fn parse_pathological_outcomes() {
    let outcomes: Vec<_> = pathological_extensions(4096)
        .iter()
        .map(|h| {
            parse_extensions(h)
                .map(|o| (o.len(), o[0].params.len()))
                .map_err(|e| e.to_string())
        })
        .collect();
    assert_eq!(outcomes[0], Ok((1, 1)));
    assert_eq!(outcomes[1], Err("Unexpected end of input".into()));
    assert_eq!(outcomes[2], Ok((1, 1)));
    assert_eq!(outcomes[3], Err("Unexpected character at index 6".into()));
    assert_eq!(outcomes[4], Ok((1, 4096 / 13)));
    assert_eq!(outcomes[5], Ok((1 + 4096 / 13, 0)));
    assert_eq!(outcomes[6], Ok((1, 1)));
    assert_eq!(outcomes[7], Err("Unexpected character at index 0".into()));
}

proptest! {
    #[test]
    fn parse_then_format_round_trips(value in "[ab;=,\" \\\\\t]{0,48}|\\PC{0,32}") {
        if let Ok(offers) = parse_extensions(&value) {
            prop_assert_eq!(parse_extensions(&format_extensions(&offers)), Ok(offers));
        }
        if let Ok(list) = crate::handshake::parse_subprotocols(&value) {
            prop_assert_eq!(crate::handshake::parse_subprotocols(&list.join(",")), Ok(list));
        }
    }
}
