//! Batching loaders: every relation a resolver follows goes through one of these, so a list of
//! n records costs one query per relation, not n.

use std::{collections::HashMap, marker::PhantomData, sync::Arc, time::Duration};

use async_graphql::dataloader::{DataLoader, Loader};
use entities::{
    advocacy_goal, campaign, campaign_goal, campaign_region,
    enums::{ApprovalDecision, Role},
    joint_action, opt_in, partner, policy_update, policy_update_campaign, policy_update_topic,
    position, position_approval, position_version, region, user,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, JoinType, PrimaryKeyToColumn,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, TryGetable,
    sea_query::{Asterisk, Expr, ExprTrait},
};

use super::children::{ChildCounts, ChildPages, all_rows};

/// A record with a numeric primary key.
pub trait Keyed {
    fn key(&self) -> i64;
}

impl Keyed for partner::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for user::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for advocacy_goal::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for campaign::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for joint_action::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for opt_in::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for policy_update::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for position::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// Loads records of one table by primary key.
pub struct ById<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> ById<E> {
    fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            entity: PhantomData,
        }
    }
}

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait,
    E::Model: Keyed + Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        let Some(primary_key) = E::PrimaryKey::iter().next() else {
            return Ok(HashMap::new());
        };
        let rows = E::find()
            .filter(primary_key.into_column().is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.key(), row)).collect())
    }
}

/// The regions, by id, kept in memory (see `AppState::regions`).
pub struct RegionDirectory(HashMap<i64, region::Model>);

impl RegionDirectory {
    pub fn get(&self, id: i64) -> Option<region::Model> {
        self.0.get(&id).cloned()
    }
}

/// The active staff of each region, by name.
pub struct StaffByRegion {
    db: DatabaseConnection,
}

impl Loader<i64> for StaffByRegion {
    type Value = Vec<user::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Staff))
            .filter(user::Column::Active.eq(true))
            .filter(user::Column::RegionId.is_in(keys.iter().copied()))
            .order_by_asc(user::Column::Name)
            .order_by_asc(user::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<user::Model>> = HashMap::new();
        for row in rows {
            if let Some(region_id) = row.region_id {
                grouped.entry(region_id).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}

/// The values a link table pairs with each key (a campaign's goal ids, an update's topics).
pub struct Links<E: EntityTrait, T = i64> {
    db: DatabaseConnection,
    from: E::Column,
    to: E::Column,
    value: PhantomData<fn() -> T>,
}

impl<E: EntityTrait, T> Links<E, T> {
    fn new(db: &DatabaseConnection, from: E::Column, to: E::Column) -> Self {
        Self {
            db: db.clone(),
            from,
            to,
            value: PhantomData,
        }
    }
}

impl<E, T> Loader<i64> for Links<E, T>
where
    E: EntityTrait,
    T: TryGetable + Clone + Send + Sync + 'static,
{
    type Value = Vec<T>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<T>>, Self::Error> {
        let pairs: Vec<(i64, T)> = E::find()
            .select_only()
            .column(self.from)
            .column(self.to)
            .filter(self.from.is_in(keys.iter().copied()))
            .order_by_asc(self.to)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
        for (from, to) in pairs {
            grouped.entry(from).or_default().push(to);
        }
        Ok(grouped)
    }
}

/// For each joint action, how many partners of each region are opted in (`None`: partners
/// outside the regions).
pub struct OptInsByRegion {
    db: DatabaseConnection,
}

impl Loader<i64> for OptInsByRegion {
    type Value = Vec<(Option<i64>, u64)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows: Vec<(i64, Option<i64>, i64)> = opt_in::Entity::find()
            .select_only()
            .column(opt_in::Column::ActionId)
            .column(partner::Column::RegionId)
            .column_as(Expr::col(Asterisk).count(), "count")
            .join(JoinType::InnerJoin, opt_in::Relation::Partner.def())
            .filter(opt_in::Column::ActionId.is_in(keys.iter().copied()))
            .filter(opt_in::Column::Active.eq(true))
            .group_by(opt_in::Column::ActionId)
            .group_by(partner::Column::RegionId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for (action_id, region_id, count) in rows {
            grouped
                .entry(action_id)
                .or_default()
                .push((region_id, u64::try_from(count).unwrap_or_default()));
        }
        Ok(grouped)
    }
}

/// The partners that approved each position's published version, by name.
pub struct Backers {
    db: DatabaseConnection,
}

/// The partner rows are read here rather than through the partner loader, so that a campaign
/// page costs the same statements however its loads happen to fall into batching windows.
impl Loader<i64> for Backers {
    type Value = Vec<partner::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let pairs: Vec<(i64, i64)> = position_approval::Entity::find()
            .select_only()
            .column(position_version::Column::PositionId)
            .column(position_approval::Column::PartnerId)
            .join(
                JoinType::InnerJoin,
                position_approval::Relation::Version.def(),
            )
            .join(
                JoinType::InnerJoin,
                position_version::Relation::Position.def(),
            )
            .filter(position_version::Column::PositionId.is_in(keys.iter().copied()))
            .filter(position_approval::Column::Decision.eq(ApprovalDecision::Approve))
            .filter(
                Expr::col((position_version::Entity, position_version::Column::Number))
                    .equals((position::Entity, position::Column::PublishedVersion)),
            )
            .order_by_asc(position_approval::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await?;
        if pairs.is_empty() {
            return Ok(HashMap::new());
        }
        let partners: HashMap<i64, partner::Model> = partner::Entity::find()
            .filter(partner::Column::Id.is_in(pairs.iter().map(|(_, partner)| *partner)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        let mut grouped: HashMap<i64, Vec<partner::Model>> = HashMap::new();
        for (position_id, partner_id) in pairs {
            if let Some(partner) = partners.get(&partner_id) {
                grouped
                    .entry(position_id)
                    .or_default()
                    .push(partner.clone());
            }
        }
        for backers in grouped.values_mut() {
            backers.sort_by(|a, b| a.name_key.cmp(&b.name_key));
        }
        Ok(grouped)
    }
}

/// A partner's answer to each joint action, by (action id, partner id).
pub struct PartnerAnswers {
    db: DatabaseConnection,
}

impl Loader<(i64, i64)> for PartnerAnswers {
    type Value = opt_in::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[(i64, i64)],
    ) -> Result<HashMap<(i64, i64), opt_in::Model>, Self::Error> {
        let rows = opt_in::Entity::find()
            .filter(opt_in::Column::ActionId.is_in(keys.iter().map(|(action, _)| *action)))
            .filter(opt_in::Column::PartnerId.is_in(keys.iter().map(|(_, partner)| *partner)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((row.action_id, row.partner_id), row))
            .filter(|(key, _)| keys.contains(key))
            .collect())
    }
}

/// Position versions by (position id, version number).
pub struct Versions {
    db: DatabaseConnection,
}

impl Loader<(i64, i32)> for Versions {
    type Value = position_version::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[(i64, i32)],
    ) -> Result<HashMap<(i64, i32), position_version::Model>, Self::Error> {
        let rows = position_version::Entity::find()
            .filter(position_version::Column::PositionId.is_in(keys.iter().map(|(id, _)| *id)))
            .filter(position_version::Column::Number.is_in(keys.iter().map(|(_, n)| *n)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((row.position_id, row.number), row))
            .filter(|(key, _)| keys.contains(key))
            .collect())
    }
}

/// How long a loader waits to gather keys before it queries. Resolvers of a long list ask in
/// several polls (the executor yields every few dozen items), so the wait must outlast that.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// Every loader, built once and shared by all requests. They batch but do not cache, so no
/// request sees another's stale data.
pub struct Loaders {
    pub regions: RegionDirectory,
    pub partners: DataLoader<ById<partner::Entity>>,
    pub users: DataLoader<ById<user::Entity>>,
    pub staff_by_region: DataLoader<StaffByRegion>,
    pub goals: DataLoader<ById<advocacy_goal::Entity>>,
    pub campaigns: DataLoader<ById<campaign::Entity>>,
    pub joint_actions: DataLoader<ById<joint_action::Entity>>,
    pub positions: DataLoader<ById<position::Entity>>,
    pub campaign_goal_ids: DataLoader<Links<campaign_goal::Entity>>,
    pub campaign_region_ids: DataLoader<Links<campaign_region::Entity>>,
    pub update_topics: DataLoader<Links<policy_update_topic::Entity, String>>,
    pub update_campaign_ids: DataLoader<Links<policy_update_campaign::Entity>>,
    pub policy_updates: DataLoader<ById<policy_update::Entity>>,
    pub campaign_actions: DataLoader<ChildPages<joint_action::Entity>>,
    pub campaign_action_counts: DataLoader<ChildCounts<joint_action::Entity>>,
    pub campaign_positions: DataLoader<ChildPages<position::Entity>>,
    pub campaign_position_counts: DataLoader<ChildCounts<position::Entity>>,
    pub action_opt_ins: DataLoader<ChildPages<opt_in::Entity>>,
    pub action_opt_in_counts: DataLoader<ChildCounts<opt_in::Entity>>,
    pub opt_ins_by_region: DataLoader<OptInsByRegion>,
    pub partner_answers: DataLoader<PartnerAnswers>,
    pub backers: DataLoader<Backers>,
    pub versions: DataLoader<Versions>,
}

impl Loaders {
    pub fn new(db: &DatabaseConnection, regions: &[region::Model]) -> Self {
        Self {
            regions: RegionDirectory(regions.iter().map(|r| (r.id, r.clone())).collect()),
            partners: batching(ById::new(db.clone())),
            users: batching(ById::new(db.clone())),
            staff_by_region: batching(StaffByRegion { db: db.clone() }),
            goals: batching(ById::new(db.clone())),
            campaigns: batching(ById::new(db.clone())),
            joint_actions: batching(ById::new(db.clone())),
            positions: batching(ById::new(db.clone())),
            policy_updates: batching(ById::new(db.clone())),
            campaign_goal_ids: batching(Links::new(
                db,
                campaign_goal::Column::CampaignId,
                campaign_goal::Column::GoalId,
            )),
            campaign_region_ids: batching(Links::new(
                db,
                campaign_region::Column::CampaignId,
                campaign_region::Column::RegionId,
            )),
            update_topics: batching(Links::new(
                db,
                policy_update_topic::Column::UpdateId,
                policy_update_topic::Column::Topic,
            )),
            update_campaign_ids: batching(Links::new(
                db,
                policy_update_campaign::Column::UpdateId,
                policy_update_campaign::Column::CampaignId,
            )),
            campaign_actions: batching(ChildPages::new(
                db,
                joint_action::Column::CampaignId,
                joint_action::Column::Id,
                all_rows(),
            )),
            campaign_action_counts: batching(ChildCounts::new(
                db,
                joint_action::Column::CampaignId,
                all_rows(),
            )),
            campaign_positions: batching(ChildPages::new(
                db,
                position::Column::CampaignId,
                position::Column::Id,
                Arc::new(crate::positions::visible_to),
            )),
            campaign_position_counts: batching(ChildCounts::new(
                db,
                position::Column::CampaignId,
                Arc::new(crate::positions::visible_to),
            )),
            action_opt_ins: batching(ChildPages::new(
                db,
                opt_in::Column::ActionId,
                opt_in::Column::Id,
                active_opt_ins(),
            )),
            action_opt_in_counts: batching(ChildCounts::new(
                db,
                opt_in::Column::ActionId,
                active_opt_ins(),
            )),
            opt_ins_by_region: batching(OptInsByRegion { db: db.clone() }),
            partner_answers: batching(PartnerAnswers { db: db.clone() }),
            backers: batching(Backers { db: db.clone() }),
            versions: batching(Versions { db: db.clone() }),
        }
    }
}

/// Only partners that are opted in now count, whoever is looking.
fn active_opt_ins() -> super::children::Visibility {
    Arc::new(|_| sea_orm::Condition::all().add(opt_in::Column::Active.eq(true)))
}

fn batching<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, tokio::spawn).delay(BATCH_WINDOW)
}
