//! Milestones: what a petition has reached, worked out from the latest copy alone (so a missed
//! poll or a restart loses nothing) and recorded once by a unique index (so no instance, restart
//! or dip and rise of the count records one twice). A milestone first seen by a poll is pushed
//! live and drafted as a policy update for staff to edit and publish; those already passed when
//! tracking began are only recorded.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entities::{
    enums::{Audience, MilestoneKind, PetitionState, UpdateKind},
    petition, petition_milestone,
};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TryInsertResult};

use crate::{graphql::error::ApiResult, policy_updates};

/// The unique index that keeps each milestone to one row.
const ONCE: [petition_milestone::Column; 3] = [
    petition_milestone::Column::PetitionId,
    petition_milestone::Column::Kind,
    petition_milestone::Column::Count,
];

/// A milestone a petition's copy shows it has reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reached {
    pub kind: MilestoneKind,
    /// The count for count milestones; 0 otherwise.
    pub count: i64,
    pub at: DateTime<Utc>,
}

/// Everything `row` shows it has reached, dated by the site where it gives a time and `now`
/// otherwise.
pub fn reached(row: &petition::Model, watched: &BTreeSet<i64>, now: DateTime<Utc>) -> Vec<Reached> {
    let count = row.signature_count;
    let mut reached: Vec<Reached> = watched
        .iter()
        .filter(|watched| count >= **watched)
        .map(|watched| Reached {
            kind: MilestoneKind::WatchedCount,
            count: *watched,
            at: now,
        })
        .collect();
    let mut add = |kind, count, happened: bool, at: Option<DateTime<Utc>>| {
        if happened {
            reached.push(Reached {
                kind,
                count,
                at: at.unwrap_or(now),
            });
        }
    };
    add(
        MilestoneKind::ResponseThreshold,
        row.response_threshold,
        count >= row.response_threshold || row.response_threshold_reached_at.is_some(),
        row.response_threshold_reached_at,
    );
    add(
        MilestoneKind::DebateThreshold,
        row.debate_threshold,
        count >= row.debate_threshold || row.debate_threshold_reached_at.is_some(),
        row.debate_threshold_reached_at,
    );
    add(
        MilestoneKind::GovernmentResponse,
        0,
        row.government_response_at.is_some() || row.responded_on.is_some(),
        row.government_response_at
            .or(row.responded_on.map(midnight)),
    );
    add(
        MilestoneKind::DebateScheduled,
        0,
        row.scheduled_debate_date.is_some(),
        None,
    );
    add(
        MilestoneKind::Debated,
        0,
        row.debated || row.debated_on.is_some(),
        row.debate_outcome_at.or(row.debated_on.map(midnight)),
    );
    add(
        MilestoneKind::Closed,
        0,
        row.state == PetitionState::Closed,
        row.closed_at,
    );
    add(
        MilestoneKind::ClosedEarlyByElection,
        0,
        closed_early_by_election(row),
        row.closed_at,
    );
    add(
        MilestoneKind::Removed,
        0,
        row.state == PetitionState::Removed,
        None,
    );
    reached
}

/// The start of a day the site gives only as a date.
fn midnight(day: chrono::NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// Closed at the very instant its Parliament was dissolved (both read as instants, whatever
/// offset the site wrote them with).
pub fn closed_early_by_election(row: &petition::Model) -> bool {
    row.state == PetitionState::Closed
        && row
            .closed_at
            .zip(row.dissolution_at)
            .is_some_and(|(closed, dissolved)| closed == dissolved)
}

/// Records what a petition had already reached when tracking began (or when new counts were
/// added to watch), without announcing it.
pub async fn record_passed(
    conn: &impl ConnectionTrait,
    row: &petition::Model,
    watched: &BTreeSet<i64>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let all_watched = watched_of(conn, &[row.id]).await?;
    let watched: BTreeSet<i64> = all_watched
        .get(&row.id)
        .into_iter()
        .flatten()
        .chain(watched)
        .copied()
        .collect();
    let rows = reached(row, &watched, now)
        .into_iter()
        .map(|reached| new_milestone(row.id, reached, now, false));
    petition_milestone::Entity::insert_many(rows)
        .on_conflict_do_nothing_on(ONCE)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Records what polls found, in one statement, and returns only the milestones recorded just
/// now (a unique index turns every one seen before into nothing). Each new one gets a DRAFT
/// policy update linked to the petition's campaigns.
pub async fn record_new(
    conn: &impl ConnectionTrait,
    rows: &[&petition::Model],
    site: &url::Url,
    now: DateTime<Utc>,
) -> ApiResult<Vec<petition_milestone::Model>> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let watched = watched_of(conn, &ids).await?;
    let none = BTreeSet::new();
    let candidates: Vec<petition_milestone::ActiveModel> = rows
        .iter()
        .flat_map(|row| {
            reached(row, watched.get(&row.id).unwrap_or(&none), now)
                .into_iter()
                .map(|reached| new_milestone(row.id, reached, now, true))
        })
        .collect();
    let inserted = petition_milestone::Entity::insert_many(candidates)
        .on_conflict_do_nothing_on(ONCE)
        .exec_with_returning_many(conn)
        .await?;
    let TryInsertResult::Inserted(new) = inserted else {
        return Ok(Vec::new());
    };
    let campaigns = campaigns_of(conn, &ids).await?;
    let by_id: HashMap<i64, &petition::Model> = rows.iter().map(|row| (row.id, *row)).collect();
    for milestone in &new {
        if let Some(petition) = by_id.get(&milestone.petition_id) {
            let campaign_ids = campaigns.get(&petition.id).cloned().unwrap_or_default();
            draft_update(conn, petition, milestone, campaign_ids, site, now).await?;
        }
    }
    Ok(new)
}

fn new_milestone(
    petition_id: i64,
    reached: Reached,
    now: DateTime<Utc>,
    announced: bool,
) -> petition_milestone::ActiveModel {
    petition_milestone::ActiveModel {
        petition_id: Set(petition_id),
        kind: Set(reached.kind),
        count: Set(reached.count),
        reached_at: Set(reached.at),
        seen_at: Set(now),
        announced: Set(announced),
        ..Default::default()
    }
}

/// The counts staff watch on each petition, in one query.
pub async fn watched_of(
    conn: &impl ConnectionTrait,
    petition_ids: &[i64],
) -> ApiResult<HashMap<i64, BTreeSet<i64>>> {
    use entities::petition_watch::{Column, Entity};
    grouped::<Entity>(conn, Column::PetitionId, Column::Count, petition_ids).await
}

async fn campaigns_of(
    conn: &impl ConnectionTrait,
    petition_ids: &[i64],
) -> ApiResult<HashMap<i64, BTreeSet<i64>>> {
    use entities::petition_campaign::{Column, Entity};
    grouped::<Entity>(conn, Column::PetitionId, Column::CampaignId, petition_ids).await
}

/// The `child` values of each of `petition_ids` in a link table, in one query.
async fn grouped<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    parent: E::Column,
    child: E::Column,
    petition_ids: &[i64],
) -> ApiResult<HashMap<i64, BTreeSet<i64>>> {
    use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
    let pairs: Vec<(i64, i64)> = E::find()
        .select_only()
        .column(parent)
        .column(child)
        .filter(parent.is_in(petition_ids.iter().copied()))
        .into_tuple()
        .all(conn)
        .await?;
    let mut grouped: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for (parent, child) in pairs {
        grouped.entry(parent).or_default().insert(child);
    }
    Ok(grouped)
}

/// What a milestone means, in words for the draft.
pub fn describe(kind: MilestoneKind, count: i64) -> String {
    match kind {
        MilestoneKind::WatchedCount => format!("passed {} signatures", thousands(count)),
        MilestoneKind::ResponseThreshold => format!(
            "passed {} signatures: the government will respond",
            thousands(count)
        ),
        MilestoneKind::DebateThreshold => format!(
            "passed {} signatures: Parliament will consider it for a debate",
            thousands(count)
        ),
        MilestoneKind::GovernmentResponse => "has a government response".to_owned(),
        MilestoneKind::DebateScheduled => "has a debate scheduled in Parliament".to_owned(),
        MilestoneKind::Debated => "was debated in Parliament".to_owned(),
        MilestoneKind::Closed => "has closed".to_owned(),
        MilestoneKind::ClosedEarlyByElection => {
            "closed early because Parliament was dissolved for a general election".to_owned()
        }
        MilestoneKind::Removed => "was removed from the petitions site".to_owned(),
    }
}

/// 10000 → "10,000".
pub fn thousands(count: i64) -> String {
    let digits = count.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if count < 0 {
        format!("-{grouped}")
    } else {
        grouped
    }
}

async fn draft_update(
    conn: &impl ConnectionTrait,
    petition: &petition::Model,
    milestone: &petition_milestone::Model,
    campaign_ids: BTreeSet<i64>,
    site: &url::Url,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let what = describe(milestone.kind, milestone.count);
    let action: String = petition.action.chars().take(120).collect();
    // The petition's words come from the site: escaped, they read as plain text in Markdown.
    let quoted: String = action
        .chars()
        .flat_map(|c| {
            let escape = c.is_ascii_punctuation().then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect();
    let title: String = format!("Petition {what}: {action}")
        .chars()
        .take(policy_updates::MAX_TITLE_LEN)
        .collect();
    let summary: String = format!(
        "The petition \"{action}\" {what}. It has {} signatures.",
        thousands(petition.signature_count)
    )
    .chars()
    .take(policy_updates::MAX_SUMMARY_LEN)
    .collect();
    let page = super::address::PetitionAddress {
        external_id: petition.external_id,
        archived: petition.archived,
    }
    .page_url(site);
    let body = format!(
        "The petition \"{quoted}\" {what}. It has {} signatures.\n\n[Read and sign the petition]({page})\n\nDrafted by the petition tracker when it \
         saw this milestone: edit it before publishing.",
        thousands(petition.signature_count)
    );
    let body_html = policy_updates::render_markdown("body", &body)?;
    let new = policy_updates::NewUpdate {
        title,
        summary,
        body,
        kind: UpdateKind::CampaignAction,
        region_id: petition.region_id,
        audience: Audience::Public,
        topics: BTreeSet::new(),
        campaign_ids,
    };
    policy_updates::insert_draft(conn, petition.created_by, now, new, body_html).await?;
    Ok(())
}
