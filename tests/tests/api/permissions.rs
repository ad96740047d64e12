//! Every mutation (and every restricted query) against every role: who is let through and
//! who is refused with which code.

use serde_json::{Value, json};
use tests::{PASSWORD, Session, TestApp, error_code};

const ROLES: [&str; 6] = [
    "anonymous",
    "admin",
    "staff of the partner's region",
    "staff of another region",
    "member of the partner",
    "member of another partner",
];

const OK: &str = "ok";
const DENIED: &str = "FORBIDDEN";
const ANON: &str = "UNAUTHENTICATED";

struct Fixture {
    sessions: Vec<Option<Session>>,
    region: String,
    partner: String,
    victim: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin = app.admin().await;
    let region = app.region_id("north-west").await;
    let staff_here = app
        .staff(&admin, "north-west", "ben@charity.example.org")
        .await;
    let staff_elsewhere = app
        .staff(&admin, "london", "kwame@charity.example.org")
        .await;
    let partner = app
        .partner(
            &admin,
            json!({ "name": "Bolton Welcome Hub", "regionId": region }),
        )
        .await;
    let other_partner = app
        .partner(&admin, json!({ "name": "Avon Welcome Network" }))
        .await;
    let member = app
        .member(&admin, &partner, "mariam@bolton.example.org")
        .await;
    let other_member = app
        .member(&admin, &other_partner, "esther@avon.example.org")
        .await;
    let victim = app
        .member(&admin, &partner, "victim@bolton.example.org")
        .await;
    Fixture {
        sessions: vec![
            None,
            Some(admin),
            Some(staff_here),
            Some(staff_elsewhere),
            Some(member),
            Some(other_member),
        ],
        region,
        partner,
        victim: victim.user_id,
    }
}

struct Case {
    name: &'static str,
    query: &'static str,
    variables: fn(&Fixture, usize) -> Value,
    expected: [&'static str; 6],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "inviteUser ADMIN",
            query: "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            variables: |_, role| json!({ "i": { "email": format!("admin{role}@charity.example.org"), "role": "ADMIN" } }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "inviteUser STAFF",
            query: "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            variables: |f, role| json!({ "i": { "email": format!("staff{role}@charity.example.org"), "role": "STAFF", "regionId": f.region } }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "inviteUser PARTNER",
            query: "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            variables: |f, role| json!({ "i": { "email": format!("member{role}@bolton.example.org"), "role": "PARTNER", "partnerId": f.partner } }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "createPartner in a region",
            query: "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
            variables: |f, role| json!({ "i": { "name": format!("Regional partner {role}"), "regionId": f.region } }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "createPartner outside the regions",
            query: "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
            variables: |_, role| json!({ "i": { "name": format!("National partner {role}") } }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "updatePartner public profile",
            query: "mutation($id: ID!, $i: UpdatePartnerInput!) { updatePartner(id: $id, input: $i) { id } }",
            variables: |f, role| json!({ "id": f.partner, "i": { "description": format!("Edited by role {role}") } }),
            expected: [ANON, OK, OK, DENIED, OK, DENIED],
        },
        Case {
            name: "updatePartner status",
            query: "mutation($id: ID!, $i: UpdatePartnerInput!) { updatePartner(id: $id, input: $i) { id } }",
            variables: |f, _| json!({ "id": f.partner, "i": { "status": "ACTIVE" } }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "deactivateUser",
            query: "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.victim }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "reactivateUser",
            query: "mutation($id: ID!) { reactivateUser(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.victim }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "changePassword",
            query: "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
            variables: |_, _| json!({ "c": PASSWORD, "n": PASSWORD }),
            expected: [ANON, OK, OK, OK, OK, OK],
        },
        Case {
            name: "users (query)",
            query: "{ users { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "invitations (query)",
            query: "{ invitations { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "auditLog (query)",
            query: "{ auditLog { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
    ]
}

fn outcome(body: &Value) -> String {
    match body.get("errors") {
        None => OK.to_owned(),
        Some(_) => error_code(body).to_owned(),
    }
}

#[tokio::test]
async fn every_role_against_every_foundation_mutation() {
    let app = TestApp::spawn().await;
    let fixture = fixture(&app).await;
    let mut mismatches = Vec::new();
    for case in cases() {
        for (role, expected) in case.expected.iter().enumerate() {
            let token = fixture.sessions[role]
                .as_ref()
                .map(|s| s.access_token.as_str());
            let body = app
                .gql(token, case.query, (case.variables)(&fixture, role))
                .await;
            let got = outcome(&body);
            if got != *expected {
                mismatches.push(format!(
                    "{} as {}: expected {expected}, got {got} ({body})",
                    case.name, ROLES[role]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "permission matrix:\n{}",
        mismatches.join("\n")
    );
}

#[tokio::test]
async fn revoking_an_invitation_is_for_whoever_could_send_it() {
    let app = TestApp::spawn().await;
    let fixture = fixture(&app).await;
    let admin = fixture.sessions[1].clone().expect("an admin session");
    let expected = [ANON, OK, OK, DENIED, DENIED, DENIED];
    for (role, expected) in expected.iter().enumerate() {
        let invited = app
            .ok(
                Some(&admin.access_token),
                "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
                json!({ "i": { "email": format!("r{role}@bolton.example.org"), "role": "PARTNER", "partnerId": fixture.partner } }),
            )
            .await;
        let token = fixture.sessions[role]
            .as_ref()
            .map(|s| s.access_token.as_str());
        let body = app
            .gql(
                token,
                "mutation($id: ID!) { revokeInvitation(id: $id) { id } }",
                json!({ "id": invited["inviteUser"]["id"] }),
            )
            .await;
        assert_eq!(
            outcome(&body),
            *expected,
            "revokeInvitation as {}",
            ROLES[role]
        );
    }
}
