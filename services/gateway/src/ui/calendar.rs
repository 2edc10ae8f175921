//! A mediator's jobs as a month: weeks from Monday, each day with its jobs, in the
//! mediator's own time zone. On a phone the days without jobs fold away.

use super::{OrPage, Page, UiError, layout, place};
use crate::state::AppState;
use axum::extract::{Query, State};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use maud::{Markup, html};
use mittler_contracts::booking::BookingView;
use mittler_types::BookingState;
use std::collections::BTreeMap;

/// The month shown: `YYYY-MM` (the current one when left out or not a month).
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct MonthQuery {
    month: Option<String>,
}

fn first_of(month: Option<&str>, today: NaiveDate) -> NaiveDate {
    month
        .and_then(|m| NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").ok())
        .unwrap_or_else(|| today.with_day(1).unwrap_or(today))
}

/// The days of the weeks (Monday to Sunday) that hold `first`'s month.
fn grid(first: NaiveDate) -> Vec<Vec<NaiveDate>> {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    let mut day = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let mut weeks = Vec::new();
    while day < next {
        weeks.push((0..7).map(|i| day + Duration::days(i)).collect());
        day += Duration::days(7);
    }
    weeks
}

pub(super) async fn calendar_page(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<MonthQuery>,
) -> Result<Markup, UiError> {
    let l = page.l;
    let zone = crate::mediators::own_calendar(&state, &page.user)
        .await
        .or_page(l)?
        .time_zone;
    let today = zone.local(Utc::now()).date();
    let first = first_of(query.month.as_deref(), today);
    let month_of = |months: i32| {
        let at = zone
            .resolve(first.and_hms_opt(12, 0, 0).unwrap_or_default())
            .unwrap_or_else(|_| Utc::now());
        crate::reports::month_start(zone, at, months)
    };
    let (from, until) = (month_of(0), month_of(1));
    let since = crate::reports::JobsQuery {
        since: Some(from.to_rfc3339()),
    };
    let jobs = crate::reports::jobs(&state, &page.user, &since)
        .await
        .or_page(l)?;
    let mut by_day: BTreeMap<NaiveDate, Vec<&BookingView>> = BTreeMap::new();
    for job in jobs.iter().filter(|j| {
        j.details.start < until
            && !matches!(j.state, BookingState::Cancelled | BookingState::Unfilled)
    }) {
        by_day
            .entry(zone.local(job.details.start).date())
            .or_default()
            .push(job);
    }
    for day in by_day.values_mut() {
        day.sort_by_key(|j| j.details.start);
    }
    let month_name = l.t(&format!("month.{}", first.month()));
    let shift = |months: u32, back: bool| {
        let to = if back {
            first.checked_sub_months(chrono::Months::new(months))
        } else {
            first.checked_add_months(chrono::Months::new(months))
        };
        to.unwrap_or(first).format("%Y-%m").to_string()
    };
    let count = by_day.values().map(Vec::len).sum::<usize>();
    let content = html! {
        nav class="pager" aria-label=(l.t("calendar.months")) {
            a href=(format!("/jobs/calendar?month={}", shift(1, true))) rel="prev" { "← " (l.t("calendar.previous")) }
            strong aria-live="polite" { (month_name) " " (first.year()) }
            a href=(format!("/jobs/calendar?month={}", shift(1, false))) rel="next" { (l.t("calendar.next")) " →" }
        }
        p class="meta" {
            (l.tn("calendar.count", count, &[])) " · " (l.tf("calendar.zone", &[("zone", zone.name())])) " · "
            a href="/jobs" { (l.t("calendar.list")) }
        }
        table class="month" {
            caption class="visually-hidden" { (month_name) " " (first.year()) }
            thead { tr {
                @for weekday in 1..=7 { th scope="col" { (l.t(&format!("weekday.{weekday}"))) } }
            } }
            tbody {
                @for week in grid(first) {
                    tr {
                        @for day in week {
                            @let jobs = by_day.get(&day);
                            @let class = [
                                (day.month() != first.month()).then_some("other-month"),
                                (day == today).then_some("today"),
                                jobs.is_none().then_some("free"),
                            ].into_iter().flatten().collect::<Vec<_>>().join(" ");
                            td class=(class) {
                                span class="day" {
                                    span class="weekday" { (l.t(&format!("weekday.{}", day.weekday().number_from_monday()))) " " }
                                    (day.format("%d.%m."))
                                }
                                @if let Some(jobs) = jobs {
                                    ul class="plain" {
                                        @for job in jobs {
                                            li {
                                                a href=(format!("/jobs/{}", job.id)) {
                                                    (zone.local(job.details.start).format("%H:%M")) " "
                                                    (l.language(job.details.language.as_str()))
                                                }
                                                span class="meta" { " · " (place(l, job)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout(&page, &l.t("calendar.title"), content))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn a_month_is_whole_weeks_from_monday() {
        // March 2027 begins on a Monday and holds the change to summer time.
        let weeks = grid(date("2027-03-01"));
        assert_eq!(weeks.len(), 5);
        assert_eq!(weeks[0][0], date("2027-03-01"));
        assert_eq!(weeks[4][6], date("2027-04-04"));
        // December 2026 begins on a Tuesday; the grid starts the Monday before.
        let weeks = grid(date("2026-12-01"));
        assert_eq!(weeks[0][0], date("2026-11-30"));
        assert_eq!(weeks.last().expect("a week")[6], date("2027-01-03"));
        assert!(weeks.iter().all(|w| w.len() == 7));
    }

    #[test]
    fn a_month_that_is_not_one_is_the_current_month() {
        let today = date("2026-12-31");
        assert_eq!(first_of(Some("2027-02"), today), date("2027-02-01"));
        assert_eq!(first_of(Some("gestern"), today), date("2026-12-01"));
        assert_eq!(first_of(None, today), date("2026-12-01"));
    }
}
