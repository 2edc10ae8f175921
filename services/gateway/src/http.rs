//! The gateway's router: operator endpoints, the start page, and problem+json for
//! every path that does not exist.

use crate::problem::ApiError;
use axum::Router;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use mittler_platform::{Platform, ops};

pub fn router(platform: Platform) -> Router {
    Router::new()
        .route("/", get(start_page))
        .merge(ops::router(platform.ops()))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(ops::request_context))
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn start_page() -> impl IntoResponse {
    Html(include_str!("../templates/start.html"))
}
