//! Text that would mislead or break what shows it is refused where it comes in, naming the
//! field; and input that would be slow to process is refused before it is.

use serde_json::json;
use tests::{TestApp, error_code, error_field};

const CREATE_PARTNER: &str =
    "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { name } }";

#[tokio::test]
async fn names_and_titles_are_one_visible_line() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for name in [
        "\u{202e}gnp.exe",
        "Zero\u{200b}width",
        "Byte order\u{feff}mark",
        "Line\u{2028}separator",
        "Two\nlines",
        "Tab\tinside",
        "Bell\u{7}",
        "Non\u{fffe}character",
        "Isolated \u{2067}text\u{2069}",
    ] {
        let refused = app
            .gql(
                Some(&admin.access_token),
                CREATE_PARTNER,
                json!({ "i": { "name": name } }),
            )
            .await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            ("BAD_USER_INPUT", "name"),
            "{name:?}: {refused}"
        );
    }
    let fine = app
        .ok(
            Some(&admin.access_token),
            CREATE_PARTNER,
            json!({ "i": { "name": "Café Ñandú — 難民支援 👩‍👩‍👧" } }),
        )
        .await;
    assert_eq!(fine["createPartner"]["name"], "Café Ñandú — 難民支援 👩‍👩‍👧");

    let multi_line = app
        .ok(
            Some(&admin.access_token),
            CREATE_PARTNER,
            json!({ "i": { "name": "Described", "description": "Two lines\nare fine here." } }),
        )
        .await;
    assert_eq!(multi_line["createPartner"]["name"], "Described");
}

#[tokio::test]
async fn deeply_nested_markdown_is_refused_before_it_is_rendered() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let create =
        "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { bodyHtml } }";
    let deep = app
        .gql(
            Some(&admin.access_token),
            create,
            json!({ "i": { "title": "Deep", "summary": "s", "kind": "RESOURCE", "body": ">".repeat(49_000) } }),
        )
        .await;
    assert_eq!(
        (error_code(&deep), error_field(&deep)),
        ("BAD_USER_INPUT", "body")
    );
    let lists = (0..40)
        .map(|level| format!("{}- item\n", "  ".repeat(level)))
        .collect::<String>();
    let deep_lists = app
        .gql(
            Some(&admin.access_token),
            create,
            json!({ "i": { "title": "Lists", "summary": "s", "kind": "RESOURCE", "body": lists } }),
        )
        .await;
    assert_eq!(error_field(&deep_lists), "body", "{deep_lists}");
    for marker in ["1. ", "1) "] {
        let numbered = app
            .gql(
                Some(&admin.access_token),
                create,
                json!({ "i": { "title": "Numbered", "summary": "s", "kind": "RESOURCE",
                               "body": marker.repeat(5_000) } }),
            )
            .await;
        assert_eq!(
            error_field(&numbered),
            "body",
            "numbered lists nest too: {numbered}"
        );
    }
    let ordinary = app
        .ok(
            Some(&admin.access_token),
            create,
            json!({ "i": { "title": "Ordinary", "summary": "s", "kind": "RESOURCE",
                "body": "> A quote\n> > within a quote\n\n- a list\n  - nested\n\n---\n\n**bold**" } }),
        )
        .await;
    assert!(
        ordinary["createPolicyUpdate"]["bodyHtml"]
            .as_str()
            .is_some_and(|html| html.contains("<blockquote>"))
    );
}

#[tokio::test]
async fn addresses_the_mailer_cannot_send_to_are_refused() {
    let app = TestApp::spawn().await;
    for email in [
        "\"a b\"@example.org",
        "\"quoted\"@example.org",
        "no-at-sign.example.org",
    ] {
        let refused = crate::mailing::subscribe(&app, json!({ "email": email })).await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            ("BAD_USER_INPUT", "email"),
            "{email}"
        );
    }
}
