//! What every handler and page may reach: the platform (database pool, NATS,
//! settings), and the one way to ask another service.

use mittler_contracts::Rpc;
use mittler_platform::Platform;
use mittler_platform::rpc::{self, RpcError};
use sqlx::PgPool;

/// The gateway's shared state.
#[derive(Clone, Debug)]
pub struct AppState {
    pub platform: Platform,
}

impl AppState {
    /// The `directory` schema's pool.
    pub fn pool(&self) -> &PgPool {
        &self.platform.pool
    }

    /// Ask another service, within the configured request timeout.
    pub async fn call<R: Rpc>(&self, request: &R::Request) -> Result<R::Response, RpcError> {
        rpc::call::<R>(
            &self.platform.nats.client,
            request,
            self.platform.request_timeout(),
        )
        .await
    }
}
