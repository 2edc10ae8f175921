//! A statement or an invoice as PDF (decision 0025): A4, the PDF base-14 fonts
//! Helvetica and Helvetica-Bold in WinAnsi encoding (umlauts, ß, € and § are in it),
//! so no font file ships and every reader shows it. German, as the documents are.
//! [`Writer`] lays out other documents the same way (the report for funders).

use crate::euros;
use mittler_contracts::billing::{BillingParty, Document, DocumentKind};
use mittler_contracts::text;
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
pub const LEFT: f32 = 56.0;
pub const RIGHT: f32 = WIDTH - 56.0;
const BOTTOM: f32 = 72.0;
pub const REGULAR: Name<'static> = Name(b"F1");
pub const BOLD: Name<'static> = Name(b"F2");

/// Text in WinAnsi (Windows-1252): Latin-1 as it is, € and dashes at their places,
/// anything else as `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 0x80 || (0xA0..=0xFF).contains(&(c as u32)) => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

/// The width of `text` in Helvetica at `size`, for right-aligned amounts: digits,
/// separators, the euro sign and the minus (the only characters amounts have).
pub fn amount_width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            '0'..='9' | '€' => 556,
            ',' | '.' | ' ' => 278,
            '-' => 333,
            _ => 556,
        })
        .sum();
    units as f32 / 1000.0 * size
}

/// The width of any `text` in Helvetica at `size`, from the font's metrics for
/// letters, digits and common signs (accented letters as their base letter).
pub fn text_width(text: &str, size: f32) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' => 222,
            'f' | 't' | ' ' | '.' | ',' | ':' | ';' | '!' | '/' | 'I' => 278,
            'r' | '(' | ')' | '-' => 333,
            'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' | 'J' => 500,
            '<' | '>' | '=' | '+' => 584,
            'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' | 'Ä' => 667,
            'C' | 'D' | 'H' | 'N' | 'R' | 'U' | 'w' | 'Ü' => 722,
            'F' | 'T' | 'Z' => 611,
            'G' | 'O' | 'Q' | 'Ö' => 778,
            'm' | 'M' => 833,
            '%' => 889,
            'W' => 944,
            _ => 556,
        })
        .sum();
    units as f32 / 1000.0 * size
}

/// Pages of text, laid out top-down.
pub struct Writer {
    pages: Vec<Content>,
    y: f32,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("pages", &self.pages.len())
            .field("y", &self.y)
            .finish()
    }
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Writer {
    pub fn new() -> Self {
        Self {
            pages: vec![Content::new()],
            y: HEIGHT - 64.0,
        }
    }

    pub fn page(&mut self) -> &mut Content {
        self.pages.last_mut().expect("a page")
    }

    pub fn room(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(Content::new());
            self.y = HEIGHT - 64.0;
        }
    }

    pub fn text_at(&mut self, x: f32, y: f32, font: Name, size: f32, text: &str) {
        let bytes = win_ansi(text);
        let page = self.page();
        page.begin_text();
        page.set_font(font, size);
        page.next_line(x, y);
        page.show(Str(&bytes));
        page.end_text();
    }

    pub fn line(&mut self, font: Name, size: f32, text: &str) {
        self.room(size * 1.4);
        self.y -= size * 1.4;
        let y = self.y;
        self.text_at(LEFT, y, font, size, text);
    }

    /// Text on the left and an amount flush right, on one line.
    pub fn row(&mut self, font: Name, size: f32, left: &str, amount: &str) {
        self.room(size * 1.4);
        self.y -= size * 1.4;
        let y = self.y;
        self.text_at(LEFT, y, font, size, left);
        let x = RIGHT - amount_width(amount, size);
        self.text_at(x, y, font, size, amount);
    }

    /// A table row: `first` on the left, then each value flush right at its column's
    /// right edge.
    pub fn cells(&mut self, font: Name, size: f32, first: &str, columns: &[(f32, &str)]) {
        self.room(size * 1.5);
        self.y -= size * 1.5;
        let y = self.y;
        self.text_at(LEFT, y, font, size, first);
        for (right, value) in columns {
            let x = right - text_width(value, size);
            self.text_at(x, y, font, size, value);
        }
    }

    /// A bar of a horizontal bar chart: the label, a filled bar `fraction` (0 to 1) of
    /// the chart's width long, and the value after it.
    pub fn bar(&mut self, label: &str, fraction: f32, value: &str) {
        let size = 9.0;
        self.room(size * 1.7);
        self.y -= size * 1.7;
        let y = self.y;
        self.text_at(LEFT, y, REGULAR, size, label);
        let (x, width) = (LEFT + 170.0, 240.0 * fraction.clamp(0.0, 1.0));
        let page = self.page();
        page.set_fill_gray(0.35);
        page.rect(x, y - 1.0, width.max(0.5), size);
        page.fill_nonzero();
        page.set_fill_gray(0.0);
        self.text_at(x + width + 6.0, y, REGULAR, size, value);
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    pub fn rule(&mut self) {
        self.room(6.0);
        self.y -= 4.0;
        let y = self.y;
        let page = self.page();
        page.set_line_width(0.5);
        page.move_to(LEFT, y);
        page.line_to(RIGHT, y);
        page.stroke();
    }
}

fn party_lines(w: &mut Writer, party: &BillingParty) {
    w.line(BOLD, 10.0, &party.name);
    w.line(REGULAR, 10.0, &party.street);
    w.line(
        REGULAR,
        10.0,
        &format!("{} {}", party.postal_code, party.city),
    );
}

/// Truncate to what fits one line of the table.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max - 1).collect();
        cut.push('…');
        cut
    }
}

/// The document as a PDF file.
pub fn render(doc: &Document) -> Vec<u8> {
    let de = |t: mittler_contracts::text::Text| t.render("de");
    let mut w = Writer::new();
    let issuer = &doc.issuer;
    w.text_at(
        LEFT,
        HEIGHT - 48.0,
        REGULAR,
        8.0,
        &format!("{} · {}", issuer.name, issuer.address()),
    );
    w.gap(24.0);
    party_lines(&mut w, &doc.recipient);
    if let Some(id) = &doc.recipient.leitweg_id {
        w.line(REGULAR, 10.0, &format!("Leitweg-ID: {id}"));
    }
    w.gap(24.0);
    let title = match doc.kind {
        DocumentKind::Statement => de(text!(
            "billing_document.statement",
            number = doc.number.clone()
        )),
        DocumentKind::Invoice => de(text!(
            "billing_document.invoice",
            number = doc.number.clone()
        )),
    };
    w.line(BOLD, 14.0, &title);
    w.line(
        REGULAR,
        10.0,
        &de(text!(
            "billing_document.dates",
            issued = doc.issued_at.format("%d.%m.%Y").to_string(),
            from = doc.period_start.format("%d.%m.%Y").to_string(),
            to = doc.period_end.format("%d.%m.%Y").to_string()
        )),
    );
    if doc.kind == DocumentKind::Statement {
        w.line(REGULAR, 9.0, &de(text!("billing_document.credit_note")));
    }
    w.gap(12.0);
    w.row(
        BOLD,
        9.0,
        &de(text!("billing_document.columns")),
        &de(text!("billing_document.amount")),
    );
    w.rule();
    for line in &doc.lines {
        w.row(
            REGULAR,
            9.0,
            &clip(
                &format!(
                    "{}  {}  {} min",
                    line.date.format("%d.%m.%Y"),
                    line.description,
                    line.line.billable_minutes
                ),
                90,
            ),
            &euros(line.line.amount_cents, "de"),
        );
        w.line(REGULAR, 7.5, &clip(&line.line.reason, 130));
    }
    w.rule();
    w.row(
        REGULAR,
        10.0,
        &de(text!("billing_document.net")),
        &euros(doc.net_cents, "de"),
    );
    if doc.vat_exempt {
        w.row(
            REGULAR,
            10.0,
            &de(text!("billing_document.vat", percent = 0)),
            &euros(0, "de"),
        );
    } else {
        w.row(
            REGULAR,
            10.0,
            &de(text!("billing_document.vat", percent = doc.vat_percent)),
            &euros(doc.vat_cents, "de"),
        );
    }
    w.row(
        BOLD,
        11.0,
        &de(text!("billing_document.total")),
        &euros(doc.total_cents, "de"),
    );
    w.gap(12.0);
    if doc.vat_exempt {
        let note = match &doc.volunteer {
            Some(_) => de(text!("billing_document.volunteer_no_vat")),
            None => de(text!("billing.exempt_note")),
        };
        w.line(REGULAR, 9.0, &note);
    }
    if let Some(year) = &doc.volunteer {
        let (paid, allowance) = (
            euros(year.year_cents, "de"),
            euros(year.allowance_cents, "de"),
        );
        let note = if year.crossed {
            text!(
                "billing.volunteer_crossed",
                year = paid,
                allowance = allowance
            )
        } else if year.near {
            text!("billing.volunteer_near", year = paid, allowance = allowance)
        } else {
            text!("billing.volunteer_note", year = paid, allowance = allowance)
        };
        w.line(REGULAR, 9.0, &de(note));
    }
    let payee = match doc.kind {
        DocumentKind::Statement => &doc.recipient,
        DocumentKind::Invoice => issuer,
    };
    if let Some(iban) = &payee.iban {
        w.line(
            REGULAR,
            9.0,
            &de(text!(
                "billing_document.paid_to",
                name = payee.name.clone(),
                iban = iban.clone()
            )),
        );
    }
    for (party, label) in [
        (issuer, de(text!("billing_document.issuer"))),
        (&doc.recipient, de(text!("billing_document.recipient"))),
    ] {
        let ids: Vec<String> = [
            party.tax_number.as_ref().map(|n| format!("St.-Nr. {n}")),
            party.vat_id.as_ref().map(|n| format!("USt-IdNr. {n}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !ids.is_empty() {
            w.line(
                REGULAR,
                8.0,
                &format!("{} ({label}): {}", party.name, ids.join(", ")),
            );
        }
    }
    finish(w, &format!("{} {}", title, issuer.name))
}

/// The pages as a PDF file titled `title`.
pub fn finish(w: Writer, title: &str) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let first = 6;
    let count = w.pages.len() as i32;
    let page_ids: Vec<Ref> = (0..count).map(|i| Ref::new(first + 2 * i)).collect();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().copied()).count(count);
    pdf.type1_font(regular)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.document_info(info).title(pdf_writer::TextStr(title));
    for (i, content) in w.pages.into_iter().enumerate() {
        let page_id = page_ids[i];
        let content_id = Ref::new(first + 2 * i as i32 + 1);
        let mut page = pdf.page(page_id);
        page.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        page.parent(tree);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(REGULAR, regular);
        fonts.pair(BOLD, bold);
        drop(fonts);
        drop(resources);
        drop(page);
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}
