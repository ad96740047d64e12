//! Short ways for resolvers to reach the shared state, the viewer and the data loaders.

use std::sync::Arc;

use async_graphql::{Context, dataloader::DataLoader};

use super::loaders::Loaders;
use crate::{
    auth::{Actor, Viewer},
    graphql::error::ApiResult,
    state::AppState,
};

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn viewer(&self) -> &Viewer;
    fn loaders(&self) -> &Arc<Loaders>;

    /// The signed-in actor, or UNAUTHENTICATED.
    fn actor(&self) -> ApiResult<&Actor> {
        self.viewer().actor()
    }
}

impl ContextExt for Context<'_> {
    fn state(&self) -> &AppState {
        self.data_unchecked::<AppState>()
    }

    fn viewer(&self) -> &Viewer {
        static ANONYMOUS: Viewer = Viewer(None);
        self.data_opt::<Viewer>().unwrap_or(&ANONYMOUS)
    }

    fn loaders(&self) -> &Arc<Loaders> {
        self.data_unchecked::<Arc<Loaders>>()
    }
}

/// Loads one record through a batching loader.
pub async fn load_one<L, V>(loader: &DataLoader<L>, id: i64) -> ApiResult<Option<V>>
where
    L: async_graphql::dataloader::Loader<i64, Value = V, Error = Arc<sea_orm::DbErr>>,
    V: Clone + Send + Sync + 'static,
{
    Ok(loader.load_one(id).await?)
}
