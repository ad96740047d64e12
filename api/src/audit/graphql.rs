use async_graphql::{Context, ID, Json, Object};
use chrono::{DateTime, Utc};
use entities::audit_entry;
use sea_orm::{EntityTrait, QuerySelect};

use crate::{
    accounts::graphql::{User, user_by_id},
    graphql::{
        context::ContextExt,
        error::{ApiError, ApiResult},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page},
    },
};

/// One recorded change.
pub struct AuditEntry(audit_entry::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Who made the change (null if the account was removed).
    async fn actor(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, self.0.actor_id).await
    }

    /// What was done, such as `partner.update`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    async fn target_type(&self) -> &str {
        &self.0.target_type
    }

    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.clone().map(ID)
    }

    /// Details of the change, such as the fields that changed.
    async fn detail(&self) -> Option<Json<serde_json::Value>> {
        self.0
            .detail
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .map(Json)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every change made by a signed-in person, and every export of subscribers, newest first.
    /// Admins only.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<AuditEntry>> {
        if !ctx.actor()?.is_admin() {
            return Err(ApiError::Forbidden("only admins can read the audit log"));
        }
        let args = PageArgs::<i64>::parse(first, after)?;
        let db = &ctx.state().db;
        let query = audit_entry::Entity::find();
        let total = Total::of(db, query.clone());
        let rows = newest_first(query, audit_entry::Column::Id, args.after)
            .limit(args.limit())
            .all(db)
            .await?;
        Ok(page(rows, &args, total, |row| row.id, AuditEntry))
    }
}
