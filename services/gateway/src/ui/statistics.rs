//! The coordinators' statistics: fill rate and time to assign, in total, by
//! language and by month, over months they choose.

use super::coordinator::require_coordinator;
use super::{OrPage, Page, UiError, layout, when};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use maud::{Markup, html};
use mittler_contracts::booking::StatisticsLine;

pub fn router() -> Router<AppState> {
    Router::new().route("/statistics", get(statistics_page))
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{:.0} %", v * 100.0))
}

fn minutes(l: super::i18n::Lang, value: Option<f64>) -> String {
    match value {
        None => "–".into(),
        Some(m) if m < 120.0 => l.tf("booking.minutes", &[("n", &format!("{m:.0}"))]),
        Some(m) => l.tf("stats.hours", &[("n", &format!("{:.1}", m / 60.0))]),
    }
}

fn stats_table(
    l: super::i18n::Lang,
    caption: &str,
    first: &str,
    lines: &[StatisticsLine],
    label: impl Fn(&str) -> String,
) -> Markup {
    html! {
        div class="table-wrap" {
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (first) }
                    th scope="col" { (l.t("stats.bookings")) }
                    th scope="col" { (l.t("stats.filled")) }
                    th scope="col" { (l.t("stats.unfilled")) }
                    th scope="col" { (l.t("stats.cancelled")) }
                    th scope="col" { (l.t("stats.fill_rate")) }
                    th scope="col" { (l.t("stats.median")) }
                    th scope="col" { (l.t("stats.p90")) }
                } }
                tbody {
                    @for line in lines {
                        tr {
                            th scope="row" { (label(&line.key)) }
                            td { (line.bookings) }
                            td { (line.filled) }
                            td { (line.unfilled) }
                            td { (line.cancelled) }
                            td {
                                (percent(line.fill_rate))
                                @if let Some(rate) = line.fill_rate {
                                    " " meter min="0" max="1" value=(format!("{rate:.3}")) aria-hidden="true" {}
                                }
                            }
                            td { (minutes(l, line.median_minutes_to_assign)) }
                            td { (minutes(l, line.p90_minutes_to_assign)) }
                        }
                    }
                }
            }
        }
    }
}

/// The statistics page's period: whole months (`YYYY-MM`, first and last), or the
/// API's instants.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StatisticsPeriod {
    pub from: Option<String>,
    pub to: Option<String>,
    pub from_month: Option<String>,
    pub to_month: Option<String>,
}

/// The first instant of `month` (`YYYY-MM`) plus `months`, in `zone`.
fn month_instant(zone: mittler_types::TimeZone, month: &str, months: i32) -> Option<String> {
    let first = chrono::NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let midday = zone.resolve(first.and_hms_opt(12, 0, 0)?).ok()?;
    Some(crate::reports::month_start(zone, midday, months).to_rfc3339())
}

async fn statistics_page(
    State(state): State<AppState>,
    page: Page,
    Query(period): Query<StatisticsPeriod>,
) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let zone = crate::directory::organisation(state.pool(), page.user.user.organisation_id)
        .await
        .ok()
        .flatten()
        .map(|o| o.time_zone)
        .unwrap_or(mittler_types::TimeZone::BERLIN);
    let month = |text: &Option<String>, months| {
        text.as_deref()
            .filter(|t| !t.is_empty())
            .and_then(|t| month_instant(zone, t, months))
    };
    let query = crate::reports::StatisticsQuery {
        from: month(&period.from_month, 0).or(period.from),
        to: month(&period.to_month, 1).or(period.to),
    };
    let report = crate::reports::statistics_report(&state, &page.user, &query)
        .await
        .or_page(l)?;
    let last_month = zone
        .local(report.to - chrono::Duration::seconds(1))
        .format("%Y-%m")
        .to_string();
    let first_month = zone.local(report.from).format("%Y-%m").to_string();
    let content = html! {
        form method="get" action="/statistics" class="inline filters" {
            span {
                label for="from-month" { (l.t("stats.from_month")) }
                input id="from-month" name="from_month" type="month" value=(first_month);
            }
            span {
                label for="to-month" { (l.t("stats.to_month")) }
                input id="to-month" name="to_month" type="month" value=(last_month);
            }
            button type="submit" { (l.t("bookings.apply")) }
        }
        p class="lead" {
            (l.tf("stats.period", &[("from", &when(l, report.from, zone)), ("to", &when(l, report.to, zone))]))
        }
        (stats_table(l, &l.t("stats.total"), &l.t("stats.scope"), std::slice::from_ref(&report.total), |_| l.t("stats.all")))
        (stats_table(l, &l.t("stats.by_language"), &l.t("booking.language"), &report.by_language, |key| l.language(key)))
        (stats_table(l, &l.t("stats.by_month"), &l.t("stats.month"), &report.by_month, str::to_owned))
    };
    Ok(layout(&page, &l.t("stats.title"), content))
}
