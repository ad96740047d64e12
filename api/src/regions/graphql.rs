use async_graphql::{Context, ID, Object};
use entities::region;

use crate::{
    accounts::graphql::User,
    graphql::{
        context::ContextExt,
        error::{ApiError, ApiResult},
        pagination::Page,
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
            .loaders()
            .staff_by_region
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(staff.into_iter().map(User::from).collect())
    }

    /// Partner organisations in this region that the viewer may see.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
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

/// A region's data for a resolver that holds only its id.
pub async fn region_by_id(ctx: &Context<'_>, id: Option<i64>) -> ApiResult<Option<Region>> {
    match id {
        Some(id) => Ok(ctx.loaders().regions.get(id).map(Region)),
        None => Ok(None),
    }
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
                ctx.loaders()
                    .regions
                    .get(id)
                    .ok_or(ApiError::NotFound("region"))?
            }
            (None, Some(slug)) => crate::regions::by_slug(db, &slug).await?,
            _ => return Err(ApiError::bad_input("id", "give either id or slug")),
        };
        Ok(Region(region))
    }
}
