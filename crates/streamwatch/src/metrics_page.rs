//! A rendered Prometheus page served over HTTP as `/metrics` (by `collect` and `demo`).

use std::sync::Arc;

use parking_lot::RwLock;

/// A router serving the latest rendered page as `/metrics` (Prometheus text exposition).
pub(crate) fn metrics_router(page: Arc<RwLock<String>>) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let page = page.clone();
            async move {
                let body = page.read().clone();
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    )
}
