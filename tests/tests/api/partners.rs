use serde_json::{Value, json};
use tests::{Session, TestApp, error_code, error_field};

const PARTNER: &str = "query($id: ID!) { partner(id: $id) {
    name kind town website description status region { slug }
    contactName contactEmail contactPhone viewerCanEdit } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdatePartnerInput!) {
    updatePartner(id: $id, input: $i) { name description status town website region { slug } contactEmail } }";

fn leeds_drop_in(region_id: &str) -> Value {
    json!({
        "name": "Chapeltown Asylum Drop-in",
        "kind": "CHARITY",
        "regionId": region_id,
        "town": "Leeds",
        "website": "https://chapeltown.example.org",
        "description": "Hot food and advice every Wednesday.",
        "contactName": "Helen Brierley",
        "contactEmail": "Helen@Chapeltown.example.org",
        "contactPhone": "+44 113 496 0000"
    })
}

/// An admin, Yorkshire staff, London staff, the partner's member and another partner's member.
struct Cast {
    admin: Session,
    yorkshire: Session,
    london: Session,
    member: Session,
    outsider: Session,
    partner_id: String,
}

async fn cast(app: &TestApp) -> Cast {
    let admin = app.admin().await;
    let yorkshire = app
        .staff(&admin, "yorkshire-and-humber", "priya@charity.example.org")
        .await;
    let london = app
        .staff(&admin, "london", "kwame@charity.example.org")
        .await;
    let region = app.region_id("yorkshire-and-humber").await;
    let partner_id = app.partner(&yorkshire, leeds_drop_in(&region)).await;
    let other = app
        .partner(&admin, json!({ "name": "Clyde Refugee Friends" }))
        .await;
    let member = app
        .member(&yorkshire, &partner_id, "helen@chapeltown.example.org")
        .await;
    let outsider = app.member(&admin, &other, "fiona@clyde.example.org").await;
    Cast {
        admin,
        yorkshire,
        london,
        member,
        outsider,
        partner_id,
    }
}

#[tokio::test]
async fn staff_add_a_partner_in_their_region_with_every_detail() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let data = app
        .ok(
            Some(&c.yorkshire.access_token),
            PARTNER,
            json!({ "id": c.partner_id }),
        )
        .await;
    assert_eq!(
        data["partner"],
        json!({
            "name": "Chapeltown Asylum Drop-in",
            "kind": "CHARITY",
            "town": "Leeds",
            "website": "https://chapeltown.example.org/",
            "description": "Hot food and advice every Wednesday.",
            "status": "ACTIVE",
            "region": { "slug": "yorkshire-and-humber" },
            "contactName": "Helen Brierley",
            "contactEmail": "helen@chapeltown.example.org",
            "contactPhone": "+44 113 496 0000",
            "viewerCanEdit": true
        })
    );
}

#[tokio::test]
async fn contact_details_are_shown_only_to_the_region_admins_and_members() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let viewers: [(&str, Option<&Session>, bool); 6] = [
        ("public", None, false),
        ("admin", Some(&c.admin), true),
        ("region's staff", Some(&c.yorkshire), true),
        ("other region's staff", Some(&c.london), false),
        ("the partner's member", Some(&c.member), true),
        ("another partner's member", Some(&c.outsider), false),
    ];
    for (who, session, sees) in viewers {
        let data = app
            .ok(
                session.map(|s| s.access_token.as_str()),
                PARTNER,
                json!({ "id": c.partner_id }),
            )
            .await;
        let partner = &data["partner"];
        assert_eq!(
            partner["name"], "Chapeltown Asylum Drop-in",
            "{who} sees the public profile"
        );
        for field in ["contactName", "contactEmail", "contactPhone"] {
            assert_eq!(partner[field].is_string(), sees, "{who} and {field}");
        }
    }
}

#[tokio::test]
async fn members_edit_their_public_profile_but_nothing_else() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let edited = app
        .ok(
            Some(&c.member.access_token),
            UPDATE,
            json!({ "id": c.partner_id, "i": { "description": "Now open on Fridays too.", "town": "Leeds 7" } }),
        )
        .await;
    assert_eq!(
        edited["updatePartner"]["description"],
        "Now open on Fridays too."
    );
    assert_eq!(edited["updatePartner"]["town"], "Leeds 7");

    for restricted in [
        json!({ "status": "LAPSED" }),
        json!({ "regionId": null }),
        json!({ "contactEmail": "new@chapeltown.example.org" }),
        json!({ "kind": "OTHER" }),
    ] {
        let body = app
            .gql(
                Some(&c.member.access_token),
                UPDATE,
                json!({ "id": c.partner_id, "i": restricted.clone() }),
            )
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN", "{restricted}");
    }
    let data = app
        .ok(
            Some(&c.admin.access_token),
            PARTNER,
            json!({ "id": c.partner_id }),
        )
        .await;
    assert_eq!(data["partner"]["status"], "ACTIVE");
    assert_eq!(
        data["partner"]["contactEmail"],
        "helen@chapeltown.example.org"
    );
}

#[tokio::test]
async fn staff_cannot_move_a_partner_out_of_their_region() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let london = app.region_id("london").await;
    let body = app
        .gql(
            Some(&c.yorkshire.access_token),
            UPDATE,
            json!({ "id": c.partner_id, "i": { "regionId": london } }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let national = app
        .gql(
            Some(&c.yorkshire.access_token),
            UPDATE,
            json!({ "id": c.partner_id, "i": { "regionId": null } }),
        )
        .await;
    assert_eq!(error_code(&national), "FORBIDDEN");
    let moved = app
        .ok(
            Some(&c.admin.access_token),
            UPDATE,
            json!({ "id": c.partner_id, "i": { "regionId": london } }),
        )
        .await;
    assert_eq!(moved["updatePartner"]["region"]["slug"], "london");
    // Now it is London's: Yorkshire can no longer edit it, London can.
    let yorkshire = app
        .gql(
            Some(&c.yorkshire.access_token),
            UPDATE,
            json!({ "id": c.partner_id, "i": { "town": "Leeds" } }),
        )
        .await;
    assert_eq!(error_code(&yorkshire), "FORBIDDEN");
    app.ok(
        Some(&c.london.access_token),
        UPDATE,
        json!({ "id": c.partner_id, "i": { "town": "Leeds" } }),
    )
    .await;
}

#[tokio::test]
async fn fields_set_to_null_are_cleared_and_fields_left_out_are_kept() {
    let app = TestApp::spawn().await;
    let c = cast(&app).await;
    let data = app
        .ok(
            Some(&c.admin.access_token),
            UPDATE,
            json!({ "id": c.partner_id, "i": { "website": null, "contactEmail": null } }),
        )
        .await;
    assert_eq!(data["updatePartner"]["website"], Value::Null);
    assert_eq!(data["updatePartner"]["contactEmail"], Value::Null);
    assert_eq!(data["updatePartner"]["town"], "Leeds");
}

#[tokio::test]
async fn bad_partner_input_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let base = leeds_drop_in(&app.region_id("yorkshire-and-humber").await);
    let with = |field: &str, value: Value| {
        let mut input = base.clone();
        input[field] = value;
        input
    };
    let cases = [
        (with("name", json!("   ")), "name"),
        (with("name", json!("n".repeat(201))), "name"),
        (with("name", json!("Tab\u{7}Bell")), "name"),
        (with("website", json!("javascript:alert(1)")), "website"),
        (with("website", json!("chapeltown.example.org")), "website"),
        (
            with("contactEmail", json!("helen at chapeltown")),
            "contactEmail",
        ),
        (with("contactPhone", json!("call me")), "contactPhone"),
        (with("contactPhone", json!("12")), "contactPhone"),
        (with("description", json!("d".repeat(5001))), "description"),
        (with("town", json!("t".repeat(101))), "town"),
        (with("regionId", json!("12345")), "regionId"),
        (with("regionId", json!("-1")), "regionId"),
    ];
    for (input, field) in cases {
        let body = app
            .gql(
                Some(&admin.access_token),
                "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", field),
            "{body}"
        );
    }
    let count = app
        .ok(
            Some(&admin.access_token),
            "{ partners { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["partners"]["totalCount"], 0);
    let audit = app
        .ok(
            Some(&admin.access_token),
            "{ auditLog { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert!(
        !audit.to_string().contains("partner.create"),
        "no audit entry for a refused change: {audit}"
    );
}

#[tokio::test]
async fn a_second_partner_with_the_same_name_is_a_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.partner(&admin, json!({ "name": "Bolton Welcome Hub" }))
        .await;
    let body = app
        .gql(
            Some(&admin.access_token),
            "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
            json!({ "i": { "name": "  bolton   WELCOME hub " } }),
        )
        .await;
    assert_eq!(error_code(&body), "CONFLICT");
}

#[tokio::test]
async fn the_public_sees_active_partners_and_staff_see_all() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (name, status) in [
        ("Active One", "ACTIVE"),
        ("Maybe One", "PROSPECTIVE"),
        ("Former One", "LAPSED"),
    ] {
        app.partner(&admin, json!({ "name": name, "status": status }))
            .await;
    }
    let query = "{ partners { totalCount edges { node { name } } } }";
    let public = app.ok(None, query, json!({})).await;
    assert_eq!(public["partners"]["totalCount"], 1);
    assert_eq!(public["partners"]["edges"][0]["node"]["name"], "Active One");
    let staff = app.ok(Some(&admin.access_token), query, json!({})).await;
    assert_eq!(staff["partners"]["totalCount"], 3);

    let hidden_id = app
        .ok(
            Some(&admin.access_token),
            r#"{ partners(filter: {status: LAPSED}) { edges { node { id } } } }"#,
            json!({}),
        )
        .await["partners"]["edges"][0]["node"]["id"]
        .clone();
    let body = app
        .gql(
            None,
            "query($id: ID!) { partner(id: $id) { name } }",
            json!({ "id": hidden_id }),
        )
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
}

#[tokio::test]
async fn partners_are_filtered_by_region_status_kind_and_words() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let wales = app.region_id("wales").await;
    let london = app.region_id("london").await;
    for input in [
        json!({ "name": "Butetown Drop-in", "regionId": wales, "kind": "CHARITY", "town": "Cardiff" }),
        json!({ "name": "Swansea English", "regionId": wales, "kind": "COMMUNITY_GROUP", "description": "Conversation café" }),
        json!({ "name": "Hackney Law Centre", "regionId": london, "kind": "LAW_CENTRE", "status": "PROSPECTIVE" }),
        json!({ "name": "Clyde Friends", "kind": "SANCTUARY_GROUP", "town": "Glasgow" }),
        json!({ "name": "100% Welcome_Club", "kind": "OTHER" }),
    ] {
        app.partner(&admin, input).await;
    }
    let names = |data: &Value| -> Vec<String> {
        data["partners"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| edge["node"]["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let query = "query($f: PartnerFilter) { partners(filter: $f) { edges { node { name } } } }";
    let cases = [
        (
            json!({ "regionId": wales }),
            vec!["Butetown Drop-in", "Swansea English"],
        ),
        (
            json!({ "regionId": null }),
            vec!["100% Welcome_Club", "Clyde Friends"],
        ),
        (
            json!({ "status": "PROSPECTIVE" }),
            vec!["Hackney Law Centre"],
        ),
        (json!({ "kind": "LAW_CENTRE" }), vec!["Hackney Law Centre"]),
        (json!({ "search": "cardiff" }), vec!["Butetown Drop-in"]),
        (json!({ "search": "CAFÉ" }), vec!["Swansea English"]),
        (json!({ "search": "café" }), vec!["Swansea English"]),
        (json!({ "search": "100%" }), vec!["100% Welcome_Club"]),
        (json!({ "search": "_" }), vec!["100% Welcome_Club"]),
        (
            json!({ "regionId": wales, "kind": "CHARITY" }),
            vec!["Butetown Drop-in"],
        ),
    ];
    for (filter, expected) in cases {
        let data = app
            .ok(Some(&admin.access_token), query, json!({ "f": filter }))
            .await;
        assert_eq!(names(&data), expected, "filter {filter}");
    }
    let long = app
        .gql(
            Some(&admin.access_token),
            query,
            json!({ "f": { "search": "x".repeat(101) } }),
        )
        .await;
    assert_eq!(
        (error_code(&long), error_field(&long)),
        ("BAD_USER_INPUT", "filter.search")
    );
}

#[tokio::test]
async fn a_regions_partners_are_listed_from_the_region() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let wales = app.region_id("wales").await;
    app.partner(
        &admin,
        json!({ "name": "Butetown Drop-in", "regionId": wales }),
    )
    .await;
    app.partner(&admin, json!({ "name": "Elsewhere" })).await;
    let data = app
        .ok(
            None,
            r#"{ region(slug: "wales") { partners { totalCount edges { node { name } } } } }"#,
            json!({}),
        )
        .await;
    assert_eq!(data["region"]["partners"]["totalCount"], 1);
    assert_eq!(
        data["region"]["partners"]["edges"][0]["node"]["name"],
        "Butetown Drop-in"
    );
}

#[tokio::test]
async fn an_unknown_partner_is_not_found() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = app
        .gql(None, "{ partner(id: \"4242\") { name } }", json!({}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
    let update = app
        .gql(
            Some(&admin.access_token),
            UPDATE,
            json!({ "id": "4242", "i": { "town": "X" } }),
        )
        .await;
    assert_eq!(error_code(&update), "NOT_FOUND");
}
