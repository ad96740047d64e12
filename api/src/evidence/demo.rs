//! Demonstration observations: a year of them from the demo partners' members and the staff,
//! so the report has something to show (and something to withhold).

use chrono::{Datelike, Months, NaiveDate};
use entities::observation;
use sea_orm::{EntityTrait, PaginatorTrait};

use super::{NewObservation, record};
use crate::{auth::Actor, state::AppState};

/// What the demo observations say: topic, goal slug, and what happened to the people counted.
const SEEN: [(&str, &str, &str); 4] = [
    (
        "emergency accommodation",
        "end-destitution",
        "were refused emergency accommodation while waiting for a decision",
    ),
    (
        "asylum support",
        "end-destitution",
        "had their asylum support stopped with less than a week's notice",
    ),
    (
        "waiting times",
        "better-decisions",
        "had waited more than a year for a first decision",
    ),
    (
        "legal advice",
        "legal-advice",
        "could not find a legal aid solicitor for their appeal",
    ),
];

/// Adds a year of monthly observations for each recorder (nothing if there are some already);
/// the number added.
pub async fn seed(state: &AppState, recorders: &[(Actor, Option<i64>)]) -> anyhow::Result<u64> {
    if observation::Entity::find().count(&state.db).await? > 0 {
        return Ok(0);
    }
    let goals = crate::campaigns::goals(&state.db)
        .await
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    let today = state.now().date_naive();
    let mut added = 0;
    for (who, (actor, region)) in recorders.iter().enumerate() {
        for months_ago in 1..=12u32 {
            let (topic, goal, happened) = SEEN[(who + months_ago as usize) % SEEN.len()];
            let Some(goal) = goals.iter().find(|row| row.slug == goal) else {
                continue;
            };
            let start = month_start(today, months_ago);
            let people = 3 + ((who * 7 + months_ago as usize * 5) % 30);
            let new = NewObservation {
                goal_ids: [goal.id].into(),
                topic: crate::policy_updates::normalise_topic(topic).unwrap_or_default(),
                region_id: *region,
                period_start: start,
                period_end: month_start(today, months_ago - 1)
                    .pred_opt()
                    .unwrap_or(start),
                people_affected: i32::try_from(people).unwrap_or(3),
                summary: format!(
                    "{people} people we support {happened} in {}.",
                    start.format("%B %Y")
                ),
            };
            record(state, actor, *region, new)
                .await
                .map_err(|error| anyhow::anyhow!("seeding observations: {error}"))?;
            added += 1;
        }
    }
    Ok(added)
}

/// The first day of the month `months_ago` months before `today`'s.
fn month_start(today: NaiveDate, months_ago: u32) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    first
        .checked_sub_months(Months::new(months_ago))
        .unwrap_or(first)
}
