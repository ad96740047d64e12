//! A small network to campaign with: an admin, staff in the North West and in London, three
//! North West partners, a London partner and one outside the regions, each with a member.

use serde_json::{Value, json};
use tests::{Session, TestApp};

pub struct World {
    pub admin: Session,
    pub staff: Session,
    pub london_staff: Session,
    pub north_west: String,
    pub london: String,
    /// Partner ids: [Bolton, Salford, Wigan] in the North West, then London, then national.
    pub partners: Vec<String>,
    /// One member for each partner, in the same order.
    pub members: Vec<Session>,
    pub goals: Vec<String>,
}

pub const PARTNER_NAMES: [&str; 5] = [
    "Bolton Welcome Hub",
    "Salford Law Project",
    "Wigan Drop-in",
    "Hackney Advice Centre",
    "Clyde Refugee Friends",
];

const STAFF_EMAIL: &str = "ben@charity.example.org";
const LONDON_STAFF_EMAIL: &str = "kwame@charity.example.org";

pub async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let north_west = app.region_id("north-west").await;
    let london = app.region_id("london").await;
    let staff = app.staff(&admin, "north-west", STAFF_EMAIL).await;
    let london_staff = app.staff(&admin, "london", LONDON_STAFF_EMAIL).await;
    let regions = [
        Some(&north_west),
        Some(&north_west),
        Some(&north_west),
        Some(&london),
        None,
    ];
    let mut partners = Vec::new();
    let mut members = Vec::new();
    for (i, (name, region)) in PARTNER_NAMES.iter().zip(regions).enumerate() {
        let id = app
            .partner(&admin, json!({ "name": name, "regionId": region }))
            .await;
        members.push(
            app.member(&admin, &id, &format!("member{i}@partners.example.org"))
                .await,
        );
        partners.push(id);
    }
    let goals = app.ok(None, "{ advocacyGoals { id } }", json!({})).await["advocacyGoals"]
        .as_array()
        .expect("goals")
        .iter()
        .map(|goal| goal["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    World {
        admin,
        staff,
        london_staff,
        north_west,
        london,
        partners,
        members,
        goals,
    }
}

impl World {
    /// Signs everyone in again: after the clock jumps days ahead their access tokens have
    /// expired, as they would for someone coming back next week.
    pub async fn sign_everyone_in_again(&mut self, app: &TestApp) {
        self.admin = app.login(tests::ADMIN_EMAIL, tests::PASSWORD).await;
        self.staff = app.login(STAFF_EMAIL, tests::PASSWORD).await;
        self.london_staff = app.login(LONDON_STAFF_EMAIL, tests::PASSWORD).await;
        for (i, member) in self.members.iter_mut().enumerate() {
            *member = app
                .login(&format!("member{i}@partners.example.org"), tests::PASSWORD)
                .await;
        }
    }

    /// A North West campaign, as the region's staff start it (a DRAFT).
    pub async fn draft_campaign(&self, app: &TestApp, title: &str) -> String {
        let data = app
            .ok(
                Some(&self.staff.access_token),
                "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": {
                    "title": title,
                    "summary": "Lift the ban on work for people waiting on a decision.",
                    "body": "Long waits push families into poverty.",
                    "goalIds": [self.goals[1], self.goals[0]],
                    "regionIds": [self.north_west],
                } }),
            )
            .await;
        data["createCampaign"]["id"]
            .as_str()
            .expect("campaign id")
            .to_owned()
    }

    pub async fn set_status(&self, app: &TestApp, campaign: &str, status: &str) -> Value {
        app.gql(
            Some(&self.staff.access_token),
            "mutation($id: ID!, $s: CampaignStatus!) { setCampaignStatus(id: $id, status: $s) { status } }",
            json!({ "id": campaign, "s": status }),
        )
        .await
    }

    /// An ACTIVE campaign.
    pub async fn active_campaign(&self, app: &TestApp, title: &str) -> String {
        let id = self.draft_campaign(app, title).await;
        let moved = self.set_status(app, &id, "ACTIVE").await;
        assert_eq!(
            moved["data"]["setCampaignStatus"]["status"], "ACTIVE",
            "{moved}"
        );
        id
    }

    pub async fn action(&self, app: &TestApp, campaign: &str, extra: Value) -> String {
        let mut input =
            json!({ "campaignId": campaign, "title": "Write to your MP", "kind": "LETTER_TO_MP" });
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        let data = app
            .ok(
                Some(&self.staff.access_token),
                "mutation($i: CreateJointActionInput!) { createJointAction(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        data["createJointAction"]["id"]
            .as_str()
            .expect("action id")
            .to_owned()
    }

    pub async fn opt_in(
        &self,
        app: &TestApp,
        member: usize,
        action: &str,
        note: Option<&str>,
    ) -> Value {
        app.gql(
            Some(&self.members[member].access_token),
            "mutation($a: ID!, $n: String) { optIntoJointAction(actionId: $a, note: $n) { optInCount } }",
            json!({ "a": action, "n": note }),
        )
        .await
    }

    pub async fn withdraw(&self, app: &TestApp, member: usize, action: &str) -> Value {
        app.gql(
            Some(&self.members[member].access_token),
            "mutation($a: ID!) { withdrawFromJointAction(actionId: $a) { optInCount } }",
            json!({ "a": action }),
        )
        .await
    }

    pub async fn position(
        &self,
        app: &TestApp,
        campaign: &str,
        ownership: &str,
        body: &str,
    ) -> String {
        let data = app
            .ok(
                Some(&self.staff.access_token),
                "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
                json!({ "i": { "campaignId": campaign, "title": "Lift the ban", "ownership": ownership, "body": body } }),
            )
            .await;
        data["createPosition"]["id"]
            .as_str()
            .expect("position id")
            .to_owned()
    }

    pub async fn request_approval(
        &self,
        app: &TestApp,
        position: &str,
        partners: &[usize],
    ) -> Value {
        let ids: Vec<&String> = partners.iter().map(|i| &self.partners[*i]).collect();
        app.gql(
            Some(&self.staff.access_token),
            "mutation($p: ID!, $ids: [ID!]!) { requestPositionApproval(positionId: $p, partnerIds: $ids) { id } }",
            json!({ "p": position, "ids": ids }),
        )
        .await
    }

    pub async fn respond(
        &self,
        app: &TestApp,
        member: usize,
        position: &str,
        decision: &str,
        version: i32,
    ) -> Value {
        app.gql(
            Some(&self.members[member].access_token),
            "mutation($p: ID!, $d: ApprovalDecision!, $v: Int!) {
                respondToPositionApproval(positionId: $p, decision: $d, version: $v) { decision version } }",
            json!({ "p": position, "d": decision, "v": version }),
        )
        .await
    }

    pub async fn publish(&self, app: &TestApp, position: &str) -> Value {
        app.gql(
            Some(&self.staff.access_token),
            "mutation($id: ID!) { publishPosition(id: $id) { status } }",
            json!({ "id": position }),
        )
        .await
    }

    pub async fn revise(&self, app: &TestApp, position: &str, body: &str) -> Value {
        app.gql(
            Some(&self.staff.access_token),
            "mutation($id: ID!, $b: String!) { revisePosition(id: $id, body: $b) { status } }",
            json!({ "id": position, "b": body }),
        )
        .await
    }
}

/// The names in a list of `{ name }` objects (or `{ partner { name } }` when `nested`).
pub fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    let node = if item.get("node").is_some() {
                        &item["node"]
                    } else {
                        item
                    };
                    let named = if node.get("partner").is_some() {
                        &node["partner"]
                    } else {
                        node
                    };
                    named["name"].as_str().unwrap_or_default().to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}
