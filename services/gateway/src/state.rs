//! What every handler and page may reach: the platform (database pool, NATS,
//! settings), and the one way to ask another service.

use crate::oidc::Oidc;
use crate::settings::{AuthConfig, DispatchView, OidcConfig};
use mittler_contracts::Rpc;
use mittler_contracts::booking::DispatchDefaults;
use mittler_platform::Platform;
use mittler_platform::rpc::{self, RpcError};
use sqlx::PgPool;
use std::sync::Arc;

/// The gateway's shared state.
#[derive(Clone, Debug)]
pub struct AppState {
    pub platform: Platform,
    /// The `[auth]` settings.
    pub auth: Arc<AuthConfig>,
    /// The dispatch policy of the `[dispatch]` settings.
    pub dispatch: DispatchDefaults,
    /// Single sign-on, when `[oidc]` names an issuer.
    pub oidc: Option<Arc<Oidc>>,
}

impl AppState {
    /// The state of `platform`, with the gateway's settings read (and checked).
    pub fn new(platform: Platform) -> anyhow::Result<Self> {
        Ok(Self {
            auth: Arc::new(platform.settings::<AuthConfig>()?),
            dispatch: platform.settings::<DispatchView>()?.0,
            oidc: Oidc::new(platform.settings::<OidcConfig>()?)?.map(Arc::new),
            platform,
        })
    }

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
