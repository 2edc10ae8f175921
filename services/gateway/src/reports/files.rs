//! The report for funders as files: CSV (UTF-8 with BOM; in German with semicolons and
//! decimal commas, in English with commas and points, as spreadsheet programs of each
//! open it) and a PDF report with bar charts and tables, in the reader's language.

use super::funders::{FundersReport, ReportRow};
use super::suppress::Count;
use crate::ui::i18n::Lang;
use mittler_billing::pdf::{self, BOLD, REGULAR, Writer};
use mittler_contracts::booking::ReportBy;

/// What a row's key reads as: a language's name, a district, a subject area …
pub fn key_label(l: Lang, by: ReportBy, key: &str) -> String {
    if key.is_empty() {
        return l.t("report.unknown");
    }
    match by {
        ReportBy::Language => l.language(key),
        ReportBy::Region => key.to_owned(),
        ReportBy::SubjectArea => l.t(&format!("subject.{key}")),
        ReportBy::Modality => l.t(&format!("modality.{key}")),
        ReportBy::OrganisationKind => l.t(&format!("organisation_kind.{key}")),
    }
}

/// `2026-03` as "März 2026".
pub fn month_label(l: Lang, month: &str) -> String {
    match month.split_once('-') {
        Some((year, m)) => match m.parse::<u32>() {
            Ok(m) => format!("{} {year}", l.t(&format!("month.{m}"))),
            Err(_) => month.to_owned(),
        },
        None => month.to_owned(),
    }
}

pub fn percent(l: Lang, rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".into(), |r| format!("{} %", l.decimal(r * 100.0, 0)))
}

fn number(l: Lang, value: Option<f64>, places: usize) -> String {
    value.map_or_else(String::new, |v| l.decimal(v, places))
}

/// The column heads of the CSV, in order.
const COLUMNS: [&str; 19] = [
    "report.month",
    "report.key",
    "report.label",
    "report.bookings",
    "report.filled",
    "report.unfilled",
    "report.cancelled_late",
    "report.cancelled_timely",
    "report.open",
    "report.fill_rate_percent",
    "report.median_minutes_to_assign",
    "report.p90_minutes_to_assign",
    "report.calls",
    "report.connected",
    "report.median_seconds_to_ring",
    "report.p90_seconds_to_ring",
    "report.median_seconds_to_connect",
    "report.p90_seconds_to_connect",
    "report.worked_hours",
];

fn csv_record(l: Lang, by: ReportBy, row: &ReportRow) -> Vec<String> {
    let count = |c: Count| c.to_string();
    vec![
        row.month
            .clone()
            .unwrap_or_else(|| l.t("report.all_months")),
        row.key.clone().unwrap_or_else(|| l.t("report.all_keys")),
        row.key
            .as_deref()
            .map_or_else(|| l.t("report.all_keys"), |k| key_label(l, by, k)),
        count(row.bookings),
        count(row.filled),
        count(row.unfilled),
        count(row.cancelled_late),
        count(row.cancelled_timely),
        count(row.open),
        number(l, row.fill_rate.map(|r| r * 100.0), 1),
        number(l, row.median_minutes_to_assign, 1),
        number(l, row.p90_minutes_to_assign, 1),
        count(row.calls),
        count(row.connected),
        number(l, row.median_seconds_to_ring, 0),
        number(l, row.p90_seconds_to_ring, 0),
        number(l, row.median_seconds_to_connect, 0),
        number(l, row.p90_seconds_to_connect, 0),
        number(l, row.worked_hours, 2),
    ]
}

/// Every line of the report: each month and key, each key, each month, the total.
fn all_rows(report: &FundersReport) -> impl Iterator<Item = &ReportRow> {
    report
        .rows
        .iter()
        .chain(&report.by_key)
        .chain(&report.by_month)
        .chain(std::iter::once(&report.total))
}

pub fn csv(l: Lang, report: &FundersReport) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let delimiter = if l.code() == "de" { b';' } else { b',' };
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(&mut out);
        let _ = writer.write_record(COLUMNS.map(|key| l.t(key)));
        for row in all_rows(report) {
            let _ = writer.write_record(csv_record(l, report.by, row));
        }
        let _ = writer.flush();
    }
    out
}

/// Where the numbers of a PDF table end, from the left.
const EDGES: [f32; 7] = [256.0, 298.0, 346.0, 394.0, 432.0, 490.0, pdf::RIGHT];

fn table(w: &mut Writer, l: Lang, title: &str, rows: &[(String, &ReportRow)]) {
    w.gap(10.0);
    w.line(BOLD, 12.0, title);
    let heads = [
        l.t("report.bookings"),
        l.t("report.filled"),
        l.t("report.unfilled_short"),
        l.t("report.cancelled"),
        l.t("report.rate_short"),
        l.t("report.median_short"),
        l.t("report.hours_short"),
    ];
    let columns: Vec<(f32, &str)> = EDGES
        .iter()
        .copied()
        .zip(heads.iter().map(String::as_str))
        .collect();
    w.cells(BOLD, 7.5, "", &columns);
    w.rule();
    for (label, row) in rows {
        let cancelled = match (row.cancelled_late, row.cancelled_timely) {
            (Count::Shown(a), Count::Shown(b)) => (a + b).to_string(),
            _ => "<5".into(),
        };
        let values = [
            row.bookings.to_string(),
            row.filled.to_string(),
            row.unfilled.to_string(),
            cancelled,
            percent(l, row.fill_rate),
            row.median_minutes_to_assign
                .map_or_else(|| "–".into(), |m| l.decimal(m, 0)),
            row.worked_hours
                .map_or_else(|| "–".into(), |h| l.decimal(h, 1)),
        ];
        let columns: Vec<(f32, &str)> = EDGES
            .iter()
            .copied()
            .zip(values.iter().map(String::as_str))
            .collect();
        let label: String = label.chars().take(34).collect();
        w.cells(REGULAR, 8.5, &label, &columns);
    }
}

pub fn pdf(l: Lang, report: &FundersReport) -> Vec<u8> {
    let mut w = Writer::new();
    let period = l.tf(
        "report.period",
        &[
            ("from", &month_label(l, &report.from)),
            ("to", &month_label(l, &report.to)),
        ],
    );
    let by = l.t(&format!("report.by_{}", report.by.code()));
    // A calendar year is the annual report.
    let year = report
        .from
        .strip_suffix("-01")
        .filter(|y| report.to == format!("{y}-12"));
    let title = match year {
        Some(year) => l.tf("report.annual_title", &[("year", year)]),
        None => l.t("report.pdf_title"),
    };
    w.line(BOLD, 16.0, &title);
    w.line(REGULAR, 10.0, &format!("{period} · {by}"));
    w.gap(6.0);
    let t = &report.total;
    let summary = [
        (l.t("report.bookings"), t.bookings.to_string()),
        (l.t("report.filled"), t.filled.to_string()),
        (l.t("report.unfilled"), t.unfilled.to_string()),
        (l.t("report.cancelled_late"), t.cancelled_late.to_string()),
        (
            l.t("report.cancelled_timely"),
            t.cancelled_timely.to_string(),
        ),
        (l.t("report.fill_rate"), percent(l, t.fill_rate)),
        (
            l.t("report.median_minutes_to_assign"),
            number(l, t.median_minutes_to_assign, 0),
        ),
        (l.t("report.calls"), t.calls.to_string()),
        (
            l.t("report.median_seconds_to_connect"),
            number(l, t.median_seconds_to_connect, 0),
        ),
        (l.t("report.worked_hours"), number(l, t.worked_hours, 1)),
    ];
    for (label, value) in &summary {
        let value = if value.is_empty() { "–" } else { value };
        w.row(REGULAR, 10.0, label, value);
    }
    w.gap(10.0);
    w.line(BOLD, 12.0, &l.t("report.chart_fill_rate"));
    for row in &report.by_month {
        let month = row.month.as_deref().unwrap_or_default();
        w.bar(
            &month_label(l, month),
            row.fill_rate.unwrap_or(0.0) as f32,
            &percent(l, row.fill_rate),
        );
    }
    w.gap(10.0);
    w.line(
        BOLD,
        12.0,
        &l.t(&format!("report.chart_by_{}", report.by.code())),
    );
    let most = report
        .by_key
        .iter()
        .filter_map(|r| r.bookings.shown())
        .max()
        .unwrap_or(1)
        .max(1);
    for row in report.by_key.iter().take(20) {
        let key = row.key.as_deref().unwrap_or_default();
        let label: String = key_label(l, report.by, key).chars().take(30).collect();
        let fraction = row.bookings.shown().map_or(0.0, |n| n as f32 / most as f32);
        w.bar(&label, fraction, &row.bookings.to_string());
    }
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
    table(&mut w, l, &by, &by_key);
    let by_month: Vec<(String, &ReportRow)> = report
        .by_month
        .iter()
        .map(|r| (month_label(l, r.month.as_deref().unwrap_or_default()), r))
        .collect();
    table(&mut w, l, &l.t("report.by_month"), &by_month);
    w.gap(12.0);
    w.line(REGULAR, 8.0, &l.t("report.hidden_note"));
    w.line(REGULAR, 8.0, &l.t("report.late_note"));
    pdf::finish(w, &format!("{title} ({period})"))
}
