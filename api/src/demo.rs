//! `seed-demo`: invented but realistic content, so a newcomer sees a populated network.
//! Running it again adds nothing twice.

use anyhow::Context;
use entities::{
    enums::{PartnerKind, PartnerStatus, Role},
    partner, region, user,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{
    auth::{passwords, tokens},
    db,
    input::{Password, name_key},
    state::AppState,
};

struct DemoPartner {
    name: &'static str,
    kind: PartnerKind,
    region: Option<&'static str>,
    town: &'static str,
    status: PartnerStatus,
    description: &'static str,
    contact: &'static str,
}

const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        name: "Balsall Heath Welcome Table",
        kind: PartnerKind::CommunityGroup,
        region: Some("west-midlands"),
        town: "Birmingham",
        status: PartnerStatus::Active,
        description: "A weekly shared meal and advice table for people waiting on asylum decisions.",
        contact: "Grace Okafor",
    },
    DemoPartner {
        name: "Foleshill Women's Circle",
        kind: PartnerKind::CommunityGroup,
        region: Some("west-midlands"),
        town: "Coventry",
        status: PartnerStatus::Active,
        description: "Peer support and English conversation for women seeking sanctuary.",
        contact: "Parveen Akhtar",
    },
    DemoPartner {
        name: "Black Country Faith Hospitality",
        kind: PartnerKind::FaithGroup,
        region: Some("west-midlands"),
        town: "Wolverhampton",
        status: PartnerStatus::Prospective,
        description: "Churches, mosques and gurdwaras offering hosting and befriending.",
        contact: "Revd. Thomas Hale",
    },
    DemoPartner {
        name: "Irwell Migrant Law Project",
        kind: PartnerKind::LawCentre,
        region: Some("north-west"),
        town: "Salford",
        status: PartnerStatus::Active,
        description: "Free immigration and asylum advice, casework and fresh-claim support.",
        contact: "Daniel Mensah",
    },
    DemoPartner {
        name: "Bolton Welcome Hub",
        kind: PartnerKind::SanctuaryGroup,
        region: Some("north-west"),
        town: "Bolton",
        status: PartnerStatus::Active,
        description: "A drop-in with food parcels, clothing and help with asylum support forms.",
        contact: "Mariam Yusuf",
    },
    DemoPartner {
        name: "Chapeltown Asylum Support Network",
        kind: PartnerKind::Charity,
        region: Some("yorkshire-and-humber"),
        town: "Leeds",
        status: PartnerStatus::Active,
        description: "Emergency hardship grants and accommodation for people refused asylum.",
        contact: "Helen Brierley",
    },
    DemoPartner {
        name: "Don Valley Welcome Kitchen",
        kind: PartnerKind::CommunityGroup,
        region: Some("yorkshire-and-humber"),
        town: "Sheffield",
        status: PartnerStatus::Lapsed,
        description: "A community kitchen run by and for refugees and people seeking asylum.",
        contact: "Samir Haddad",
    },
    DemoPartner {
        name: "Tyneside Befriending Scheme",
        kind: PartnerKind::SanctuaryGroup,
        region: Some("north-east"),
        town: "Newcastle upon Tyne",
        status: PartnerStatus::Active,
        description: "Volunteers matched with newly arrived people for friendship and orientation.",
        contact: "Ruth Armstrong",
    },
    DemoPartner {
        name: "Wearside Conversation Club",
        kind: PartnerKind::CommunityGroup,
        region: Some("north-east"),
        town: "Sunderland",
        status: PartnerStatus::Active,
        description: "Free English practice twice a week, with childcare.",
        contact: "Joseph Kamara",
    },
    DemoPartner {
        name: "Butetown Asylum Drop-in",
        kind: PartnerKind::Charity,
        region: Some("wales"),
        town: "Cardiff",
        status: PartnerStatus::Active,
        description: "Advice, hot food and a GP registration clinic every Tuesday.",
        contact: "Carys Lewis",
    },
    DemoPartner {
        name: "Swansea Welcome English",
        kind: PartnerKind::CommunityGroup,
        region: Some("wales"),
        town: "Swansea",
        status: PartnerStatus::Active,
        description: "Volunteer-led English classes and a conversation café.",
        contact: "Owain Price",
    },
    DemoPartner {
        name: "Deptford Destitution Project",
        kind: PartnerKind::Charity,
        region: Some("london"),
        town: "London",
        status: PartnerStatus::Active,
        description: "Cash support and night shelter referrals for people with no recourse to public funds.",
        contact: "Amara Nwosu",
    },
    DemoPartner {
        name: "Hackney Migrant Advice Centre",
        kind: PartnerKind::LawCentre,
        region: Some("london"),
        town: "London",
        status: PartnerStatus::Active,
        description: "Legal advice on asylum, family reunion and detention.",
        contact: "Tomasz Nowak",
    },
    DemoPartner {
        name: "Clyde Refugee Friends",
        kind: PartnerKind::SanctuaryGroup,
        region: None,
        town: "Glasgow",
        status: PartnerStatus::Active,
        description: "A Scottish befriending network working with the national team.",
        contact: "Fiona MacLeod",
    },
    DemoPartner {
        name: "Avon Welcome Network",
        kind: PartnerKind::FaithGroup,
        region: None,
        town: "Bristol",
        status: PartnerStatus::Prospective,
        description: "Congregations across Bristol offering welcome and hosting.",
        contact: "Esther Adebayo",
    },
];

/// Regional staff: (region slug, name, email).
const STAFF: &[(&str, &str, &str)] = &[
    (
        "west-midlands",
        "Aisha Rahman",
        "aisha.rahman@staff.example.org",
    ),
    (
        "north-west",
        "Ben Whitworth",
        "ben.whitworth@staff.example.org",
    ),
    (
        "yorkshire-and-humber",
        "Priya Sharma",
        "priya.sharma@staff.example.org",
    ),
    ("north-east", "Callum Reid", "callum.reid@staff.example.org"),
    ("wales", "Nia Evans", "nia.evans@staff.example.org"),
    ("london", "Kwame Asante", "kwame.asante@staff.example.org"),
];

/// Partner members: (partner name, person, email).
const MEMBERS: &[(&str, &str, &str)] = &[
    (
        "Balsall Heath Welcome Table",
        "Grace Okafor",
        "grace@welcometable.example.org",
    ),
    (
        "Irwell Migrant Law Project",
        "Daniel Mensah",
        "daniel@irwelllaw.example.org",
    ),
    (
        "Butetown Asylum Drop-in",
        "Carys Lewis",
        "carys@butetowndropin.example.org",
    ),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let password = tokens::new_opaque_token();
    let password_hash = passwords::hash(
        Password::parse("password", password.clone()).map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = db::begin_write(&state.db).await?;
    let added_partners = seed_partners(&txn, state).await?;
    let added_accounts = seed_accounts(&txn, state, &password_hash).await?;
    txn.commit().await?;
    println!("Added {added_partners} partner organisations and {added_accounts} accounts.");
    if added_accounts > 0 {
        println!("Demo accounts (staff: *@staff.example.org) share this password: {password}");
    }
    Ok(())
}

async fn region_id(conn: &impl ConnectionTrait, slug: &str) -> anyhow::Result<i64> {
    Ok(region::Entity::find()
        .filter(region::Column::Slug.eq(slug))
        .one(conn)
        .await?
        .with_context(|| format!("region {slug} is missing; run the migrations"))?
        .id)
}

async fn seed_partners(conn: &impl ConnectionTrait, state: &AppState) -> anyhow::Result<u64> {
    let now = state.now();
    let mut added = 0;
    for demo in PARTNERS {
        let region_id = match demo.region {
            Some(slug) => Some(region_id(conn, slug).await?),
            None => None,
        };
        let email_user = demo.contact.to_lowercase().replace([' ', '.'], "");
        let row = partner::ActiveModel {
            name: Set(demo.name.to_owned()),
            name_key: Set(name_key(demo.name)),
            kind: Set(demo.kind),
            region_id: Set(region_id),
            town: Set(Some(demo.town.to_owned())),
            website: Set(Some(format!(
                "https://{}.example.org/",
                name_key(demo.name).replace([' ', '\''], "-")
            ))),
            description: Set(demo.description.to_owned()),
            status: Set(demo.status),
            contact_name: Set(Some(demo.contact.to_owned())),
            contact_email: Set(Some(format!("{email_user}@partners.example.org"))),
            contact_phone: Set(Some("+44 20 7946 0000".to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        added += partner::Entity::insert(row)
            .on_conflict(
                OnConflict::column(partner::Column::NameKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(added)
}

async fn seed_accounts(
    conn: &impl ConnectionTrait,
    state: &AppState,
    password_hash: &str,
) -> anyhow::Result<u64> {
    let mut rows = Vec::new();
    for (slug, name, email) in STAFF {
        rows.push((
            Role::Staff,
            Some(region_id(conn, slug).await?),
            None,
            *name,
            *email,
        ));
    }
    for (partner_name, name, email) in MEMBERS {
        let partner_id = partner::Entity::find()
            .filter(partner::Column::NameKey.eq(name_key(partner_name)))
            .one(conn)
            .await?
            .with_context(|| format!("demo partner {partner_name} is missing"))?
            .id;
        rows.push((Role::Partner, None, Some(partner_id), *name, *email));
    }
    let mut added = 0;
    for (role, region_id, partner_id, name, email) in rows {
        let row = user::ActiveModel {
            email: Set(email.to_owned()),
            name: Set(name.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            role: Set(role),
            region_id: Set(region_id),
            partner_id: Set(partner_id),
            active: Set(true),
            created_at: Set(state.now()),
            ..Default::default()
        };
        added += user::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user::Column::Email)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(added)
}
