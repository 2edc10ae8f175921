//! The gateway's tests through its HTTP API and pages, against real NATS and
//! PostgreSQL: one test binary (linking the whole system once), a module per area.

mod accounts_api;
mod amend_api;
mod auth_api;
mod billing_api;
mod bookings_api;
mod common;
mod directory_api;
mod ending_api;
mod funders_api;
mod mediators_api;
mod offers_api;
mod ops;
mod places_api;
mod pools_api;
mod reports_api;
mod sso_api;
mod ui_pages;
