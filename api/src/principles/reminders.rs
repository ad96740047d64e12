//! The yearly invitation to reassess: a year after a signatory is approved, or after its last
//! submitted assessment, it is emailed (through the outbox) a link to assess its practice
//! again; while it does not, the invitation comes back each year.

use chrono::{DateTime, Utc};
use entities::{enums::SignatoryStatus, signatory};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::Expr,
};

use super::{manage_link, reassess_after};
use crate::{db, graphql::error::ApiResult, mailing::outbox, state::AppState};

/// Invitations sent in one round; the rest follow in the next.
const ROUND: u64 = 200;

/// Invites every signatory that is due; the time the next one falls due.
pub async fn invite_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let now = state.now();
    let due = signatory::Entity::find()
        .filter(signatory::Column::Status.eq(SignatoryStatus::Approved))
        .filter(signatory::Column::ReassessDueAt.lte(now))
        .order_by_asc(signatory::Column::ReassessDueAt)
        .limit(ROUND)
        .all(&state.db)
        .await?;
    let mut invited = 0;
    for row in due {
        let txn = db::begin_write(&state.db).await?;
        if claim(&txn, &row, now).await? {
            let letter = format!(
                "A year has passed since {} last looked at its practice against the Asylum \
                 Early Action principles. Assessing it again shows you, and the sector, what \
                 has changed:\n{}\n",
                row.organisation_name,
                manage_link(state, &row)
            );
            outbox::enqueue_written_kind(
                &txn,
                &row.email,
                "Time to assess your practice against the Early Action principles again",
                letter,
                now,
            )
            .await?;
            invited += 1;
        }
        txn.commit().await?;
    }
    if invited > 0 {
        state.mail_queued().await;
    }
    let next: Option<DateTime<Utc>> = signatory::Entity::find()
        .select_only()
        .column_as(signatory::Column::ReassessDueAt.min(), "at")
        .filter(signatory::Column::Status.eq(SignatoryStatus::Approved))
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    Ok(next)
}

/// Moves the next invitation a year on, if no other instance has; true when this one sends it.
async fn claim(
    conn: &impl ConnectionTrait,
    row: &signatory::Model,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let moved = signatory::Entity::update_many()
        .col_expr(
            signatory::Column::ReassessDueAt,
            Expr::value(now + reassess_after()),
        )
        .filter(signatory::Column::Id.eq(row.id))
        .filter(signatory::Column::Status.eq(SignatoryStatus::Approved))
        .filter(signatory::Column::ReassessDueAt.lte(now))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(moved == 1)
}
