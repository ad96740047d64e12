use std::collections::BTreeSet;

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entities::{
    enums::{self, SubscriberStatus},
    subscriber, subscriber_campaign, subscriber_topic,
};
use sea_orm::{
    ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
};

use super::Interests;
use crate::{
    campaigns::graphql::{Campaign, campaign_by_id},
    graphql::{
        context::ContextExt,
        error::{ApiError, ApiResult},
    },
    input::{self, EmailAddress},
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::Frequency")]
pub enum Frequency {
    /// Each update as it is published.
    Immediate,
    /// One email a day gathering the day's updates.
    Daily,
    /// One email a week.
    Weekly,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::SubscriberStatus")]
pub enum MailingStatus {
    /// Waiting for the emailed link to be followed.
    Pending,
    Confirmed,
    Unsubscribed,
}

const MAX_NAME_LEN: usize = 200;
const MAX_TOPICS: usize = 20;
const MAX_CAMPAIGNS: usize = 20;

#[derive(InputObject)]
pub struct SubscribeInput {
    pub email: String,
    pub name: Option<String>,
    /// The region whose updates to receive (national ones come to everyone).
    pub region_id: Option<ID>,
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    #[graphql(default)]
    pub topics: Vec<String>,
    #[graphql(default_with = "Frequency::Immediate")]
    pub frequency: Frequency,
}

/// New preferences; they replace the old ones whole.
#[derive(InputObject)]
pub struct SubscriptionPreferencesInput {
    pub name: Option<String>,
    pub region_id: Option<ID>,
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    #[graphql(default)]
    pub topics: Vec<String>,
    pub frequency: Frequency,
}

async fn interests(
    ctx: &Context<'_>,
    name: Option<&str>,
    region_id: Option<&ID>,
    campaign_ids: &[ID],
    topics: &[String],
    frequency: Frequency,
) -> ApiResult<Interests> {
    let region_id = input::optional_id("regionId", region_id)?;
    if let Some(region_id) = region_id {
        crate::regions::existing(&ctx.state().db, "regionId", region_id).await?;
    }
    if campaign_ids.len() > MAX_CAMPAIGNS {
        return Err(ApiError::bad_input(
            "campaignIds",
            format!("at most {MAX_CAMPAIGNS}"),
        ));
    }
    let campaign_ids: BTreeSet<i64> = campaign_ids
        .iter()
        .map(|id| input::id("campaignIds", id))
        .collect::<ApiResult<_>>()?;
    let known = entities::campaign::Entity::find()
        .filter(entities::campaign::Column::Id.is_in(campaign_ids.iter().copied()))
        .filter(entities::campaign::Column::Status.ne(enums::CampaignStatus::Draft))
        .count(&ctx.state().db)
        .await?;
    if known != campaign_ids.len() as u64 {
        return Err(ApiError::bad_input(
            "campaignIds",
            "names an unknown campaign",
        ));
    }
    if topics.len() > MAX_TOPICS {
        return Err(ApiError::bad_input(
            "topics",
            format!("at most {MAX_TOPICS}"),
        ));
    }
    let topics = topics
        .iter()
        .map(|topic| {
            crate::policy_updates::normalise_topic(topic)
                .filter(|topic| topic.chars().count() <= crate::policy_updates::MAX_TOPIC_LEN)
                .ok_or_else(|| ApiError::bad_input("topics", "each topic needs a letter or digit"))
        })
        .collect::<ApiResult<_>>()?;
    Ok(Interests {
        name: input::optional_single_line("name", name, MAX_NAME_LEN)?,
        region_id,
        campaign_ids,
        topics,
        frequency: frequency.into(),
    })
}

/// The same answer for every address: whether it was known is not told.
#[derive(SimpleObject)]
pub struct SubscribeAnswer {
    pub message: String,
}

/// A mailing-list subscription, as its holder sees it.
pub struct MailingSubscription(pub subscriber::Model);

#[Object]
impl MailingSubscription {
    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn name(&self) -> Option<&str> {
        self.0.name.as_deref()
    }

    async fn status(&self) -> MailingStatus {
        self.0.status.into()
    }

    async fn frequency(&self) -> Frequency {
        self.0.frequency.into()
    }

    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.0.region_id)
    }

    async fn topics(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(super::interests_of(&ctx.state().db, self.0.id).await?.1)
    }

    async fn consent_at(&self) -> Option<DateTime<Utc>> {
        self.0.consent_at
    }
}

#[derive(SimpleObject)]
pub struct RegionSubscriberCount {
    /// Null: subscribers who chose no region.
    pub region: Option<Region>,
    pub count: u64,
}

#[derive(SimpleObject)]
pub struct TopicSubscriberCount {
    pub topic: String,
    pub count: u64,
}

pub struct CampaignSubscriberCount {
    campaign_id: i64,
    count: u64,
}

#[Object]
impl CampaignSubscriberCount {
    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Option<Campaign>> {
        campaign_by_id(ctx, self.campaign_id).await
    }

    async fn count(&self) -> u64 {
        self.count
    }
}

/// Confirmed subscribers, counted (no addresses).
#[derive(SimpleObject)]
pub struct SubscriberCounts {
    pub total: u64,
    pub by_region: Vec<RegionSubscriberCount>,
    pub by_topic: Vec<TopicSubscriberCount>,
    /// Followers of each campaign.
    pub by_campaign: Vec<CampaignSubscriberCount>,
}

#[derive(Default)]
pub struct MailingQuery;

#[Object]
impl MailingQuery {
    /// Staff and admins: how many confirmed subscribers there are, by region, topic and
    /// campaign followed.
    async fn subscriber_counts(&self, ctx: &Context<'_>) -> ApiResult<SubscriberCounts> {
        let actor = ctx.actor()?;
        if !super::can_see_counts(actor) {
            return Err(ApiError::Forbidden("subscriber counts are for staff"));
        }
        let db = &ctx.state().db;
        let by_region: Vec<(Option<i64>, i64)> = subscriber::Entity::find()
            .select_only()
            .column(subscriber::Column::RegionId)
            .column_as(Expr::col(subscriber::Column::Id).count(), "count")
            .filter(subscriber::Column::Status.eq(SubscriberStatus::Confirmed))
            .group_by(subscriber::Column::RegionId)
            .order_by_asc(subscriber::Column::RegionId)
            .into_tuple()
            .all(db)
            .await?;
        let by_topic: Vec<(String, i64)> = confirmed_counts::<subscriber_topic::Entity, _>(
            db,
            subscriber_topic::Column::Topic,
            subscriber_topic::Column::SubscriberId,
        )
        .await?;
        let by_campaign: Vec<(i64, i64)> = confirmed_counts::<subscriber_campaign::Entity, _>(
            db,
            subscriber_campaign::Column::CampaignId,
            subscriber_campaign::Column::SubscriberId,
        )
        .await?;
        let count = |n: i64| u64::try_from(n).unwrap_or_default();
        Ok(SubscriberCounts {
            total: by_region.iter().map(|(_, n)| count(*n)).sum(),
            by_region: by_region
                .into_iter()
                .map(|(region, n)| RegionSubscriberCount {
                    region: region_by_id(ctx, region),
                    count: count(n),
                })
                .collect(),
            by_topic: by_topic
                .into_iter()
                .map(|(topic, n)| TopicSubscriberCount {
                    topic,
                    count: count(n),
                })
                .collect(),
            by_campaign: by_campaign
                .into_iter()
                .map(|(campaign_id, n)| CampaignSubscriberCount {
                    campaign_id,
                    count: count(n),
                })
                .collect(),
        })
    }
}

/// Confirmed subscribers counted by an interest (`group`) of the interest table `E`.
async fn confirmed_counts<E, V>(
    db: &sea_orm::DatabaseConnection,
    group: E::Column,
    subscriber_id: E::Column,
) -> ApiResult<Vec<(V, i64)>>
where
    E: EntityTrait,
    (V, i64): sea_orm::TryGetableMany,
{
    Ok(E::find()
        .select_only()
        .column(group)
        .column_as(Expr::col(subscriber_id).count(), "count")
        .filter(subscriber_id.in_subquery(confirmed_ids()))
        .group_by(group)
        .order_by_asc(group)
        .into_tuple()
        .all(db)
        .await?)
}

fn confirmed_ids() -> SelectStatement {
    Query::select()
        .column(subscriber::Column::Id)
        .from(subscriber::Entity)
        .and_where(subscriber::Column::Status.eq(SubscriberStatus::Confirmed))
        .to_owned()
}

/// A region's confirmed subscribers, as CSV text to save as a file.
#[derive(SimpleObject)]
pub struct SubscriberExport {
    /// A name for the file, e.g. `subscribers-north-west-2026-12-01.csv` (`no-region` for
    /// those who chose none).
    pub filename: String,
    /// UTF-8 CSV with a header row: email, name, region, frequency, topics, campaigns,
    /// subscribed_at, consent_at, consent_source. Lists inside a cell are separated by "; ".
    pub csv: String,
    /// How many subscribers it lists.
    pub row_count: u64,
}

#[derive(Default)]
pub struct MailingMutation;

#[Object]
impl MailingMutation {
    /// Admins and the region's staff: the region's confirmed subscribers as CSV (without a
    /// region: those who chose none, for admins). Recorded in the audit log.
    async fn export_subscribers_csv(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
    ) -> ApiResult<SubscriberExport> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let export = super::export::region_subscribers(ctx.state(), actor, region_id).await?;
        Ok(SubscriberExport {
            filename: export.filename,
            csv: export.csv,
            row_count: export.rows as u64,
        })
    }

    /// Joins the mailing list. A confirmation email is sent; nothing else until it is
    /// confirmed. The answer is the same whether or not the address was known.
    async fn subscribe(
        &self,
        ctx: &Context<'_>,
        input: SubscribeInput,
    ) -> ApiResult<SubscribeAnswer> {
        let email = EmailAddress::parse("email", &input.email)?;
        let interests = interests(
            ctx,
            input.name.as_deref(),
            input.region_id.as_ref(),
            &input.campaign_ids,
            &input.topics,
            input.frequency,
        )
        .await?;
        super::subscribe(ctx.state(), email, interests).await?;
        Ok(SubscribeAnswer {
            message:
                "Thank you. Check your inbox: we have sent a link to confirm your subscription."
                    .to_owned(),
        })
    }

    /// Confirms with the token from the confirmation email.
    async fn confirm_subscription(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<MailingSubscription> {
        Ok(MailingSubscription(
            super::confirm(ctx.state(), &token, "api").await?,
        ))
    }

    /// Stops every email to the subscriber, queued ones included.
    async fn unsubscribe(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<MailingSubscription> {
        Ok(MailingSubscription(
            super::unsubscribe(ctx.state(), &token).await?,
        ))
    }

    /// Replaces the subscriber's interests, region and frequency.
    async fn update_subscription(
        &self,
        ctx: &Context<'_>,
        token: String,
        input: SubscriptionPreferencesInput,
    ) -> ApiResult<MailingSubscription> {
        let interests = interests(
            ctx,
            input.name.as_deref(),
            input.region_id.as_ref(),
            &input.campaign_ids,
            &input.topics,
            input.frequency,
        )
        .await?;
        Ok(MailingSubscription(
            super::update_interests(ctx.state(), &token, interests).await?,
        ))
    }

    /// Emails the subscriber (the manage link's holder asks; the address receives) a link to
    /// see or erase their data, valid for an hour. At most one every few minutes; the answer
    /// is the same either way.
    async fn request_subscriber_data_link(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<bool> {
        super::request_data_link(ctx.state(), &token).await?;
        Ok(true)
    }

    /// All we hold about the subscriber, as JSON. Takes the token of a data link (see
    /// `requestSubscriberDataLink`).
    async fn export_my_subscriber_data(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<Json<serde_json::Value>> {
        Ok(Json(super::export(ctx.state(), &token).await?))
    }

    /// Removes the subscriber everywhere, keeping only a hash of the address so that it is
    /// never mailed again unless it subscribes and confirms afresh. Takes the token of a data
    /// link (see `requestSubscriberDataLink`).
    async fn erase_subscriber(&self, ctx: &Context<'_>, token: String) -> ApiResult<bool> {
        super::erase(ctx.state(), &token).await?;
        Ok(true)
    }
}
