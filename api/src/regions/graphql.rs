use std::collections::HashMap;

use async_graphql::{Context, ID, Object};
use entities::region;

use crate::{
    accounts::graphql::{AccountLoaders, User},
    graphql::{
        context::ContextExt,
        error::{ApiError, ApiResult},
        pagination::{Page, connection_cost},
    },
    input,
    partners::graphql::{Partner, PartnerFilter},
};

pub struct Region(pub region::Model);

#[Object]
impl Region {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// A stable name for links and filters, such as `west-midlands`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// The city the region's staff work from.
    async fn office_city(&self) -> &str {
        &self.0.office_city
    }

    /// The charity's staff in this region. Signed-in users only.
    async fn staff(&self, ctx: &Context<'_>) -> ApiResult<Vec<User>> {
        ctx.actor()?;
        let staff = ctx
            .loader::<AccountLoaders>()
            .staff_by_region
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        let viewer = ctx.viewer();
        Ok(staff
            .into_iter()
            .filter_map(|row| User::shown(viewer, row, None))
            .collect())
    }

    /// Partner organisations in this region that the viewer may see.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Partner>> {
        let filter = PartnerFilter::in_region(self.0.id);
        crate::partners::graphql::list(ctx, filter, first, after).await
    }
}

/// The regions, by id, kept in memory (see `AppState::regions`).
pub struct RegionDirectory(HashMap<i64, region::Model>);

impl RegionDirectory {
    pub fn new(regions: &[region::Model]) -> Self {
        Self(regions.iter().map(|r| (r.id, r.clone())).collect())
    }

    pub fn get(&self, id: i64) -> Option<Region> {
        self.0.get(&id).cloned().map(Region)
    }
}

/// A region for a resolver that holds only its id.
pub fn region_by_id(ctx: &Context<'_>, id: Option<i64>) -> Option<Region> {
    id.and_then(|id| ctx.loader::<RegionDirectory>().get(id))
}

#[derive(Default)]
pub struct RegionQuery;

#[Object]
impl RegionQuery {
    /// The six nations and regions where the charity has staff.
    async fn regions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Region>> {
        Ok(ctx.state().regions.iter().cloned().map(Region).collect())
    }

    /// One region, by id or by slug.
    async fn region(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        slug: Option<String>,
    ) -> ApiResult<Region> {
        let db = &ctx.state().db;
        let region = match (id, slug) {
            (Some(id), None) => {
                let id = input::id("id", &id)?;
                return region_by_id(ctx, Some(id)).ok_or(ApiError::NotFound("region"));
            }
            (None, Some(slug)) => crate::regions::by_slug(db, &slug).await?,
            _ => return Err(ApiError::bad_input("id", "give either id or slug")),
        };
        Ok(Region(region))
    }
}
