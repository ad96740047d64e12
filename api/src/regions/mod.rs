//! The six nations and regions with staff (seeded by migration; not edited through the API).

pub mod graphql;

use entities::region;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::graphql::error::{ApiError, ApiResult};

pub async fn all(db: &impl ConnectionTrait) -> ApiResult<Vec<region::Model>> {
    Ok(region::Entity::find()
        .order_by_asc(region::Column::Position)
        .all(db)
        .await?)
}

pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> ApiResult<region::Model> {
    region::Entity::find()
        .filter(region::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or(ApiError::NotFound("region"))
}

/// The region a client named, or BAD_USER_INPUT on `field` when there is none.
pub async fn existing(db: &impl ConnectionTrait, field: &str, id: i64) -> ApiResult<region::Model> {
    region::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ApiError::bad_input(field, "no region has this id"))
}
