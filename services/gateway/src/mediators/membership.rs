//! Which pools a mediator serves after a coordinator's or an admin's edit, and the
//! profile as each of them sees it. Pure: the handlers fetch and store.

use crate::problem::FieldError;
use mittler_contracts::availability::{MediatorProfile, PoolMembership, ProfileInput};
use mittler_contracts::text;
use mittler_types::OrganisationId;

/// The memberships and the overall active flag an edit leads to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Standing {
    pub pools: Vec<PoolMembership>,
    pub active: bool,
}

/// What an edit by someone managing `viewer` (`None`: an admin) makes of the
/// memberships `stored` (empty for a new mediator).
///
/// A coordinator's `active` is their own pool's flag; the other pools stay as they
/// are, and the mediator takes work at all while any pool keeps them active. An
/// admin sets the memberships (`pools`, else as stored) and the overall flag.
pub fn after_edit(
    stored: &[PoolMembership],
    input: &ProfileInput,
    viewer: Option<OrganisationId>,
) -> Result<Standing, FieldError> {
    match viewer {
        Some(own) => {
            if input.pools.iter().flatten().any(|m| m.pool_id != own) {
                return Err(FieldError::new("pools", text!("directory.pools_own_only")));
            }
            let mine = input
                .pools
                .iter()
                .flatten()
                .find(|m| m.pool_id == own)
                .map_or(input.active, |m| m.active && input.active);
            let mut pools: Vec<PoolMembership> = stored
                .iter()
                .copied()
                .filter(|m| m.pool_id != own)
                .collect();
            pools.push(PoolMembership {
                pool_id: own,
                active: mine,
            });
            pools.sort_by_key(|m| m.pool_id);
            let active = pools.iter().any(|m| m.active);
            Ok(Standing { pools, active })
        }
        None => {
            let mut pools = input.pools.clone().unwrap_or_else(|| stored.to_vec());
            pools.sort_by_key(|m| m.pool_id);
            if pools.windows(2).any(|w| w[0].pool_id == w[1].pool_id) {
                return Err(FieldError::new("pools", text!("directory.pools_twice")));
            }
            if pools.is_empty() {
                return Err(FieldError::new("pools", text!("directory.pools_required")));
            }
            Ok(Standing {
                pools,
                active: input.active,
            })
        }
    }
}

/// The profile as someone managing `viewer` sees it: a coordinator sees only their
/// own pool's membership, and `active` as "takes work in my pool".
pub fn as_seen_by(mut profile: MediatorProfile, viewer: Option<OrganisationId>) -> MediatorProfile {
    if let Some(own) = viewer {
        profile.active = profile.serves(own);
        profile.pools.retain(|m| m.pool_id == own);
    }
    profile
}

#[cfg(test)]
mod tests {
    use super::*;
    use mittler_contracts::availability::GeoPoint;
    use mittler_types::{Gender, TimeZone};
    use uuid::Uuid;

    fn pool(n: u128) -> OrganisationId {
        OrganisationId(Uuid::from_u128(n))
    }

    fn member(n: u128, active: bool) -> PoolMembership {
        PoolMembership {
            pool_id: pool(n),
            active,
        }
    }

    fn input(active: bool, pools: Option<Vec<PoolMembership>>) -> ProfileInput {
        ProfileInput {
            display_name: "A".into(),
            email: "a@example.org".into(),
            phone: None,
            gender: Gender::Female,
            languages: vec![],
            modalities: vec![],
            subject_areas: vec![],
            home: Some(GeoPoint {
                lat: 51.0,
                lon: 13.0,
            }),
            postal_code: "01067".into(),
            max_travel_km: 10.0,
            max_minutes_per_week: 600,
            accepts_same_day: false,
            time_zone: TimeZone::BERLIN,
            notify_by_email: true,
            active,
            pools,
        }
    }

    #[test]
    fn a_new_mediator_of_a_coordinator_serves_their_pool() {
        let standing = after_edit(&[], &input(true, None), Some(pool(1))).expect("accepted");
        assert_eq!(standing.pools, [member(1, true)]);
        assert!(standing.active);
    }

    #[test]
    fn pausing_in_one_pool_keeps_the_other_and_the_mediator_active() {
        let stored = [member(1, true), member(2, true)];
        let standing = after_edit(&stored, &input(false, None), Some(pool(1))).expect("accepted");
        assert_eq!(standing.pools, [member(1, false), member(2, true)]);
        assert!(standing.active, "pool 2 still gives work");
    }

    #[test]
    fn pausing_in_the_only_active_pool_deactivates_the_mediator() {
        let stored = [member(1, true), member(2, false)];
        let standing = after_edit(&stored, &input(false, None), Some(pool(1))).expect("accepted");
        assert_eq!(standing.pools, [member(1, false), member(2, false)]);
        assert!(!standing.active);
        let back =
            after_edit(&standing.pools, &input(true, None), Some(pool(1))).expect("accepted");
        assert!(back.active);
        assert_eq!(back.pools, [member(1, true), member(2, false)]);
    }

    #[test]
    fn a_coordinator_cannot_name_another_pool() {
        let error = after_edit(
            &[],
            &input(true, Some(vec![member(2, true)])),
            Some(pool(1)),
        )
        .expect_err("refused");
        assert_eq!(error.field, "pools");
    }

    #[test]
    fn an_admin_sets_the_pools_and_the_overall_flag() {
        let stored = [member(1, true)];
        let keep = after_edit(&stored, &input(false, None), None).expect("accepted");
        assert_eq!(keep.pools, stored);
        assert!(!keep.active);
        let both = after_edit(
            &stored,
            &input(true, Some(vec![member(2, true), member(1, true)])),
            None,
        )
        .expect("accepted");
        assert_eq!(both.pools, [member(1, true), member(2, true)]);
        assert_eq!(
            after_edit(&stored, &input(true, Some(vec![])), None)
                .expect_err("refused")
                .field,
            "pools"
        );
        assert_eq!(
            after_edit(
                &stored,
                &input(true, Some(vec![member(1, true), member(1, false)])),
                None
            )
            .expect_err("refused")
            .field,
            "pools"
        );
    }

    #[test]
    fn a_coordinator_sees_their_own_pool_only() {
        let mut profile = input(true, None).into_profile(
            mittler_types::MediatorId::new(),
            vec![member(1, false), member(2, true)],
        );
        profile.active = true;
        let seen = as_seen_by(profile.clone(), Some(pool(1)));
        assert!(!seen.active);
        assert_eq!(seen.pools, [member(1, false)]);
        let admin = as_seen_by(profile, None);
        assert!(admin.active);
        assert_eq!(admin.pools.len(), 2);
    }
}
