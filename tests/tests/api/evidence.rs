//! Trend evidence, never cases: observations are counts over a period, text that looks like it
//! identifies a person is refused, and the report withholds figures drawn from fewer than three
//! organisations from everyone but admins.

use serde_json::{Value, json};
use tests::{Session, TestApp, error_code, error_field};

use crate::world::{World, world};

const RECORD: &str = "mutation($i: ObservationInput!) { recordObservation(input: $i) {
    id topic peopleAffected region { slug } organisation { name } goals { slug } viewerCanEdit } }";
const LIST: &str = "{ observations { totalCount edges { node { summary } } } }";
const REPORT: &str =
    "query($f: EvidenceFilter!, $e: Interval) { evidenceReport(filter: $f, every: $e) {
    every series { goal { slug } region { slug } points {
        periodStart suppressed peopleAffected observations organisations } } } }";

fn observation(w: &World, summary: &str, people: i64, start: &str) -> Value {
    json!({
        "goalIds": [w.goals[0]],
        "topic": "Emergency accommodation",
        "periodStart": start,
        "periodEnd": start,
        "peopleAffected": people,
        "summary": summary,
    })
}

async fn record(app: &TestApp, who: &Session, input: Value) -> Value {
    app.gql(Some(&who.access_token), RECORD, json!({ "i": input }))
        .await
}

#[tokio::test]
async fn members_and_staff_record_and_each_reads_what_they_may() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let ordinary = "In March, 14 people we support were refused emergency accommodation.";
    let by_member = record(
        &app,
        &w.members[0],
        observation(&w, ordinary, 14, "2026-03-01"),
    )
    .await;
    let shown = &by_member["data"]["recordObservation"];
    assert_eq!(shown["organisation"]["name"], "Bolton Welcome Hub");
    assert_eq!(
        shown["region"]["slug"], "north-west",
        "the organisation's region"
    );
    assert_eq!(shown["topic"], "emergency-accommodation");
    assert_eq!(shown["viewerCanEdit"], true);
    let by_staff = record(
        &app,
        &w.staff,
        observation(
            &w,
            "Hotel moves without notice, 25 families.",
            25,
            "2026-03-01",
        ),
    )
    .await;
    assert!(
        by_staff["data"]["recordObservation"]["organisation"].is_null(),
        "the charity's own"
    );
    let elsewhere = record(
        &app,
        &w.london_staff,
        json!({ "goalIds": [w.goals[0]], "topic": "t", "regionId": w.north_west,
                "periodStart": "2026-03-01", "periodEnd": "2026-03-31", "peopleAffected": 5, "summary": "s" }),
    )
    .await;
    assert_eq!(
        error_code(&elsewhere),
        "FORBIDDEN",
        "staff record for their own region"
    );

    let count = |body: Value| body["data"]["observations"]["totalCount"].clone();
    assert_eq!(
        count(app.gql(Some(&w.admin.access_token), LIST, json!({})).await),
        2
    );
    assert_eq!(
        count(app.gql(Some(&w.staff.access_token), LIST, json!({})).await),
        2
    );
    assert_eq!(
        count(
            app.gql(Some(&w.london_staff.access_token), LIST, json!({}))
                .await
        ),
        0
    );
    assert_eq!(
        count(
            app.gql(Some(&w.members[0].access_token), LIST, json!({}))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            app.gql(Some(&w.members[1].access_token), LIST, json!({}))
                .await
        ),
        0
    );
    assert_eq!(
        error_code(&app.gql(None, LIST, json!({})).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn text_that_looks_personal_is_refused_and_look_alikes_pass() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let personal = [
        (
            "Her Home Office reference is B1234567.",
            "Home Office reference",
        ),
        (
            "UAN 1234-5678-9012-3456 was refused.",
            "Home Office reference",
        ),
        ("Arrived with port ref LHR/1234567/21.", "port reference"),
        ("NASS ref: 1234567 was stopped.", "NASS or ARC"),
        ("His ARC number 123456 expired.", "NASS or ARC"),
        ("ARC card UKA123456B was withheld.", "NASS or ARC"),
        ("NI number QQ 12 34 56 C.", "National Insurance"),
        ("Born on 12/03/1999 in the camp.", "date of birth"),
        ("DOB: 01-02-2001 according to the papers.", "date of birth"),
        (
            "Assessed as 14/07/1988 by the Home Office.",
            "date of birth",
        ),
        ("Call him on 07700 900123.", "phone number"),
        ("The office is on +44 20 7946 0958.", "phone number"),
        ("Landline 0161 496 0000.", "phone number"),
        ("Write to amina.k@example.org about it.", "email address"),
        ("They live at M14 5TQ.", "full postcode"),
        ("Moved to b12 9qa last week.", "full postcode"),
    ];
    for (summary, named) in personal {
        let refused = record(
            &app,
            &w.members[0],
            observation(&w, summary, 5, "2026-03-01"),
        )
        .await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            ("BAD_USER_INPUT", "summary"),
            "{summary}: {refused}"
        );
        let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(named),
            "{summary}: the message names it: {message}"
        );
    }
    let ordinary = [
        "In March, 14 people we support were refused emergency accommodation.",
        "Waits of 18 months for a first decision, up from 12.",
        "Families in the M14 and B12 districts were moved to hotels.",
        "Section 95 support stopped for 23 households between 01/03/2026 and 31/03/2026.",
        "NASS accommodation in the city is full; 40 people are in contingency hotels.",
        "Around 3,000 people in the region wait longer than a year.",
        "The A1 and M62 are where the dispersal coaches go.",
        "Form ASF1 was returned for 6 people because of a missing page.",
        "Between 2024 and 2025 the number doubled to 120.",
        "Calls to the helpline rose by 30% in Q3.",
        "Room 101 at the council offices hosts the drop-in on Tuesdays.",
        "People @ the hotel said the food was poor.",
    ];
    for summary in ordinary {
        let accepted = record(
            &app,
            &w.members[0],
            observation(&w, summary, 5, "2026-03-01"),
        )
        .await;
        assert!(accepted["errors"].is_null(), "{summary}: {accepted}");
    }
    let mut in_the_topic = observation(&w, "Refused accommodation.", 5, "2026-03-01");
    in_the_topic["topic"] = json!("Case B1234567");
    let refused = record(&app, &w.members[0], in_the_topic).await;
    assert_eq!(
        (error_code(&refused), error_field(&refused)),
        ("BAD_USER_INPUT", "topic"),
        "the topic is checked too: {refused}"
    );
}

#[tokio::test]
async fn bad_observations_name_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let base = observation(&w, "Fine text about 10 people.", 10, "2026-03-01");
    let cases: [(&str, Value, &str); 7] = [
        ("peopleAffected", json!(2), "peopleAffected"),
        ("peopleAffected", json!(1), "peopleAffected"),
        ("periodEnd", json!("2026-02-01"), "periodEnd"),
        ("periodStart", json!("2999-01-01"), "periodStart"),
        ("goalIds", json!([]), "goalIds"),
        ("goalIds", json!(["999"]), "goalIds"),
        ("topic", json!("  --  "), "topic"),
    ];
    for (key, value, field) in cases {
        let mut input = base.clone();
        input[key] = value;
        if key == "periodStart" {
            input["periodEnd"] = json!("2999-01-02");
        }
        let refused = record(&app, &w.members[0], input).await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            ("BAD_USER_INPUT", field),
            "{key}: {refused}"
        );
    }
    let listed = app.ok(Some(&w.admin.access_token), LIST, json!({})).await;
    assert_eq!(
        listed["observations"]["totalCount"], 0,
        "nothing was written"
    );
}

#[tokio::test]
async fn corrections_keep_what_it_said_and_deletion_is_for_good() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let recorded = record(
        &app,
        &w.members[0],
        observation(&w, "Twelve people were moved.", 12, "2026-03-01"),
    )
    .await;
    let id = recorded["data"]["recordObservation"]["id"].clone();
    let mut corrected = observation(&w, "Fifteen people were moved.", 15, "2026-03-01");
    corrected["periodEnd"] = json!("2026-03-31");
    let by_another = app
        .gql(
            Some(&w.members[1].access_token),
            "mutation($id: ID!, $i: ObservationInput!) { updateObservation(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": corrected }),
        )
        .await;
    assert_eq!(
        error_code(&by_another),
        "NOT_FOUND",
        "another organisation cannot even see it"
    );
    let by_staff = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($id: ID!, $i: ObservationInput!) { updateObservation(id: $id, input: $i) { id } }",
            json!({ "id": id, "i": corrected }),
        )
        .await;
    assert_eq!(
        error_code(&by_staff),
        "FORBIDDEN",
        "staff read it but its organisation corrects it"
    );
    let updated = app
        .ok(
            Some(&w.members[0].access_token),
            "mutation($id: ID!, $i: ObservationInput!) { updateObservation(id: $id, input: $i) {
                summary peopleAffected revisions { summary peopleAffected } } }",
            json!({ "id": id, "i": corrected }),
        )
        .await;
    assert_eq!(
        updated["updateObservation"],
        json!({ "summary": "Fifteen people were moved.", "peopleAffected": 15,
                "revisions": [{ "summary": "Twelve people were moved.", "peopleAffected": 12 }] })
    );
    app.ok(
        Some(&w.members[0].access_token),
        "mutation($id: ID!) { deleteObservation(id: $id) }",
        json!({ "id": id }),
    )
    .await;
    let listed = app.ok(Some(&w.admin.access_token), LIST, json!({})).await;
    assert_eq!(listed["observations"]["totalCount"], 0);
}

/// Three organisations saw it in March, two in April.
async fn three_then_two(app: &TestApp, w: &World) {
    for (member, people) in [(0, 10), (1, 20), (2, 30)] {
        record(
            app,
            &w.members[member],
            observation(w, "Refused accommodation.", people, "2026-03-10"),
        )
        .await;
    }
    for (member, people) in [(0, 7), (1, 8)] {
        record(
            app,
            &w.members[member],
            observation(w, "Refused accommodation.", people, "2026-04-10"),
        )
        .await;
    }
}

#[tokio::test]
async fn figures_from_fewer_than_three_organisations_are_withheld_except_from_admins() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    three_then_two(&app, &w).await;
    let filter = json!({ "f": { "from": "2026-01-01", "to": "2026-12-31", "regionId": w.north_west }, "e": "MONTH" });
    let staff = app
        .ok(Some(&w.staff.access_token), REPORT, filter.clone())
        .await;
    let points = &staff["evidenceReport"]["series"][0]["points"];
    assert_eq!(
        staff["evidenceReport"]["series"][0]["goal"]["slug"],
        "end-destitution"
    );
    assert_eq!(
        points,
        &json!([
            { "periodStart": "2026-03-01", "suppressed": false, "peopleAffected": 60, "observations": 3, "organisations": 3 },
            { "periodStart": "2026-04-01", "suppressed": true, "peopleAffected": null, "observations": null, "organisations": null },
        ])
    );
    let member = app
        .ok(Some(&w.members[3].access_token), REPORT, filter.clone())
        .await;
    assert_eq!(
        member["evidenceReport"]["series"][0]["points"], *points,
        "members too see it withheld"
    );
    let admin = app
        .ok(Some(&w.admin.access_token), REPORT, filter.clone())
        .await;
    assert_eq!(
        admin["evidenceReport"]["series"][0]["points"][1],
        json!({ "periodStart": "2026-04-01", "suppressed": false, "peopleAffected": 15, "observations": 2, "organisations": 2 })
    );
    assert_eq!(
        error_code(&app.gql(None, REPORT, filter).await),
        "UNAUTHENTICATED"
    );

    let quarters = app
        .ok(
            Some(&w.staff.access_token),
            REPORT,
            json!({ "f": { "from": "2026-01-01", "to": "2026-12-31" }, "e": "QUARTER" }),
        )
        .await;
    assert_eq!(
        quarters["evidenceReport"]["series"][0]["points"],
        json!([
            { "periodStart": "2026-01-01", "suppressed": false, "peopleAffected": 60, "observations": 3, "organisations": 3 },
            { "periodStart": "2026-04-01", "suppressed": true, "peopleAffected": null, "observations": null, "organisations": null },
        ])
    );
}

#[tokio::test]
async fn a_campaign_weighs_its_evidence_and_an_update_can_carry_it_to_the_public() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    three_then_two(&app, &w).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let evidence =
        "query($c: ID!) { campaign(id: $c) { evidence(from: \"2026-01-01\", to: \"2026-12-31\") {
        series { points { peopleAffected suppressed } } } } }";
    let staff = app
        .ok(
            Some(&w.staff.access_token),
            evidence,
            json!({ "c": campaign }),
        )
        .await;
    assert_eq!(
        staff["campaign"]["evidence"]["series"][0]["points"][0],
        json!({ "peopleAffected": 60, "suppressed": false })
    );
    let public = app.ok(None, evidence, json!({ "c": campaign })).await;
    assert!(
        public["campaign"]["evidence"].is_null(),
        "the public sees no evidence on a campaign"
    );

    let update = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($r: ID) { createPolicyUpdate(input: { title: \"Refusals rise\", summary: \"s\", body: \"b\",
                kind: POLICY_DEVELOPMENT, regionId: $r }) { id } }",
            json!({ "r": w.north_west }),
        )
        .await["createPolicyUpdate"]["id"]
        .clone();
    let attach = "mutation($u: ID!, $r: ID) { attachEvidence(updateId: $u,
        filter: { from: \"2026-01-01\", to: \"2026-12-31\", regionId: $r }, every: MONTH) }";
    assert_eq!(
        error_code(
            &app.gql(
                Some(&w.london_staff.access_token),
                attach,
                json!({ "u": update, "r": w.north_west })
            )
            .await
        ),
        "FORBIDDEN"
    );
    app.ok(
        Some(&w.staff.access_token),
        attach,
        json!({ "u": update, "r": w.north_west }),
    )
    .await;
    app.ok(
        Some(&w.staff.access_token),
        "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
        json!({ "id": update }),
    )
    .await;
    let read = app
        .ok(
            None,
            "query($id: ID!) { policyUpdate(id: $id) { evidence { series { points { peopleAffected suppressed } } } } }",
            json!({ "id": update }),
        )
        .await;
    assert_eq!(
        read["policyUpdate"]["evidence"]["series"][0]["points"],
        json!([{ "peopleAffected": 60, "suppressed": false }, { "peopleAffected": null, "suppressed": true }]),
        "the public reads the attached figures, with the small ones withheld"
    );
}

#[tokio::test]
async fn two_reports_cannot_be_subtracted_to_show_what_each_withholds() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    for member in 0..3 {
        record(
            &app,
            &w.members[member],
            observation(&w, "Refused accommodation.", 10, "2026-03-02"),
        )
        .await;
    }
    let mut work = observation(&w, "Waited a year for permission to work.", 4, "2026-03-25");
    work["topic"] = json!("Right to work");
    record(&app, &w.staff, work).await;
    let month = |from: &str, to: &str, topic: Option<&str>| json!({ "f": { "from": from, "to": to, "regionId": w.north_west, "topic": topic }, "e": "MONTH" });
    let whole = app
        .ok(
            Some(&w.staff.access_token),
            REPORT,
            month("2026-03-01", "2026-03-31", None),
        )
        .await;
    assert_eq!(
        whole["evidenceReport"]["series"][0]["points"][0]["organisations"], 4,
        "four organisations in March"
    );
    let cut_short = app
        .ok(
            Some(&w.staff.access_token),
            REPORT,
            month("2026-03-01", "2026-03-10", None),
        )
        .await;
    assert_eq!(
        cut_short["evidenceReport"]["series"][0]["points"],
        whole["evidenceReport"]["series"][0]["points"],
        "a range that ends mid-month covers the whole month, so it cannot leave one organisation out"
    );
    let one_topic = app
        .ok(
            Some(&w.staff.access_token),
            REPORT,
            month("2026-03-01", "2026-03-31", Some("emergency accommodation")),
        )
        .await;
    assert_eq!(
        one_topic["evidenceReport"]["series"][0]["points"][0]["suppressed"], true,
        "three organisations, but March minus this topic would show the one other organisation"
    );
    let admin = app
        .ok(
            Some(&w.admin.access_token),
            REPORT,
            month("2026-03-01", "2026-03-31", Some("emergency accommodation")),
        )
        .await;
    assert_eq!(
        admin["evidenceReport"]["series"][0]["points"][0]["organisations"], 3,
        "admins see every figure"
    );
}
