//! Bar charts drawn on the server as SVG: they need no JavaScript, scale with the
//! page, and each comes with its text alternative (`title` and `desc`) and its values
//! as a table beside it for screen readers (the page's own tables show them to
//! everyone).

use maud::{Markup, html};

/// One bar: its label (in the table), its label on the chart's axis, its length
/// (`None`: nothing to draw, e.g. a hidden count) and the value as written.
#[derive(Clone, Debug)]
pub struct Bar {
    pub label: String,
    pub axis: String,
    pub value: Option<f64>,
    pub text: String,
}

/// What a chart is of: its id (for the text alternative), title, one-sentence
/// description, the head of the table's value column, and the largest value the
/// scale shows.
#[derive(Clone, Debug)]
pub struct Chart<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
    pub value_head: &'a str,
    pub label_head: &'a str,
    pub table_caption: &'a str,
    pub max: f64,
}

fn scale(value: Option<f64>, max: f64) -> f64 {
    if max <= 0.0 {
        return 0.0;
    }
    value.map_or(0.0, |v| (v / max).clamp(0.0, 1.0))
}

fn table(chart: &Chart, bars: &[Bar]) -> Markup {
    html! {
        div class="chart-data visually-hidden" {
            table {
                caption { (chart.table_caption) }
                thead { tr {
                    th scope="col" { (chart.label_head) }
                    th scope="col" { (chart.value_head) }
                } }
                tbody {
                    @for bar in bars {
                        tr { th scope="row" { (bar.label) } td { (bar.text) } }
                    }
                }
            }
        }
    }
}

/// Vertical bars side by side (one per month), each labelled below and valued above.
pub fn columns(chart: &Chart, bars: &[Bar]) -> Markup {
    let step = 56.0;
    let (top, height) = (22.0, 140.0);
    let width = (bars.len().max(1) as f64) * step + 8.0;
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);
    html! {
        figure class="chart" {
            figcaption class="h3" { (chart.title) }
            div class="chart-scroll" {
                svg viewBox=(format!("0 0 {width} {}", top + height + 34.0)) width=(width) height=(top + height + 34.0)
                    role="img" aria-labelledby=(format!("{title_id} {desc_id}")) focusable="false"
                    xmlns="http://www.w3.org/2000/svg" {
                    title id=(title_id) { (chart.title) }
                    desc id=(desc_id) { (chart.desc) }
                    line x1="4" y1=(top + height) x2=(width - 4.0) y2=(top + height) class="axis" {}
                    @for (i, bar) in bars.iter().enumerate() {
                        @let h = scale(bar.value, chart.max) * height;
                        @let x = 8.0 + i as f64 * step;
                        @if bar.value.is_some() {
                            rect x=(x) y=(top + height - h) width=(step - 14.0) height=(h.max(1.0)) class="bar" {}
                        }
                        text x=(x + (step - 14.0) / 2.0) y=(top + height - h - 6.0) text-anchor="middle" class="value" { (bar.text) }
                        text x=(x + (step - 14.0) / 2.0) y=(top + height + 18.0) text-anchor="middle" class="label" { (bar.axis) }
                    }
                }
            }
            (table(chart, bars))
        }
    }
}

/// Horizontal bars one under the other (one per language, region …), labelled on the
/// left and valued at their end.
pub fn rows(chart: &Chart, bars: &[Bar]) -> Markup {
    let (row, label_width, bar_width) = (26.0, 190.0, 300.0);
    let width = label_width + bar_width + 70.0;
    let height = (bars.len().max(1) as f64) * row + 8.0;
    let title_id = format!("{}-title", chart.id);
    let desc_id = format!("{}-desc", chart.id);
    html! {
        figure class="chart" {
            figcaption class="h3" { (chart.title) }
            div class="chart-scroll" {
                svg viewBox=(format!("0 0 {width} {height}")) width=(width) height=(height)
                    role="img" aria-labelledby=(format!("{title_id} {desc_id}")) focusable="false"
                    xmlns="http://www.w3.org/2000/svg" {
                    title id=(title_id) { (chart.title) }
                    desc id=(desc_id) { (chart.desc) }
                    @for (i, bar) in bars.iter().enumerate() {
                        @let y = 4.0 + i as f64 * row;
                        @let w = scale(bar.value, chart.max) * bar_width;
                        text x=(label_width - 8.0) y=(y + 16.0) text-anchor="end" class="label" {
                            (bar.axis.chars().take(28).collect::<String>())
                        }
                        @if bar.value.is_some() {
                            rect x=(label_width) y=(y + 3.0) width=(w.max(1.0)) height=(row - 8.0) class="bar" {}
                        }
                        text x=(label_width + w + 6.0) y=(y + 16.0) class="value" { (bar.text) }
                    }
                }
            }
            (table(chart, bars))
        }
    }
}
