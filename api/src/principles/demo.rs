//! Demonstration signatories: partner organisations and organisations outside the network,
//! listed and not, most approved with two years of self-assessments (so the report and
//! progress have something to show), one waiting for staff and one rejected.

use chrono::Duration;
use entities::{
    assessment, assessment_answer,
    enums::{PracticeLevel, SignatoryStatus},
    partner, principle_indicator, signatory,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::{current_edition, reassess_after};
use crate::{auth::tokens, db, input::name_key, state::AppState};

/// (organisation, town, region slug, signatory, role, email, listed, status)
type Outside = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
    bool,
    SignatoryStatus,
);

const OUTSIDE: [Outside; 7] = [
    (
        "Hope Street Night Shelter",
        "Liverpool",
        Some("north-west"),
        "Joan Whitaker",
        "Director",
        "joan@hopestreet.example.org",
        true,
        SignatoryStatus::Approved,
    ),
    (
        "Ladywood Refugee Befrienders",
        "Birmingham",
        Some("west-midlands"),
        "Samir Haddad",
        "Coordinator",
        "samir@ladywoodbefrienders.example.org",
        true,
        SignatoryStatus::Approved,
    ),
    (
        "Cardiff Bay Legal Clinic",
        "Cardiff",
        Some("wales"),
        "Non Pritchard",
        "Supervising solicitor",
        "non@baylegal.example.org",
        false,
        SignatoryStatus::Approved,
    ),
    (
        "Oldham Welcome Kitchen",
        "Oldham",
        Some("north-west"),
        "Asha Begum",
        "Chair of trustees",
        "asha@oldhamkitchen.example.org",
        true,
        SignatoryStatus::Approved,
    ),
    (
        "Coventry Sanctuary Hub",
        "Coventry",
        Some("west-midlands"),
        "Peter Nowak",
        "Manager",
        "peter@coventryhub.example.org",
        true,
        SignatoryStatus::Approved,
    ),
    (
        "Swansea Sanctuary Singers",
        "Swansea",
        Some("wales"),
        "Rhian Evans",
        "Secretary",
        "rhian@swanseasingers.example.org",
        true,
        SignatoryStatus::Pending,
    ),
    (
        "Quick Status Consultants",
        "Bolton",
        Some("north-west"),
        "Gary Lunt",
        "Owner",
        "gary@quickstatus.example.org",
        true,
        SignatoryStatus::Rejected,
    ),
];

/// Adds the demo signatories (nothing if there are some already); the number added.
pub async fn seed(state: &AppState) -> anyhow::Result<u64> {
    if signatory::Entity::find().count(&state.db).await? > 0 {
        return Ok(0);
    }
    let txn = db::begin_write(&state.db).await?;
    let edition = current_edition(&txn).await?;
    let indicators = principle_indicator::Entity::find()
        .filter(principle_indicator::Column::RetiredIn.is_null())
        .all(&txn)
        .await?;
    let partners = partner::Entity::find().all(&txn).await?;
    let mut added = 0;
    for (n, organisation) in partners.iter().take(3).enumerate() {
        let row = signatory::ActiveModel {
            partner_id: Set(Some(organisation.id)),
            organisation_name: Set(organisation.name.clone()),
            name_key: Set(organisation.name_key.clone()),
            website: Set(organisation.website.clone()),
            town: Set(organisation.town.clone()),
            region_id: Set(organisation.region_id),
            signatory_name: Set("Demo member".to_owned()),
            signatory_role: Set("Coordinator".to_owned()),
            email: Set(format!("signatory{n}@partners.example.org")),
            list_publicly: Set(n != 2),
            status: Set(SignatoryStatus::Approved),
            ..base(state, edition)
        };
        assess_twice(&txn, state, insert(&txn, row).await?, &indicators, n).await?;
        added += 1;
    }
    for (n, (name, town, region, person, role, email, listed, status)) in
        OUTSIDE.into_iter().enumerate()
    {
        let region_id = match region {
            Some(slug) => state.regions.iter().find(|r| r.slug == slug).map(|r| r.id),
            None => None,
        };
        let row = signatory::ActiveModel {
            organisation_name: Set(name.to_owned()),
            name_key: Set(name_key(name)),
            town: Set(Some(town.to_owned())),
            region_id: Set(region_id),
            signatory_name: Set(person.to_owned()),
            signatory_role: Set(role.to_owned()),
            email: Set(email.to_owned()),
            list_publicly: Set(listed),
            status: Set(status),
            rejection_reason: Set((status == SignatoryStatus::Rejected).then(|| {
                "The principles are for organisations supporting people without charge.".to_owned()
            })),
            ..base(state, edition)
        };
        let id = insert(&txn, row).await?;
        if status == SignatoryStatus::Approved {
            assess_twice(&txn, state, id, &indicators, n + 3).await?;
        }
        added += 1;
    }
    txn.commit().await?;
    Ok(added)
}

fn base(state: &AppState, edition: i32) -> signatory::ActiveModel {
    let signed = state.now() - Duration::days(800);
    signatory::ActiveModel {
        edition: Set(edition),
        token_hash: Set(tokens::digest(&tokens::new_opaque_token())),
        manage_salt: Set(tokens::new_opaque_token()),
        signed_at: Set(signed),
        confirmed_at: Set(Some(signed)),
        decided_at: Set(Some(signed + Duration::days(2))),
        reassess_due_at: Set(Some(state.now() + reassess_after() - Duration::days(30))),
        ..Default::default()
    }
}

async fn insert(conn: &impl ConnectionTrait, row: signatory::ActiveModel) -> anyhow::Result<i64> {
    Ok(signatory::Entity::insert(row)
        .exec(conn)
        .await?
        .last_insert_id)
}

/// Two submitted assessments a year apart; most indicators move up a level in between.
async fn assess_twice(
    conn: &impl ConnectionTrait,
    state: &AppState,
    signatory_id: i64,
    indicators: &[principle_indicator::Model],
    seed: usize,
) -> anyhow::Result<()> {
    const LEVELS: [PracticeLevel; 4] = [
        PracticeLevel::NotStarted,
        PracticeLevel::Planning,
        PracticeLevel::Doing,
        PracticeLevel::Embedded,
    ];
    for year in 0..2usize {
        let submitted = state.now() - Duration::days(30 + 365 * (1 - year as i64));
        let id = assessment::Entity::insert(assessment::ActiveModel {
            signatory_id: Set(signatory_id),
            edition: Set(1),
            started_at: Set(submitted - Duration::days(14)),
            submitted_at: Set(Some(submitted)),
            ..Default::default()
        })
        .exec(conn)
        .await?
        .last_insert_id;
        let answers = indicators.iter().enumerate().map(|(i, indicator)| {
            let start = (seed + i) % 3;
            let moved = year == 1 && !(seed + i).is_multiple_of(4);
            assessment_answer::ActiveModel {
                assessment_id: Set(id),
                indicator_id: Set(indicator.id),
                level: Set(LEVELS[(start + usize::from(moved)).min(3)]),
                note: Set(None),
                evidence_url: Set(None),
            }
        });
        assessment_answer::Entity::insert_many(answers)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}
