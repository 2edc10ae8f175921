//! The gateway's router: operator endpoints, the start page, the API v1 with its
//! OpenAPI document, and problem+json for every path that does not exist.

use crate::problem::ApiError;
use crate::state::AppState;
use crate::{
    accounts, auth, billing, bookings, live, mediators, notifications, offers, organisations,
    people, places, reports, rooms,
};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use mittler_contracts::text;
use mittler_platform::{Platform, ops};
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The largest request body the API accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The largest file an import takes.
pub const IMPORT_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Mittler API", version = "1", description = "Booking interpreters and language mediators. Problem texts come in German when the request asks for it with `Accept-Language: de`."),
    paths(
        auth::login, auth::logout, auth::me, auth::sign_ins, auth::end_sign_in, auth::end_other_sign_ins,
        accounts::request_reset, accounts::reset, accounts::change, accounts::profile::put_me,
        bookings::create, bookings::check::check, bookings::amend::amend, bookings::list, bookings::get, bookings::cancel, bookings::reschedule,
        bookings::ending::give_up, bookings::ending::get_time_record, bookings::ending::put_time_record,
        bookings::ending::confirm_time, bookings::ending::dispute_time, bookings::ending::list,
        bookings::organisations, organisations::get_dispatch_policy, organisations::put_dispatch_policy,
        organisations::create, organisations::add_user, organisations::update,
        organisations::deactivate, organisations::activate,
        people::list, people::update, people::deactivate, people::activate, places::get,
        mediators::get_my_availability, mediators::put_my_availability, mediators::add_my_absence,
        mediators::put_my_presence, mediators::list, mediators::create, mediators::get, mediators::put,
        mediators::get_availability, mediators::put_availability, mediators::import::import,
        offers::list, offers::accept, offers::decline, offers::explanation, offers::assign, offers::give_back, offers::unassign,
        notifications::feed, notifications::read_one, notifications::read_all, notifications::events,
        notifications::deliveries, rooms::links, rooms::signal,
        reports::queue, live::queue_events, reports::my_jobs, reports::my_job, reports::statistics,
        reports::funders::reports,
        billing::get_rate_card, billing::put_rate_card, billing::quote,
        billing::get_organisation_billing, billing::put_organisation_billing,
        billing::get_mediator_billing, billing::put_mediator_billing,
        billing::get_month, billing::close_month, billing::correct,
        billing::documents::statements, billing::documents::statement_file,
        billing::documents::invoices, billing::documents::invoice_file, billing::documents::xrechnung,
    ),
    modifiers(&Security),
    tags(
        (name = "auth", description = "Sign-in and the signed-in user"),
        (name = "bookings", description = "Booking mediators"),
        (name = "directory", description = "Organisations and people"),
        (name = "mediators", description = "Mediators' profiles, calendars and presence"),
        (name = "offers", description = "Offers to mediators"),
        (name = "notifications", description = "The in-app feed and the delivery log"),
        (name = "billing", description = "Rate cards, the month close, pay statements and invoices"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

pub fn router(platform: Platform) -> anyhow::Result<Router> {
    let state = AppState::new(platform.clone())?;
    let api = Router::new()
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/sign-ins", get(auth::sign_ins))
        .route("/auth/sign-ins/end-others", post(auth::end_other_sign_ins))
        .route(
            "/auth/sign-ins/{id}",
            axum::routing::delete(auth::end_sign_in),
        )
        .route("/me", get(auth::me).put(accounts::profile::put_me))
        .route("/auth/password-reset", post(accounts::request_reset))
        .route("/auth/password-reset/{token}", post(accounts::reset))
        .route("/auth/password", post(accounts::change))
        .route("/bookings", post(bookings::create).get(bookings::list))
        .route("/bookings/check", post(bookings::check::check))
        .route(
            "/bookings/{id}/details",
            axum::routing::put(bookings::amend::amend),
        )
        .route("/bookings/{id}", get(bookings::get))
        .route("/bookings/{id}/cancel", post(bookings::cancel))
        .route("/bookings/{id}/reschedule", post(bookings::reschedule))
        .route("/bookings/{id}/give-up", post(bookings::ending::give_up))
        .route(
            "/bookings/{id}/time-record",
            get(bookings::ending::get_time_record).put(bookings::ending::put_time_record),
        )
        .route(
            "/bookings/{id}/time-record/confirm",
            post(bookings::ending::confirm_time),
        )
        .route(
            "/bookings/{id}/time-record/dispute",
            post(bookings::ending::dispute_time),
        )
        .route("/time-records", get(bookings::ending::list))
        .route(
            "/organisations",
            get(bookings::organisations).post(organisations::create),
        )
        .route(
            "/organisations/{id}",
            axum::routing::put(organisations::update),
        )
        .route(
            "/organisations/{id}/deactivate",
            post(organisations::deactivate),
        )
        .route(
            "/organisations/{id}/activate",
            post(organisations::activate),
        )
        .route("/organisations/{id}/users", post(organisations::add_user))
        .route("/users", get(people::list))
        .route("/places/{postal_code}", get(places::get))
        .route("/users/{id}", axum::routing::put(people::update))
        .route("/users/{id}/deactivate", post(people::deactivate))
        .route("/users/{id}/activate", post(people::activate))
        .route(
            "/organisations/{id}/dispatch-policy",
            get(organisations::get_dispatch_policy).put(organisations::put_dispatch_policy),
        )
        .route(
            "/organisations/{id}/rate-card",
            get(billing::get_rate_card).put(billing::put_rate_card),
        )
        .route("/organisations/{id}/rate-card/quote", post(billing::quote))
        .route(
            "/organisations/{id}/billing",
            get(billing::get_organisation_billing).put(billing::put_organisation_billing),
        )
        .route(
            "/organisations/{id}/months/{month}",
            get(billing::get_month),
        )
        .route(
            "/organisations/{id}/months/{month}/close",
            post(billing::close_month),
        )
        .route("/organisations/{id}/corrections", post(billing::correct))
        .route(
            "/mediators/{id}/billing",
            get(billing::get_mediator_billing).put(billing::put_mediator_billing),
        )
        .route("/pay-statements", get(billing::documents::statements))
        .route(
            "/pay-statements/{file}",
            get(billing::documents::statement_file),
        )
        .route("/invoices", get(billing::documents::invoices))
        .route("/invoices/{file}", get(billing::documents::invoice_file))
        .route(
            "/invoices/{id}/xrechnung.xml",
            get(billing::documents::xrechnung),
        )
        .route("/bookings/{id}/dispatch", get(offers::explanation))
        .route("/bookings/{id}/session", get(rooms::links))
        .route("/rooms/signal", get(rooms::signal))
        .route("/bookings/{id}/assign", post(offers::assign))
        .route("/bookings/{id}/give-back", post(offers::give_back))
        .route("/bookings/{id}/unassign", post(offers::unassign))
        .route("/offers", get(offers::list))
        .route("/queue", get(reports::queue))
        .route("/queue/events", get(live::queue_events))
        .route("/statistics", get(reports::statistics))
        .route("/reports", get(reports::funders::reports))
        .route("/mediators/me/jobs", get(reports::my_jobs))
        .route("/mediators/me/jobs/{id}", get(reports::my_job))
        .route("/notifications", get(notifications::feed))
        .route("/notifications/events", get(notifications::events))
        .route("/notifications/read-all", post(notifications::read_all))
        .route("/notifications/{id}/read", post(notifications::read_one))
        .route("/deliveries", get(notifications::deliveries))
        .route("/offers/{id}/accept", post(offers::accept))
        .route("/offers/{id}/decline", post(offers::decline))
        .route("/mediators", get(mediators::list).post(mediators::create))
        .route(
            "/mediators/import",
            post(mediators::import::import).layer(DefaultBodyLimit::max(IMPORT_BODY_BYTES)),
        )
        .route(
            "/mediators/me/availability",
            get(mediators::get_my_availability).put(mediators::put_my_availability),
        )
        .route("/mediators/me/absences", post(mediators::add_my_absence))
        .route(
            "/mediators/me/presence",
            axum::routing::put(mediators::put_my_presence),
        )
        .route("/mediators/{id}", get(mediators::get).put(mediators::put))
        .route(
            "/mediators/{id}/availability",
            get(mediators::get_availability).put(mediators::put_availability),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(crate::ui::problems_in_language))
        .with_state(state.clone());
    Ok(Router::new()
        .merge(crate::ui::router().with_state(state.clone()))
        .route("/api/openapi.json", get(openapi))
        .route("/room/{token}", get(rooms::page))
        .route("/assets/room.js", get(rooms::script))
        .route("/assets/room.css", get(rooms::style))
        .nest("/api/v1", api)
        .merge(ops::router(platform.ops()))
        .fallback(crate::ui::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(crate::headers::security_headers))
        .layer(axum::middleware::from_fn(ops::request_context)))
}

async fn openapi() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> impl IntoResponse {
    let mut response = ApiError::BadRequest(text!("problem.method_not_allowed")).into_response();
    *response.status_mut() = axum::http::StatusCode::METHOD_NOT_ALLOWED;
    response
}
