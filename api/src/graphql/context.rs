//! Short ways for resolvers to reach the shared state, the viewer and the slices' loaders.

use std::sync::Arc;

use async_graphql::{Context, dataloader::DataLoader};

use crate::{
    auth::{Actor, Viewer},
    graphql::error::ApiResult,
    state::AppState,
};

pub trait ContextExt {
    fn state(&self) -> &AppState;
    fn viewer(&self) -> &Viewer;
    /// A slice's loaders, registered with the schema when it is built.
    fn loader<T: Send + Sync + 'static>(&self) -> &T;
    /// The same, to keep beyond the request (a subscription's events).
    fn shared_loader<T: Send + Sync + 'static>(&self) -> Arc<T>;

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

    fn loader<T: Send + Sync + 'static>(&self) -> &T {
        self.data_unchecked::<Arc<T>>()
    }

    fn shared_loader<T: Send + Sync + 'static>(&self) -> Arc<T> {
        self.data_unchecked::<Arc<T>>().clone()
    }
}

/// Loads one record through a batching loader.
pub async fn load_one<L, K, V>(loader: &DataLoader<L>, key: K) -> ApiResult<Option<V>>
where
    L: async_graphql::dataloader::Loader<K, Value = V, Error = Arc<sea_orm::DbErr>>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    V: Clone + Send + Sync + 'static,
{
    Ok(loader.load_one(key).await?)
}
