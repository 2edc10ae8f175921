//! The web UI: server-rendered pages (maud) for requesters, mediators and
//! coordinators, with one small script (`/assets/app.js`) that sends forms to the
//! JSON API, keeps live sections current over server-sent events (`/ui/events`) and
//! counts down deadlines. No build step: the pages work on old office PCs and phones.
//!
//! Layout: `i18n` the words (German by default, English switchable); this module the
//! page frame, sign-in, language switch and the notification feed; `account` the
//! password pages and the profile; `events` the live
//! events of the pages; `problems` API problems in German;
//! `requester` booking pages; `mediator` offers, jobs and the calendar;
//! `coordinator` the queue, manual assignment, administration and statistics;
//! `people` the coordinators' list of accounts.
//!
//! Pages read through the same application functions as the API handlers
//! (`bookings::bookings`, `reports::queue_items`, …), and scope comes from
//! `tenancy`, so that one set of rules decides who sees what.

mod account;
mod amend_form;
mod billing;
mod booking_page;
mod calendar;
mod charts;
pub mod coordinator;
mod deliveries;
mod events;
pub mod i18n;
pub mod mediator;
mod organisations;
mod paths;
mod people;
mod place;
mod problems;
pub mod records;
pub mod requester;
mod statistics;

pub(crate) use paths::local_path;
pub use paths::url_encode;
pub use problems::problems_in_language;

use crate::auth::AuthUser;
use crate::directory::SessionKind;
use crate::problem::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{FromRequestParts, OptionalFromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, Datelike, Utc};
use i18n::Lang;
use maud::{DOCTYPE, Markup, html};
use mittler_contracts::booking::BookingView;
use mittler_types::{MediatorId, Role, TimeZone};
use serde::Deserialize;
use std::collections::HashMap;
use std::convert::Infallible;

pub const LANG_COOKIE: &str = "mittler_lang";
const APP_JS: &str = include_str!("../../assets/app.js");
const APP_CSS: &str = include_str!("../../assets/app.css");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page))
        .route("/auth/oidc/login", get(crate::oidc::login))
        .route("/auth/oidc/callback", get(crate::oidc::callback))
        .route("/lang/{code}", get(switch_language))
        .route("/feed", get(feed_page))
        .route("/ui/events", get(events::events))
        .route("/assets/app.js", get(script))
        .route("/assets/app.css", get(style))
        .merge(account::router())
        .merge(people::router())
        .merge(requester::router())
        .merge(mediator::router())
        .merge(coordinator::router())
        .merge(records::router())
        .merge(billing::router())
        .merge(deliveries::router())
        .merge(statistics::router())
}

// ---------------------------------------------------------------- the page context

/// A signed-in browser user, the UI language and the CSRF token for the script.
#[derive(Clone, Debug)]
pub struct Page {
    pub user: AuthUser,
    pub l: Lang,
    pub csrf: String,
    pub path: String,
}

/// The UI language: the switch's cookie, else the account's, else German.
pub fn lang_of(headers: &HeaderMap, user: Option<&AuthUser>) -> Lang {
    crate::auth::cookie_value(headers, LANG_COOKIE)
        .map(|code| Lang::from_code(&code))
        .or_else(|| user.map(|u| Lang::from_code(&u.user.locale)))
        .unwrap_or_default()
}

impl FromRequestParts<AppState> for Page {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        // Pages are for the browser session only; a bearer token is for the API.
        parts.headers.remove(header::AUTHORIZATION);
        let user = match AuthUser::from_request_parts(parts, state).await {
            Ok(user) if user.kind == SessionKind::Cookie => user,
            Ok(_) | Err(ApiError::Unauthenticated) => {
                let next = url_encode(&path);
                return Err(Redirect::to(&format!("/login?next={next}")).into_response());
            }
            Err(other) => return Err(other.into_response()),
        };
        let l = lang_of(&parts.headers, Some(&user));
        Ok(Self {
            csrf: user.csrf_token.clone().unwrap_or_default(),
            user,
            l,
            path,
        })
    }
}

impl OptionalFromRequestParts<AppState> for Page {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <Page as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}

// ---------------------------------------------------------------- errors

/// A page that could not be built: the API's error, shown as a page.
#[derive(Debug)]
pub struct UiError {
    pub l: Lang,
    pub error: ApiError,
}

pub trait OrPage<T> {
    fn or_page(self, l: Lang) -> Result<T, UiError>;
}

impl<T> OrPage<T> for Result<T, ApiError> {
    fn or_page(self, l: Lang) -> Result<T, UiError> {
        self.map_err(|error| UiError { l, error })
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = self.error.into_response().status();
        let key = match status {
            StatusCode::NOT_FOUND => "error.not_found",
            StatusCode::FORBIDDEN => "error.forbidden",
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => "error.unavailable",
            s if s.is_client_error() => "error.bad_request",
            _ => "error.internal",
        };
        let l = self.l;
        let body = bare(
            l,
            &l.t(key),
            html! {
                main id="main" class="narrow" {
                    h1 { (l.t(key)) }
                    p { a href="/" { (l.t("error.back")) } }
                }
            },
        );
        (status, body).into_response()
    }
}

/// An address nobody serves: a page for a browser (in its language), a problem
/// for everyone else and under `/api`.
pub async fn not_found(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let wants_page = !uri.path().starts_with("/api")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    if wants_page {
        UiError {
            l: lang_of(&headers, None),
            error: ApiError::NotFound,
        }
        .into_response()
    } else {
        ApiError::NotFound.into_response()
    }
}

// ---------------------------------------------------------------- the frame

fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " – Mittler" }
            @if let Some(csrf) = csrf { meta name="csrf-token" content=(csrf); }
            link rel="icon" href="data:,";
            link rel="stylesheet" href="/assets/app.css";
            script src="/assets/app.js" defer {}
        }
    }
}

/// `body`, carrying the words the script needs as data attributes.
fn body(l: Lang, live: bool, content: Markup) -> Markup {
    html! {
        body data-t-left=(l.t("js.left")) data-t-expired=(l.t("js.expired"))
            data-t-failed=(l.t("js.failed")) data-t-saved=(l.t("js.saved"))
            data-t-offline=(l.t("js.offline")) data-live-events=[live.then_some("/ui/events")] {
            a class="skip" href="#main" { (l.t("nav.skip")) }
            (content)
            div id="toast" role="status" aria-live="polite" {}
        }
    }
}

/// A page without navigation (sign-in, errors).
pub fn bare(l: Lang, title: &str, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title, None))
            (body(l, false, content))
        }
    }
}

/// The navigation of each role: (path, key).
fn nav_items(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Requester => &[
            ("/bookings", "nav.bookings"),
            ("/bookings/new", "nav.new_booking"),
            ("/invoices", "nav.invoices"),
            ("/feed", "nav.feed"),
        ],
        Role::Mediator => &[
            ("/offers", "nav.offers"),
            ("/jobs", "nav.jobs"),
            ("/availability", "nav.availability"),
            ("/statements", "nav.statements"),
            ("/feed", "nav.feed"),
        ],
        Role::Coordinator | Role::Admin => &[
            ("/queue", "nav.queue"),
            ("/bookings", "nav.bookings"),
            ("/disputes", "nav.disputes"),
            ("/mediators", "nav.mediators"),
            ("/people", "nav.people"),
            ("/organisations", "nav.organisations"),
            ("/statistics", "nav.statistics"),
            ("/billing", "nav.billing"),
            ("/deliveries", "nav.deliveries"),
            ("/feed", "nav.feed"),
        ],
    }
}

/// A page of a signed-in user: header, navigation, language switch, sign-out.
pub fn layout(page: &Page, title: &str, content: Markup) -> Markup {
    let l = page.l;
    let here = page.path.split('?').next().unwrap_or("/");
    html! {
        (DOCTYPE)
        html lang=(l.code()) {
            (head(title, Some(&page.csrf)))
            (body(l, true, html! {
            header class="top" {
                a class="brand" href="/" { "Mittler" }
                nav aria-label=(l.t("nav.label")) {
                    ul {
                        @for (path, key) in nav_items(page.user.role()) {
                            li {
                                @if *path == here {
                                    a href=(path) aria-current="page" { (l.t(key)) }
                                } @else {
                                    a href=(path) { (l.t(key)) }
                                }
                            }
                        }
                    }
                }
                div class="who" {
                    a href="/profile" aria-current=[(here == "/profile").then_some("page")] {
                        (page.user.user.name) " · " (l.t(&format!("role.{}", page.user.role().as_str())))
                    }
                    a href=(format!("/lang/{}?next={}", l.other().code(), url_encode(&page.path)))
                        lang=(l.other().code()) hreflang=(l.other().code()) {
                        (l.t("nav.other_language"))
                    }
                    button type="button" class="link" data-post="/api/v1/auth/logout" data-then="go:/login" {
                        (l.t("nav.logout"))
                    }
                }
            }
            main id="main" {
                h1 { (title) }
                (content)
            }
            }))
        }
    }
}

// ---------------------------------------------------------------- formatting

/// `Mo 24.11.2026 09:30` or `Mon 2026-11-24 09:30`, in `zone`.
pub fn when(l: Lang, at: DateTime<Utc>, zone: TimeZone) -> String {
    let local = zone.local(at);
    let weekday = l.t(&format!("weekday.{}", local.weekday().number_from_monday()));
    match l.code() {
        "de" => format!("{weekday} {}", local.format("%d.%m.%Y %H:%M")),
        _ => format!("{weekday} {}", local.format("%Y-%m-%d %H:%M")),
    }
}

/// An ISO 8601 instant for `<time datetime>` and the countdowns.
pub fn iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The snake_case word serde uses for a vocabulary value.
pub fn code<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Every qualification, lowest first.
pub const QUALIFICATIONS: [mittler_types::Qualification; 3] = [
    mittler_types::Qualification::Lay,
    mittler_types::Qualification::Trained,
    mittler_types::Qualification::Certified,
];

/// `<option>`s for vocabulary values, labelled by the words under `prefix`.
pub fn options<T: serde::Serialize>(l: Lang, prefix: &str, values: &[T], selected: &str) -> Markup {
    html! {
        @for value in values {
            @let c = code(value);
            option value=(c) selected[c == selected] { (l.t(&format!("{prefix}.{c}"))) }
        }
    }
}

pub fn state_badge(l: Lang, booking: &BookingView) -> Markup {
    let state = code(&booking.state);
    html! { span class=(format!("badge state-{state}")) { (l.t(&format!("state.{state}"))) } }
}

/// The display names of mediators, asked of availability; unknown ones are left out.
pub async fn mediator_names(
    state: &AppState,
    ids: impl IntoIterator<Item = MediatorId>,
) -> HashMap<MediatorId, String> {
    let mut unique: Vec<MediatorId> = ids.into_iter().collect();
    unique.sort_by_key(|id| id.as_uuid());
    unique.dedup();
    let calls = unique.into_iter().map(|mediator_id| async move {
        let profile = state
            .call::<mittler_contracts::availability::GetProfile>(
                &mittler_contracts::availability::MediatorRef { mediator_id },
            )
            .await
            .ok()?;
        Some((mediator_id, profile.display_name))
    });
    futures::future::join_all(calls)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Where a booking takes place, in words.
pub fn place(l: Lang, booking: &BookingView) -> String {
    let modality = l.t(&format!("modality.{}", code(&booking.details.modality)));
    match &booking.details.location {
        Some(location) => format!("{modality}: {}, {}", location.address, location.postal_code),
        None => modality,
    }
}

// ---------------------------------------------------------------- pages

async fn home(page: Option<Page>) -> Redirect {
    match page {
        None => Redirect::to("/login"),
        Some(page) => Redirect::to(match page.user.role() {
            Role::Requester => "/bookings",
            Role::Mediator => "/offers",
            Role::Coordinator | Role::Admin => "/queue",
        }),
    }
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub next: Option<String>,
    /// Why a single sign-on came back without signing in.
    pub sso: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<LoginQuery>,
) -> Response {
    let l = lang_of(&headers, None);
    let next = local_path(query.next.as_deref());
    let then = format!("go:{next}");
    let sso_reason = query
        .sso
        .as_deref()
        .filter(|r| matches!(*r, "no_account" | "expired" | "refused" | "failed"));
    bare(
        l,
        &l.t("login.title"),
        html! {
            main id="main" class="narrow" {
                h1 { "Mittler" }
                p class="lead" { (l.t("login.lead")) }
                @if let Some(reason) = sso_reason {
                    p role="alert" class="notice bad" { (l.t(&format!("login.sso_{reason}"))) }
                }
                @if let Some(oidc) = state.oidc.as_deref() {
                    p {
                        a class="button primary" href=(format!("/auth/oidc/login?next={}", url_encode(&next))) {
                            (oidc.label().map_or_else(|| l.t("login.sso"), str::to_owned))
                        }
                    }
                    p class="hint" { (l.t("login.or_password")) }
                }
                form data-api="/api/v1/auth/login" data-then=(then) novalidate {
                    div class="form-errors" role="alert" {}
                    p {
                        label for="email" { (l.t("login.email")) }
                        input id="email" name="email" type="email" autocomplete="username" required;
                    }
                    p {
                        label for="password" { (l.t("login.password")) }
                        input id="password" name="password" type="password" autocomplete="current-password" required;
                    }
                    button type="submit" class="primary" { (l.t("login.submit")) }
                }
                p { a href="/password-reset" { (l.t("login.forgot")) } }
                p {
                    a href=(format!("/lang/{}?next={}", l.other().code(), url_encode(&format!("/login?next={}", url_encode(&next)))))
                        lang=(l.other().code()) hreflang=(l.other().code()) {
                        (l.t("nav.other_language"))
                    }
                }
            }
        },
    )
    .into_response()
}

async fn switch_language(Path(code): Path<String>, Query(query): Query<NextQuery>) -> Response {
    let lang = Lang::from_code(&code);
    let mut response = Redirect::to(&local_path(query.next.as_deref())).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        lang.code()
    )) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

async fn feed_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    let query = crate::notifications::FeedQuery {
        unread: false,
        limit: Some(100),
    };
    let feed = crate::notifications::feed_of(&state, &page.user, &query)
        .await
        .or_page(l)?;
    Ok(layout(
        &page,
        &l.t("feed.title"),
        html! {
            section data-live="feed" aria-labelledby="feed-count" {
                p id="feed-count" { (l.tf("feed.unread", &[("n", &feed.unread.to_string())])) }
                @if feed.unread > 0 {
                    button type="button" data-post="/api/v1/notifications/read-all" data-then="reload" {
                        (l.t("feed.read_all"))
                    }
                }
                @if feed.items.is_empty() {
                    p class="empty" { (l.t("feed.empty")) }
                }
                ul class="cards" {
                    @for item in &feed.items {
                        li class=(if item.read_at.is_none() { "card unread" } else { "card" }) {
                            h2 class="h3" { (item.title) }
                            @if let Some(closed) = &item.closed {
                                p class="badge" { (l.opt(&format!("feed.closed.{closed}")).unwrap_or_else(|| l.t("feed.closed.withdrawn"))) }
                            }
                            p { (item.body) }
                            p class="meta" {
                                time datetime=(iso(item.created_at)) { (when(l, item.created_at, TimeZone::BERLIN)) }
                                @if let Some(link) = &item.link {
                                    " · " a href=(link) { (l.t("feed.open")) }
                                }
                            }
                            @if item.read_at.is_none() {
                                button type="button" data-post=(format!("/api/v1/notifications/{}/read", item.id)) data-then="reload" {
                                    (l.t("feed.mark_read"))
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_JS,
    )
        .into_response()
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        APP_CSS,
    )
        .into_response()
}
