//! Whose data a signed-in user may reach — the one home of the tenant scope.
//!
//! A requester reaches its own organisation's bookings; a coordinator its pool's
//! and those of every organisation the pool serves; an admin everything. Mediators
//! reach their own offers and jobs, never other bookings. Every handler and page
//! asks here, and passes the answer on to the service it calls, which filters by it.
//! Mediators belong to pools: a coordinator manages their own pool's, an admin all.

use crate::auth::AuthUser;
use crate::directory;
use crate::problem::ApiError;
use crate::state::AppState;
use mittler_contracts::availability::{GetProfile, MediatorProfile, MediatorRef};
use mittler_contracts::booking::Scope;
use mittler_contracts::text;
use mittler_contracts::text::Text;
use mittler_types::{MediatorId, OrganisationId, Role};

impl AuthUser {
    /// Refuse unless the user has one of `roles`; `what` says what was refused.
    pub fn require(&self, roles: &[Role], what: Text) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(what))
        }
    }

    /// The mediator profile of a mediator's account; `what` says why others are refused.
    pub fn own_mediator(&self, what: Text) -> Result<MediatorId, ApiError> {
        self.require(&[Role::Mediator], what)?;
        self.user
            .mediator_id
            .ok_or(ApiError::Forbidden(text!("auth.no_mediator_profile")))
    }

    /// The organisations whose bookings this user may see: a requester its own, a
    /// coordinator its pool's, an admin all. Mediators see offers, not bookings.
    pub async fn booking_scope(&self, state: &AppState) -> Result<Scope, ApiError> {
        match self.user.role {
            Role::Requester => Ok(Scope::only(vec![self.user.organisation_id])),
            Role::Coordinator => Ok(Scope::only(
                directory::pool_members(state.pool(), self.user.organisation_id).await?,
            )),
            Role::Admin => Ok(Scope::all()),
            Role::Mediator => Err(ApiError::Forbidden(text!("role.mediators_see_offers"))),
        }
    }

    /// The organisations this user may list (`None`: all): like
    /// [`booking_scope`](Self::booking_scope), and a mediator their own.
    pub async fn organisation_scope(
        &self,
        state: &AppState,
    ) -> Result<Option<Vec<OrganisationId>>, ApiError> {
        Ok(match self.user.role {
            Role::Admin => None,
            Role::Coordinator => {
                Some(directory::pool_members(state.pool(), self.user.organisation_id).await?)
            }
            Role::Requester | Role::Mediator => Some(vec![self.user.organisation_id]),
        })
    }

    /// The pool whose mediators this user manages: a coordinator's own, `None` for
    /// an admin (every pool); others are refused with `what`.
    pub fn mediator_scope(&self, what: Text) -> Result<Option<OrganisationId>, ApiError> {
        match self.user.role {
            Role::Admin => Ok(None),
            Role::Coordinator => Ok(Some(self.user.organisation_id)),
            Role::Requester | Role::Mediator => Err(ApiError::Forbidden(what)),
        }
    }

    /// An organisation a coordinator of its pool (or an admin) manages, refused with
    /// `what` for other roles; another pool's answers 404, like a missing one.
    pub async fn managed_organisation(
        &self,
        state: &AppState,
        id: &str,
        what: Text,
    ) -> Result<directory::Organisation, ApiError> {
        self.require(&[Role::Coordinator, Role::Admin], what)?;
        let id: OrganisationId = id.parse().map_err(|_| ApiError::NotFound)?;
        if !self.booking_scope(state).await?.allows(id) {
            return Err(ApiError::NotFound);
        }
        directory::organisation(state.pool(), id)
            .await
            .map_err(ApiError::Internal)?
            .ok_or(ApiError::NotFound)
    }

    /// A mediator this user manages; another pool's answers 404, like a missing one.
    pub async fn visible_mediator(
        &self,
        state: &AppState,
        mediator_id: MediatorId,
        what: Text,
    ) -> Result<MediatorProfile, ApiError> {
        let pool = self.mediator_scope(what)?;
        let profile = state
            .call::<GetProfile>(&MediatorRef { mediator_id })
            .await?;
        match pool {
            Some(pool) if !profile.member_of(pool) => Err(ApiError::NotFound),
            _ => Ok(profile),
        }
    }
}
