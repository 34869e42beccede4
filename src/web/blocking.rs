//! Store calls block (DuckDB runs queries on the calling thread, the ClickHouse client waits on
//! HTTP), so handlers run them on tokio's blocking pool, never on the async workers. Its own
//! module because every part of the web layer needs it and none should import another for it.

use super::error::ApiError;
use crate::store::StoreError;

/// Runs `f` on the blocking pool; a panic in it is an opaque 500, a store error keeps its kind.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(&e))?
        .map_err(ApiError::from)
}
