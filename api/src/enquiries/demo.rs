//! Demonstration partnership enquiries: two waiting for staff (one in a region, one for the
//! national team) and one declined, with the reason the contact was given.

use entities::{
    enums::{EnquiryStatus, PartnerKind},
    partnership_enquiry as enquiry,
};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};

use crate::{auth::tokens, state::AppState};

struct DemoEnquiry {
    organisation: &'static str,
    kind: PartnerKind,
    town: &'static str,
    region_id: Option<i64>,
    contact: (&'static str, &'static str),
    message: &'static str,
    declined_because: Option<&'static str>,
}

/// Adds the demo enquiries (nothing if there are some already); the number added.
pub async fn seed(state: &AppState, north_west: i64) -> anyhow::Result<u64> {
    if enquiry::Entity::find().count(&state.db).await? > 0 {
        return Ok(0);
    }
    let enquiries = [
        DemoEnquiry {
            organisation: "Levenshulme Sanctuary Choir",
            kind: PartnerKind::SanctuaryGroup,
            town: "Manchester",
            region_id: Some(north_west),
            contact: ("Maryam Haidari", "maryam@sanctuarychoir.example.org"),
            message: "We sing with people in the local hotel every week and would like to join \
                      your joint actions on asylum support.",
            declined_because: None,
        },
        DemoEnquiry {
            organisation: "Inverness Welcome Project",
            kind: PartnerKind::CommunityGroup,
            town: "Inverness",
            region_id: None,
            contact: ("Ewan Fraser", "ewan@invernesswelcome.example.org"),
            message: "We are new and outside your regions; could we take part in your campaigns?",
            declined_because: None,
        },
        DemoEnquiry {
            organisation: "Swift Visa Advisers",
            kind: PartnerKind::Other,
            town: "Salford",
            region_id: Some(north_west),
            contact: ("Tom Swift", "tom@swiftvisa.example.org"),
            message: "We offer paid immigration advice and would like to be listed as a partner.",
            declined_because: Some(
                "Our network is of organisations that support people without charge; we point \
                 people to free advice only.",
            ),
        },
    ];
    let now = state.now();
    let mut added = 0;
    for demo in enquiries {
        enquiry::Entity::insert(enquiry::ActiveModel {
            organisation_name: Set(demo.organisation.to_owned()),
            name_key: Set(crate::input::name_key(demo.organisation)),
            kind: Set(demo.kind),
            town: Set(Some(demo.town.to_owned())),
            region_id: Set(demo.region_id),
            description: Set(String::new()),
            contact_name: Set(demo.contact.0.to_owned()),
            contact_email: Set(demo.contact.1.to_owned()),
            message: Set(demo.message.to_owned()),
            status: Set(match demo.declined_because {
                Some(_) => EnquiryStatus::Declined,
                None => EnquiryStatus::Open,
            }),
            token_hash: Set(tokens::digest(&tokens::new_opaque_token())),
            created_at: Set(now),
            confirmed_at: Set(Some(now)),
            decided_at: Set(demo.declined_because.map(|_| now)),
            decision_reason: Set(demo.declined_because.map(str::to_owned)),
            ..Default::default()
        })
        .exec_without_returning(&state.db)
        .await?;
        added += 1;
    }
    Ok(added)
}
