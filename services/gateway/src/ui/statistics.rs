//! The coordinators' statistics: the report for funders over months they choose, by
//! the breakdown they choose — the key figures, charts (fill rate by month, requests
//! by key, time to assign by month) with their values as tables, every line of the
//! report, the on-demand calls, and the report as CSV and PDF.

use super::charts::{self, Bar, Chart};
use super::coordinator::require_coordinator;
use super::{OrPage, Page, UiError, layout};
use crate::reports::files::{key_label, month_label, percent};
use crate::reports::funders::{FundersReport, ReportQuery, ReportRow, funders_report};
use crate::state::AppState;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::routing::get;
use chrono::Datelike as _;
use maud::{Markup, html};
use mittler_contracts::booking::ReportBy;

pub fn router() -> Router<AppState> {
    Router::new().route("/statistics", get(statistics_page))
}

fn minutes(l: super::i18n::Lang, value: Option<f64>) -> String {
    match value {
        None => "–".into(),
        Some(m) if m < 120.0 => l.tf("report.minutes", &[("n", &format!("{m:.0}"))]),
        Some(m) => l.tf("report.hours", &[("n", &l.decimal(m / 60.0, 1))]),
    }
}

fn seconds(l: super::i18n::Lang, value: Option<f64>) -> String {
    value.map_or_else(
        || "–".into(),
        |s| l.tf("report.seconds", &[("n", &l.decimal(s, 0))]),
    )
}

/// The report's lines as a table: the first column names each line.
fn report_table(
    l: super::i18n::Lang,
    caption: &str,
    first: &str,
    lines: &[(String, &ReportRow)],
) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table class="report" {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (first) }
                    th scope="col" { (l.t("report.bookings")) }
                    th scope="col" { (l.t("report.filled")) }
                    th scope="col" { (l.t("report.unfilled")) }
                    th scope="col" { (l.t("report.cancelled_late")) }
                    th scope="col" { (l.t("report.cancelled_timely")) }
                    th scope="col" { (l.t("report.open")) }
                    th scope="col" { (l.t("report.fill_rate")) }
                    th scope="col" { (l.t("report.assign_median")) }
                    th scope="col" { (l.t("report.assign_p90")) }
                    th scope="col" { (l.t("report.hours_short")) }
                } }
                tbody {
                    @for (label, row) in lines {
                        tr {
                            th scope="row" { (label) }
                            td { (row.bookings) }
                            td { (row.filled) }
                            td { (row.unfilled) }
                            td { (row.cancelled_late) }
                            td { (row.cancelled_timely) }
                            td { (row.open) }
                            td { (percent(l, row.fill_rate)) }
                            td { (minutes(l, row.median_minutes_to_assign)) }
                            td { (minutes(l, row.p90_minutes_to_assign)) }
                            td { (row.worked_hours.map_or_else(|| "–".into(), |h| l.decimal(h, 1))) }
                        }
                    }
                }
            }
        }
    }
}

fn calls_table(l: super::i18n::Lang, first: &str, lines: &[(String, &ReportRow)]) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label=(l.t("report.calls_title")) {
            table class="report" {
                caption { (l.t("report.calls_title")) }
                thead { tr {
                    th scope="col" { (first) }
                    th scope="col" { (l.t("report.calls")) }
                    th scope="col" { (l.t("report.connected")) }
                    th scope="col" { (l.t("report.median_seconds_to_ring")) }
                    th scope="col" { (l.t("report.p90_seconds_to_ring")) }
                    th scope="col" { (l.t("report.median_seconds_to_connect")) }
                    th scope="col" { (l.t("report.p90_seconds_to_connect")) }
                } }
                tbody {
                    @for (label, row) in lines {
                        tr {
                            th scope="row" { (label) }
                            td { (row.calls) }
                            td { (row.connected) }
                            td { (seconds(l, row.median_seconds_to_ring)) }
                            td { (seconds(l, row.p90_seconds_to_ring)) }
                            td { (seconds(l, row.median_seconds_to_connect)) }
                            td { (seconds(l, row.p90_seconds_to_connect)) }
                        }
                    }
                }
            }
        }
    }
}

/// `2026-03` as `03/26`, for a chart's axis.
fn axis_month(month: &str) -> String {
    match (month.get(5..7), month.get(2..4)) {
        (Some(m), Some(y)) => format!("{m}/{y}"),
        _ => month.to_owned(),
    }
}

fn charts(l: super::i18n::Lang, report: &FundersReport) -> Markup {
    let by_month = |value: &dyn Fn(&ReportRow) -> (Option<f64>, String)| -> Vec<Bar> {
        report
            .by_month
            .iter()
            .map(|r| {
                let month = r.month.as_deref().unwrap_or_default();
                let (value, text) = value(r);
                Bar {
                    label: month_label(l, month),
                    axis: axis_month(month),
                    value,
                    text,
                }
            })
            .collect()
    };
    let fill = by_month(&|r| (r.fill_rate, percent(l, r.fill_rate)));
    let assign = by_month(&|r| {
        (
            r.median_minutes_to_assign,
            r.median_minutes_to_assign
                .map_or_else(|| "–".into(), |m| l.decimal(m, 0)),
        )
    });
    let keys: Vec<Bar> = report
        .by_key
        .iter()
        .take(12)
        .map(|r| {
            let label = key_label(l, report.by, r.key.as_deref().unwrap_or_default());
            Bar {
                axis: label.clone(),
                label,
                value: r.bookings.shown().map(|n| n as f64),
                text: r.bookings.to_string(),
            }
        })
        .collect();
    let most = keys.iter().filter_map(|b| b.value).fold(0.0, f64::max);
    let slowest = assign.iter().filter_map(|b| b.value).fold(0.0, f64::max);
    let best = fill
        .iter()
        .filter_map(|b| b.value.map(|v| (v, b.label.clone())))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let table_caption = l.t("report.chart_table");
    let month_head = l.t("report.month");
    let key_head = l.t(&format!("report.by_{}", report.by.code()));
    let fill_title = l.t("report.chart_fill_rate");
    let fill_head = l.t("report.fill_rate");
    let fill_desc = match &best {
        Some((rate, month)) => l.tf(
            "report.chart_fill_rate_desc",
            &[("best", &percent(l, Some(*rate))), ("month", month)],
        ),
        None => l.t("report.chart_empty_desc"),
    };
    let key_title = l.t(&format!("report.chart_by_{}", report.by.code()));
    let bookings_head = l.t("report.bookings");
    let key_desc = match keys.first() {
        Some(first) => l.tf(
            "report.chart_by_key_desc",
            &[("first", &first.label), ("n", &first.text)],
        ),
        None => l.t("report.chart_empty_desc"),
    };
    let assign_title = l.t("report.chart_time_to_assign");
    let assign_head = l.t("report.median_minutes_to_assign");
    let assign_desc = l.t("report.chart_time_to_assign_desc");
    html! {
        div class="charts" {
            (charts::columns(&Chart { id: "chart-fill", title: &fill_title, desc: &fill_desc,
                value_head: &fill_head, label_head: &month_head, table_caption: &table_caption, max: 1.0 }, &fill))
            (charts::rows(&Chart { id: "chart-keys", title: &key_title, desc: &key_desc,
                value_head: &bookings_head, label_head: &key_head, table_caption: &table_caption, max: most }, &keys))
            (charts::columns(&Chart { id: "chart-assign", title: &assign_title, desc: &assign_desc,
                value_head: &assign_head, label_head: &month_head, table_caption: &table_caption, max: slowest }, &assign))
        }
    }
}

/// The page's choice: months `YYYY-MM` and the breakdown, as the API takes them.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StatisticsChoice {
    pub from: Option<String>,
    pub to: Option<String>,
    pub by: Option<String>,
}

async fn statistics_page(
    State(state): State<AppState>,
    page: Page,
    Query(choice): Query<StatisticsChoice>,
) -> Result<Markup, UiError> {
    let l = page.l;
    require_coordinator(&page)?;
    let query = ReportQuery {
        from: choice.from,
        to: choice.to,
        by: choice.by,
        pool: None,
        format: Some("json".into()),
    };
    let (report, _) = funders_report(&state, &page.user, &query, &HeaderMap::new())
        .await
        .or_page(l)?;
    let download = |format: &str| {
        format!(
            "/api/v1/reports?from={}&to={}&by={}&format={format}",
            report.from,
            report.to,
            report.by.code()
        )
    };
    let by_head = l.t(&format!("report.by_{}", report.by.code()));
    let by_key: Vec<(String, &ReportRow)> = report
        .by_key
        .iter()
        .map(|r| {
            (
                key_label(l, report.by, r.key.as_deref().unwrap_or_default()),
                r,
            )
        })
        .collect();
    let by_month: Vec<(String, &ReportRow)> = report
        .by_month
        .iter()
        .map(|r| (month_label(l, r.month.as_deref().unwrap_or_default()), r))
        .collect();
    let total = vec![(l.t("stats.all"), &report.total)];
    let t = &report.total;
    let content = html! {
        form method="get" action="/statistics" class="inline filters" {
            span {
                label for="from-month" { (l.t("stats.from_month")) }
                input id="from-month" name="from" type="month" value=(report.from);
            }
            span {
                label for="to-month" { (l.t("stats.to_month")) }
                input id="to-month" name="to" type="month" value=(report.to);
            }
            span {
                label for="by" { (l.t("report.by")) }
                select id="by" name="by" {
                    @for by in ReportBy::ALL {
                        option value=(by.code()) selected[by == report.by] { (l.t(&format!("report.by_{}", by.code()))) }
                    }
                }
            }
            button type="submit" { (l.t("bookings.apply")) }
        }
        p class="lead" {
            (l.tf("report.period", &[("from", &month_label(l, &report.from)), ("to", &month_label(l, &report.to))]))
            " · " (by_head)
        }
        @let last_year = chrono::Utc::now().year() - 1;
        p class="actions" {
            a href=(download("csv")) download { (l.t("report.download_csv")) }
            " · "
            a href=(download("pdf")) download { (l.t("report.download_pdf")) }
            " · "
            a href=(format!("/api/v1/reports?from={last_year}-01&to={last_year}-12&by={}&format=pdf", report.by.code())) download {
                (l.tf("report.annual_download", &[("year", &last_year.to_string())]))
            }
        }
        dl class="figures" id="report-figures" {
            div { dt { (l.t("report.bookings")) } dd { (t.bookings) } }
            div { dt { (l.t("report.fill_rate")) } dd { (percent(l, t.fill_rate)) } }
            div { dt { (l.t("report.median_minutes_to_assign")) } dd { (minutes(l, t.median_minutes_to_assign)) } }
            div { dt { (l.t("report.calls")) } dd { (t.calls) } }
            div { dt { (l.t("report.median_seconds_to_connect")) } dd { (seconds(l, t.median_seconds_to_connect)) } }
            div { dt { (l.t("report.worked_hours")) } dd { (t.worked_hours.map_or_else(|| "–".into(), |h| l.decimal(h, 1))) } }
        }
        (report_table(l, &l.t("stats.total"), &l.t("stats.scope"), &total))
        @if report.by_month.is_empty() {
            p { (l.t("report.nothing")) }
        } @else {
            (charts(l, &report))
        }
        (report_table(l, &by_head, &by_head, &by_key))
        (report_table(l, &l.t("report.by_month"), &l.t("report.month"), &by_month))
        @if report.total.calls == crate::reports::suppress::Count::Shown(0) {
            p { strong { (l.t("report.calls_title")) ": " } (l.t("report.no_calls")) }
        } @else {
            @let with_calls: Vec<(String, &ReportRow)> = by_key.iter()
                .filter(|(_, r)| r.calls != crate::reports::suppress::Count::Shown(0))
                .map(|(label, r)| (label.clone(), *r)).collect();
            (calls_table(l, &by_head, &with_calls))
        }
        p class="meta" { (l.t("report.hidden_note")) " " (l.t("report.late_note")) }
    };
    Ok(layout(&page, &l.t("stats.title"), content))
}
