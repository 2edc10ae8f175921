//! The account pages: asking for a reset link, setting a password through an
//! invitation's or a reset's link, and the signed-in person's profile with the
//! change of name, language (and a mediator's phone, languages, travel radius and
//! mail choice) and of password. The forms send to the same API as any client.

use super::i18n::Lang;
use super::{OrPage, Page, UiError, bare, lang_of, layout};
use crate::problem::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use mittler_contracts::availability::{GetProfile, MediatorRef};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/password-reset", get(reset_page))
        .route("/password/{token}", get(set_page))
        .route("/profile", get(profile_page))
}

/// The fields of a new password, with the rules said before anyone fails them.
fn new_password_fields(l: Lang, name: &str) -> Markup {
    html! {
        p {
            label for="new-password" { (l.t("password.new")) }
            input id="new-password" name=(name) type="password" autocomplete="new-password"
                minlength="12" required aria-describedby="password-rules";
        }
        p id="password-rules" class="hint" { (l.t("password.rules")) }
    }
}

async fn reset_page(headers: HeaderMap) -> Response {
    let l = lang_of(&headers, None);
    bare(
        l,
        &l.t("password.reset_title"),
        html! {
            main id="main" class="narrow" {
                h1 { (l.t("password.reset_title")) }
                p class="lead" { (l.t("password.reset_lead")) }
                form data-api="/api/v1/auth/password-reset" data-then="go:/login"
                    data-done=(l.t("password.reset_sent")) novalidate {
                    div class="form-errors" role="alert" {}
                    p {
                        label for="email" { (l.t("login.email")) }
                        input id="email" name="email" type="email" autocomplete="username" required;
                    }
                    button type="submit" class="primary" { (l.t("password.reset_submit")) }
                }
                p { a href="/login" { (l.t("password.back_to_login")) } }
            }
        },
    )
    .into_response()
}

async fn set_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Response {
    let l = lang_of(&headers, None);
    let title = l.t("password.set_title");
    let content = match crate::accounts::link_user(&state, &token).await {
        Ok(user) => {
            // The switch's choice, else the language the account was invited in.
            let l = crate::auth::cookie_value(&headers, super::LANG_COOKIE)
                .map_or_else(|| Lang::from_code(&user.locale), |c| Lang::from_code(&c));
            html! {
                main id="main" class="narrow" {
                    h1 { (l.t("password.set_title")) }
                    p class="lead" { (l.tf("password.set_lead", &[("name", &user.name)])) }
                    form data-api=(format!("/api/v1/auth/password-reset/{token}"))
                        data-then="go:/login" data-done=(l.t("password.set_done")) novalidate {
                        div class="form-errors" role="alert" {}
                        // For password managers: whose password this is.
                        input type="email" name="username" value=(user.email) autocomplete="username"
                            hidden readonly data-path-only;
                        (new_password_fields(l, "password"))
                        button type="submit" class="primary" { (l.t("password.set_submit")) }
                    }
                }
            }
        }
        Err(_) => html! {
            main id="main" class="narrow" {
                h1 { (title) }
                p role="alert" { (l.t("password.link_invalid")) }
                p { a href="/password-reset" { (l.t("password.ask_again")) } }
            }
        },
    };
    bare(l, &title, content).into_response()
}

async fn profile_page(State(state): State<AppState>, page: Page) -> Result<Markup, UiError> {
    let l = page.l;
    let user = &page.user.user;
    let profile = match user.mediator_id {
        Some(mediator_id) => Some(
            state
                .call::<GetProfile>(&MediatorRef { mediator_id })
                .await
                .map_err(ApiError::from)
                .or_page(l)?,
        ),
        None => None,
    };
    Ok(layout(
        &page,
        &l.t("profile.title"),
        html! {
            dl class="facts" {
                dt { (l.t("login.email")) } dd { (user.email) }
                dt { (l.t("profile.role")) } dd { (l.t(&format!("role.{}", user.role.as_str()))) }
            }
            form data-api="/api/v1/me" data-method="PUT" data-then="reload"
                data-done=(l.t("js.saved")) novalidate class="stack" {
                h2 { (l.t("profile.details")) }
                div class="form-errors" role="alert" {}
                p { label for="p-name" { (l.t("profile.name")) }
                    input id="p-name" name="name" value=(user.name) autocomplete="name" required; }
                p {
                    label for="p-locale" { (l.t("profile.locale")) }
                    select id="p-locale" name="locale" {
                        @for code in super::i18n::LANGUAGES {
                            option value=(code) selected[*code == user.locale] { (l.language(code)) }
                        }
                    }
                }
                @if let Some(profile) = &profile {
                    p { label for="p-phone" { (l.t("profile.phone")) }
                        input id="p-phone" name="mediator.phone" type="tel" autocomplete="tel"
                            value=[profile.phone.as_deref()]; }
                    fieldset data-array="mediator.languages" {
                        legend { (l.t("profile.languages")) }
                        @for skill in &profile.languages {
                            label class="choice" {
                                input type="checkbox" name="mediator.languages[]" value=(skill.code.as_str()) checked;
                                (l.language(skill.code.as_str())) " ("
                                (l.t(&format!("qualification.{}", super::code(&skill.qualification)))) ")"
                            }
                        }
                        p { label for="p-new-language" { (l.t("profile.add_language")) }
                            input id="p-new-language" name="mediator.languages[]" autocomplete="off"
                                aria-describedby="p-language-hint"; }
                        p id="p-language-hint" class="hint" { (l.t("profile.language_hint")) }
                    }
                    p { label for="p-km" { (l.t("mediators.max_km")) }
                        input id="p-km" name="mediator.max_travel_km" type="number" data-type="number"
                            min="0" max="1000" value=(profile.max_travel_km); }
                    p { label class="choice" {
                        input type="checkbox" name="mediator.notify_by_email" checked[profile.notify_by_email];
                        (l.t("profile.notify_by_email"))
                    } }
                    p { label class="choice" {
                        input id="p-same-day" type="checkbox" name="mediator.accepts_same_day" checked[profile.accepts_same_day]
                            aria-describedby="p-same-day-hint";
                        (l.t("profile.same_day"))
                    } }
                    p id="p-same-day-hint" class="hint" { (l.t("profile.same_day_hint")) }
                }
                button type="submit" class="primary" { (l.t("profile.save")) }
            }
            section aria-labelledby="change-password" {
                h2 id="change-password" { (l.t("profile.change_password")) }
                p { (l.t("profile.change_password_lead")) }
                form data-api="/api/v1/auth/password" data-then="reload"
                    data-done=(l.t("profile.password_changed")) novalidate {
                    div class="form-errors" role="alert" {}
                    input type="email" name="username" value=(user.email) autocomplete="username"
                        hidden readonly data-path-only;
                    p {
                        label for="current-password" { (l.t("password.current")) }
                        input id="current-password" name="current_password" type="password"
                            autocomplete="current-password" required;
                    }
                    (new_password_fields(l, "new_password"))
                    button type="submit" class="primary" { (l.t("profile.change_submit")) }
                }
            }
        },
    ))
}
