//! Partner lists in and out of spreadsheets: staff import a CSV after seeing what each row
//! would do, every valid row is written at once, and an export re-imports to no change.

use serde_json::{Value, json};
use tests::{TestApp, error_code, error_field};

use crate::world::world;

const IMPORT: &str = "mutation($r: ID, $csv: String!, $dry: Boolean) {
    importPartners(regionId: $r, csv: $csv, dryRun: $dry) {
    dryRun created updated unchanged skipped rows { line name outcome partnerId reason } } }";
const EXPORT: &str =
    "mutation($r: ID) { exportPartnersCsv(regionId: $r) { filename csv rowCount } }";
const PARTNERS: &str = "query($r: ID) { partners(filter: { regionId: $r }, first: 100) {
    totalCount edges { node { name kind town status description contactPhone contactEmail } } } }";

const SHEET: &str = "Name,Kind,Town,Website,Description,Contact name,Contact email,Contact phone,Status
Oldham Refugee Support,Charity,Oldham,https://oldham.example.org,Weekly drop-in,Ada Obi,ada@oldham.example.org,+44 161 496 0000,Active
Bolton Welcome Hub,Community group,,,Welcomes new arrivals,,,,
\"=HYPERLINK(\"\"http://evil.example.org\"\")\",,,,,,,,
Bad Email Group,,,,,,not-an-email,,
Hackney Advice Centre,,,,,,,,
Oldham Refugee Support,,Oldham,,,,,,
Wigan Drop-in,,,,,,,,LAPSED
";

fn outcomes(report: &Value) -> Vec<(u64, String, Option<String>)> {
    report["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            (
                row["line"].as_u64().unwrap_or(0),
                row["outcome"].as_str().unwrap_or_default().to_owned(),
                row["reason"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

#[tokio::test]
async fn staff_see_what_an_import_would_do_then_write_it_and_an_export_reimports_to_no_change() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let token = Some(w.staff.access_token.as_str());
    let before = app.ok(token, PARTNERS, json!({ "r": w.north_west })).await;
    assert_eq!(before["partners"]["totalCount"], 3);

    let dry = app
        .ok(token, IMPORT, json!({ "r": w.north_west, "csv": SHEET }))
        .await["importPartners"]
        .clone();
    assert_eq!(dry["dryRun"], true);
    let expected_counts = json!({ "created": 1, "updated": 2, "unchanged": 0, "skipped": 4 });
    for (key, count) in expected_counts.as_object().into_iter().flatten() {
        assert_eq!(&dry[key], count, "{key}: {dry}");
    }
    let rows = outcomes(&dry);
    let outcome_of = |line: u64| rows.iter().find(|row| row.0 == line).cloned();
    assert_eq!(outcome_of(2).map(|row| row.1), Some("CREATED".to_owned()));
    assert_eq!(outcome_of(3).map(|row| row.1), Some("UPDATED".to_owned()));
    let reason = |line: u64| outcome_of(line).and_then(|row| row.2).unwrap_or_default();
    assert!(reason(4).contains("formula"), "{}", reason(4));
    assert!(reason(5).contains("contactEmail"), "{}", reason(5));
    assert!(reason(6).contains("another region"), "{}", reason(6));
    assert!(reason(7).contains("line 2"), "{}", reason(7));
    assert_eq!(outcome_of(8).map(|row| row.1), Some("UPDATED".to_owned()));
    let unchanged = app.ok(token, PARTNERS, json!({ "r": w.north_west })).await;
    assert_eq!(unchanged, before, "a dry run writes nothing");

    let written = app
        .ok(
            token,
            IMPORT,
            json!({ "r": w.north_west, "csv": SHEET, "dry": false }),
        )
        .await["importPartners"]
        .clone();
    assert_eq!(written["created"], 1);
    assert_eq!(written["updated"], 2);
    let after = app.ok(token, PARTNERS, json!({ "r": w.north_west })).await;
    let nodes: Vec<Value> = after["partners"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|edge| edge["node"].clone())
        .collect();
    let named = |name: &str| nodes.iter().find(|node| node["name"] == name).cloned();
    assert_eq!(
        named("Oldham Refugee Support"),
        Some(
            json!({ "name": "Oldham Refugee Support", "kind": "CHARITY", "town": "Oldham",
            "status": "ACTIVE", "description": "Weekly drop-in",
            "contactPhone": "+44 161 496 0000", "contactEmail": "ada@oldham.example.org" })
        )
    );
    assert_eq!(
        named("Bolton Welcome Hub").map(|node| node["description"].clone()),
        Some(json!("Welcomes new arrivals"))
    );
    assert_eq!(
        named("Wigan Drop-in").map(|node| node["status"].clone()),
        Some(json!("LAPSED"))
    );

    // The export has the same columns, defuses the phone number's plus, and re-imports to no
    // change.
    let export =
        app.ok(token, EXPORT, json!({ "r": w.north_west })).await["exportPartnersCsv"].clone();
    assert_eq!(export["rowCount"], 4);
    assert!(
        export["filename"]
            .as_str()
            .is_some_and(|name| name.starts_with("partners-north-west-"))
    );
    let csv = export["csv"].as_str().unwrap_or_default().to_owned();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect())
        .unwrap_or_default();
    assert_eq!(
        header,
        [
            "name",
            "kind",
            "town",
            "website",
            "description",
            "contact_name",
            "contact_email",
            "contact_phone",
            "status"
        ]
    );
    let oldham = reader
        .records()
        .filter_map(Result::ok)
        .find(|record| record.get(0) == Some("Oldham Refugee Support"))
        .expect("Oldham in the export");
    assert_eq!(oldham.get(7), Some("'+44 161 496 0000"));
    let again = app
        .ok(
            token,
            IMPORT,
            json!({ "r": w.north_west, "csv": csv, "dry": false }),
        )
        .await["importPartners"]
        .clone();
    assert_eq!(
        (
            again["created"].clone(),
            again["updated"].clone(),
            again["skipped"].clone(),
            again["unchanged"].clone()
        ),
        (json!(0), json!(0), json!(0), json!(4)),
        "{again}"
    );
    assert_eq!(
        app.ok(token, PARTNERS, json!({ "r": w.north_west })).await,
        after
    );
}

#[tokio::test]
async fn files_that_cannot_be_read_are_refused_whole() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let token = Some(w.staff.access_token.as_str());
    let many = format!(
        "name\n{}",
        (0..5_001)
            .map(|i| format!("Group {i}\n"))
            .collect::<String>()
    );
    for (csv, says) in [
        ("town,kind\nOldham,CHARITY\n".to_owned(), "no name column"),
        (
            "name,favourite colour\nOldham\n".to_owned(),
            "unknown column",
        ),
        ("name,town,name\nA,B,C\n".to_owned(), "appears twice"),
        ("name\nCaf\u{FFFD} Sanctuary\n".to_owned(), "UTF-8"),
        (many, "at most 5000 rows"),
    ] {
        let refused = app
            .gql(
                token,
                IMPORT,
                json!({ "r": w.north_west, "csv": csv, "dry": false }),
            )
            .await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(error_field(&refused), "csv");
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{says}: {message}");
    }
    let partners = app.ok(token, PARTNERS, json!({ "r": w.north_west })).await;
    assert_eq!(partners["partners"]["totalCount"], 3, "nothing written");
}

#[tokio::test]
async fn a_file_with_fewer_columns_changes_only_those_and_names_each_organisation_once() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let token = Some(w.staff.access_token.as_str());
    let full = "name,town,website,contact_email\nOldham Refugee Support,Oldham,https://oldham.example.org,ada@oldham.example.org\n";
    app.ok(
        token,
        IMPORT,
        json!({ "r": w.north_west, "csv": full, "dry": false }),
    )
    .await;

    let statuses = "name,status\nOldham Refugee Support,LAPSED\n";
    let lapsed = app
        .ok(
            token,
            IMPORT,
            json!({ "r": w.north_west, "csv": statuses, "dry": false }),
        )
        .await["importPartners"]
        .clone();
    assert_eq!(lapsed["updated"], 1, "{lapsed}");
    let partners = app.ok(token, PARTNERS, json!({ "r": w.north_west })).await;
    let oldham = partners["partners"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|edge| edge["node"].clone())
        .find(|node| node["name"] == "Oldham Refugee Support")
        .expect("Oldham");
    assert_eq!(oldham["status"], "LAPSED");
    assert_eq!(
        oldham["town"], "Oldham",
        "columns the file lacks are left as they were"
    );
    assert_eq!(oldham["contactEmail"], "ada@oldham.example.org");

    // Two rows that reach one organisation (by website, then by name) update it once.
    let twice = "name,website\nOldham RS,https://oldham.example.org\nOldham Refugee Support,https://oldham.example.org\n";
    let report = app
        .ok(token, IMPORT, json!({ "r": w.north_west, "csv": twice }))
        .await["importPartners"]
        .clone();
    let rows = outcomes(&report);
    assert_eq!(rows[0].1, "UPDATED", "{report}");
    assert_eq!(rows[1].1, "SKIPPED", "{report}");
    assert!(
        rows[1]
            .2
            .as_deref()
            .is_some_and(|reason| reason.contains("line 2")),
        "{report}"
    );
}
