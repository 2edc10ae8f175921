//! The month close: every confirmed time record and late cancellation of a pool not
//! billed yet, whose booking began before the month's end, becomes a line on the
//! mediator's pay statement (pool's card) and on the organisation's invoice (its own
//! card where it has one). A record confirmed after an earlier month's close thus
//! lands in the next month closed. Documents are numbered without gaps per pool,
//! kind and year; what a close wrote is never changed (the tables refuse it).

use super::store;
use crate::error::BookingError;
use crate::records::store as records;
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use mittler_billing::price;
use mittler_contracts::billing::{
    BillingParty, Blocked, CloseMonthRequest, Document, DocumentIssued, DocumentKind, DocumentLine,
    DocumentsRequest, Job, JobOutcome, MonthClose, MonthClosed, RateCard, VolunteerYear,
};
use mittler_contracts::booking::Scope;
use mittler_contracts::{Envelope, Event, FaultCode, RpcFault, text};
use mittler_platform::{Schema, outbox};
use mittler_types::{
    BookingId, MediatorId, Modality, OrganisationId, Outcome, Qualification, TimeZone,
};
use sqlx::{PgConnection, PgPool};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// `YYYY-MM` as the month's first day.
pub fn parse_month(text: &str) -> Option<NaiveDate> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, 1)
}

/// The instants at which the month begins and ends on the zone's clocks.
pub fn month_bounds(month: NaiveDate, zone: TimeZone) -> (DateTime<Utc>, DateTime<Utc>) {
    let midnight = |day: NaiveDate| {
        zone.resolve(day.and_hms_opt(0, 0, 0).expect("midnight"))
            .expect("German midnights exist")
    };
    let next = month + Months::new(1);
    (midnight(month), midnight(next))
}

/// A job the close may bill, as booking's tables hold it.
struct Candidate {
    booking_id: BookingId,
    organisation_id: OrganisationId,
    mediator_id: MediatorId,
    language: String,
    time_zone: TimeZone,
    job: Job,
}

async fn candidates(
    conn: &mut PgConnection,
    pool: OrganisationId,
    end: DateTime<Utc>,
    late_minutes: i64,
) -> Result<Vec<Candidate>, BookingError> {
    let rows = records::billable(&mut *conn, pool, end, late_minutes).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let modality: Modality = row.modality.parse().map_err(anyhow::Error::msg)?;
        let qualification: Qualification =
            row.min_qualification.parse().map_err(anyhow::Error::msg)?;
        let outcome = match row.outcome.as_deref() {
            Some(o) => JobOutcome::from(o.parse::<Outcome>().map_err(anyhow::Error::msg)?),
            None => JobOutcome::Cancelled,
        };
        out.push(Candidate {
            booking_id: BookingId(row.id),
            organisation_id: OrganisationId(row.organisation_id),
            mediator_id: MediatorId(row.mediator_id),
            language: row.language,
            time_zone: TimeZone::parse(&row.time_zone).unwrap_or_default(),
            job: Job {
                qualification,
                modality,
                booked_start: row.start_at,
                booked_end: row.end_at,
                start: row.worked_start,
                end: row.worked_end,
                outcome,
                notice_minutes: row.notice_minutes.map(i64::from),
                travel_minutes: row.travel_minutes.map(i64::from).unwrap_or(0),
                travel_km: row.travel_km.map(i64::from).unwrap_or(0),
            },
        });
    }
    Ok(out)
}

fn modality_word(modality: Modality) -> String {
    match modality {
        Modality::OnSite => text!("billing_modality.on_site"),
        Modality::Video => text!("billing_modality.video"),
        Modality::Phone => text!("billing_modality.phone"),
    }
    .render("de")
}

fn line_of(card: &RateCard, candidate: &Candidate) -> DocumentLine {
    let local = candidate.time_zone.local(candidate.job.booked_start);
    DocumentLine {
        id: Uuid::now_v7(),
        booking_id: candidate.booking_id,
        date: card.time_zone.local(candidate.job.booked_start).date(),
        description: format!(
            "{} · {} · {}",
            candidate.language,
            modality_word(candidate.job.modality),
            local.format("%H:%M")
        ),
        line: price(card, &candidate.job, "de"),
        corrects: None,
    }
}

/// What one close computes before it writes.
struct Plan {
    statements: Vec<Document>,
    invoices: Vec<Document>,
    blocked: Vec<Blocked>,
    /// (correction, the line it becomes).
    corrections: Vec<(Uuid, Uuid)>,
}

/// VAT on a net sum, rounded half-up away from zero.
fn vat(net: i64, percent: i64) -> i64 {
    let cents = mittler_billing::round_half_up(i128::from(net.abs()) * i128::from(percent), 100);
    if net < 0 { -cents } else { cents }
}

async fn plan(
    conn: &mut PgConnection,
    pool: OrganisationId,
    month: NaiveDate,
    card: RateCard,
) -> Result<Plan, BookingError> {
    let (start, end) = month_bounds(month, card.time_zone);
    let late_minutes = card
        .late_cancellation
        .iter()
        .map(|s| s.within_hours * 60)
        .max()
        .unwrap_or(0);
    let jobs = candidates(&mut *conn, pool, end, late_minutes).await?;
    let ids: Vec<Uuid> = jobs.iter().map(|j| j.booking_id.as_uuid()).collect();
    let on_statement = store::billed(&mut *conn, DocumentKind::Statement, &ids).await?;
    let on_invoice = store::billed(&mut *conn, DocumentKind::Invoice, &ids).await?;
    let mut party_ids: Vec<Uuid> = vec![pool.as_uuid()];
    party_ids.extend(jobs.iter().map(|j| j.mediator_id.as_uuid()));
    party_ids.extend(jobs.iter().map(|j| j.organisation_id.as_uuid()));
    party_ids.sort_unstable();
    party_ids.dedup();
    let mut parties: HashMap<Uuid, BillingParty> = store::parties(&mut *conn, &party_ids)
        .await?
        .into_iter()
        .collect();
    let mut blocked: Vec<Blocked> = records::unconfirmed(&mut *conn, pool, start, end)
        .await?
        .into_iter()
        .map(|id| Blocked {
            booking_id: BookingId(id),
            reason: text!("billing.record_open").render("de"),
        })
        .collect();
    let issuer = parties.get(&pool.as_uuid()).cloned();
    if issuer.is_none() && !jobs.is_empty() {
        return Err(RpcFault::new(FaultCode::Invalid, text!("billing.no_pool_party")).into());
    }
    let issuer = issuer.unwrap_or_default();
    let period_end = month + Months::new(1) - chrono::Duration::days(1);
    let document = |kind: DocumentKind,
                    recipient: BillingParty,
                    mediator_id: Option<MediatorId>,
                    organisation_id: Option<OrganisationId>,
                    lines: Vec<DocumentLine>,
                    vat_percent: i64,
                    vat_exempt: bool| {
        // In the order the jobs began (the candidates come sorted by start).
        let net: i64 = lines.iter().map(|l| l.line.amount_cents).sum();
        let vat_percent = if vat_exempt { 0 } else { vat_percent };
        let vat_cents = vat(net, vat_percent);
        Document {
            id: Uuid::now_v7(),
            kind,
            number: String::new(),
            pool_id: pool,
            month: month.format("%Y-%m").to_string(),
            mediator_id,
            organisation_id,
            issued_at: Utc::now(),
            period_start: month,
            period_end,
            issuer: issuer.clone(),
            recipient,
            lines,
            net_cents: net,
            vat_percent,
            vat_cents,
            total_cents: net + vat_cents,
            vat_exempt,
            volunteer: None,
        }
    };

    // Corrections waiting since an earlier close, by the recipient of the line they
    // correct: a new line on that recipient's next document.
    let mut corrections: BTreeMap<(DocumentKind, Uuid), Vec<DocumentLine>> = BTreeMap::new();
    let mut correction_of: Vec<(Uuid, Uuid)> = Vec::new(); // (correction, its new line)
    for waiting in store::waiting_corrections(&mut *conn, pool).await? {
        let doc = &waiting.document;
        let Some(original) = doc.lines.iter().find(|l| l.id == waiting.corrects) else {
            continue;
        };
        let recipient = match doc.kind {
            DocumentKind::Statement => doc.mediator_id.map(|m| m.as_uuid()),
            DocumentKind::Invoice => doc.organisation_id.map(|o| o.as_uuid()),
        };
        let Some(recipient) = recipient else { continue };
        let id = Uuid::now_v7();
        correction_of.push((waiting.id, id));
        corrections
            .entry((doc.kind, recipient))
            .or_default()
            .push(DocumentLine {
                id,
                booking_id: original.booking_id,
                date: original.date,
                description: format!(
                    "{}: {}",
                    text!("billing.correction_of", number = doc.number.clone()).render("de"),
                    original.description
                ),
                line: mittler_contracts::billing::Line {
                    billable_minutes: 0,
                    rate_cents: waiting.amount_cents,
                    surcharge_cents: 0,
                    travel_cents: 0,
                    amount_cents: waiting.amount_cents,
                    reason: waiting.reason.clone(),
                },
                corrects: Some(original.id),
            });
        // A recipient only corrections reach still needs their billing data.
        if !parties.contains_key(&recipient)
            && let Some(party) = store::parties(&mut *conn, &[recipient]).await?.pop()
        {
            parties.insert(party.0, party.1);
        }
    }

    // Pay statements: one per mediator, the pool's card.
    let mut by_mediator: BTreeMap<Uuid, Vec<&Candidate>> = BTreeMap::new();
    for job in jobs
        .iter()
        .filter(|j| !on_statement.contains(&j.booking_id.as_uuid()))
    {
        by_mediator
            .entry(job.mediator_id.as_uuid())
            .or_default()
            .push(job);
    }
    for (kind, recipient) in corrections.keys() {
        if *kind == DocumentKind::Statement {
            by_mediator.entry(*recipient).or_default();
        }
    }
    let mut statements = Vec::new();
    for (mediator, jobs) in by_mediator {
        let Some(party) = parties.get(&mediator).cloned() else {
            blocked.extend(jobs.iter().map(|j| Blocked {
                booking_id: j.booking_id,
                reason:
                    text!("billing.no_party", name = format!("mediator {mediator}")).render("de"),
            }));
            continue;
        };
        let mut lines: Vec<DocumentLine> = jobs.iter().map(|j| line_of(&card, j)).collect();
        lines.extend(
            corrections
                .remove(&(DocumentKind::Statement, mediator))
                .unwrap_or_default(),
        );
        let exempt = party.vat_exempt || party.volunteer;
        let volunteer = party.volunteer;
        let mut doc = document(
            DocumentKind::Statement,
            party,
            Some(MediatorId(mediator)),
            None,
            lines,
            card.vat_percent,
            exempt,
        );
        if volunteer {
            let before =
                store::year_paid(&mut *conn, pool, MediatorId(mediator), month.year()).await?;
            let year_cents = before + doc.net_cents;
            let allowance = card.volunteer_allowance_cents_per_year;
            doc.volunteer = Some(VolunteerYear {
                year_cents,
                allowance_cents: allowance,
                crossed: year_cents > allowance,
                near: year_cents * 10 >= allowance * 8,
            });
        }
        statements.push(doc);
    }

    // Invoices: one per organisation with billing data, its own card or the pool's.
    let mut by_organisation: BTreeMap<Uuid, Vec<&Candidate>> = BTreeMap::new();
    for job in jobs
        .iter()
        .filter(|j| !on_invoice.contains(&j.booking_id.as_uuid()))
    {
        by_organisation
            .entry(job.organisation_id.as_uuid())
            .or_default()
            .push(job);
    }
    for (kind, recipient) in corrections.keys() {
        if *kind == DocumentKind::Invoice {
            by_organisation.entry(*recipient).or_default();
        }
    }
    let mut invoices = Vec::new();
    for (organisation, jobs) in by_organisation {
        let Some(party) = parties.get(&organisation).cloned() else {
            continue; // an organisation without billing data is not invoiced
        };
        let own = store::rate_card(&mut *conn, OrganisationId(organisation)).await?;
        let card = own.map(|v| v.card).unwrap_or_else(|| card.clone());
        let mut lines: Vec<DocumentLine> = jobs.iter().map(|j| line_of(&card, j)).collect();
        lines.extend(
            corrections
                .remove(&(DocumentKind::Invoice, organisation))
                .unwrap_or_default(),
        );
        invoices.push(document(
            DocumentKind::Invoice,
            party,
            None,
            Some(OrganisationId(organisation)),
            lines,
            card.vat_percent,
            issuer.vat_exempt,
        ));
    }
    // Only the corrections that found their document are billed by this close.
    let placed: std::collections::HashSet<Uuid> = statements
        .iter()
        .chain(&invoices)
        .flat_map(|d| d.lines.iter().map(|l| l.id))
        .collect();
    correction_of.retain(|(_, line)| placed.contains(line));
    Ok(Plan {
        statements,
        invoices,
        blocked,
        corrections: correction_of,
    })
}

async fn issued(
    pool_db: &PgPool,
    pool: OrganisationId,
    month: &str,
    kind: DocumentKind,
) -> Result<Vec<Document>, BookingError> {
    Ok(store::documents(
        pool_db,
        &DocumentsRequest {
            scope: Scope::only(vec![pool]),
            kind,
            month: Some(month.to_owned()),
            mediator_id: None,
            organisation_id: None,
            id: None,
        },
    )
    .await?
    .into_iter()
    .filter(|d| d.pool_id == pool)
    .collect())
}

async fn emit<E: Event>(tx: &mut PgConnection, event: E) -> Result<(), outbox::OutboxError> {
    outbox::enqueue(
        tx,
        Schema::BOOKING,
        &Envelope::new(event, outbox::root_meta()),
    )
    .await
}

/// Close (or preview) a pool's month. A month closed already answers what its
/// close issued and changes nothing.
pub async fn close(
    pool_db: &PgPool,
    request: CloseMonthRequest,
) -> Result<MonthClose, BookingError> {
    let month = parse_month(&request.month)
        .ok_or_else(|| RpcFault::invalid_field("month", text!("billing.month")))?;
    let label = month.format("%Y-%m").to_string();
    let pool = request.pool;
    let mut tx = pool_db.begin().await?;
    if !request.preview {
        store::lock_pool(&mut tx, pool).await?;
    }
    if let Some((closed_at, closed_by)) = store::closed(&mut *tx, pool, month).await? {
        tx.rollback().await?;
        return Ok(MonthClose {
            pool_id: pool,
            month: label.clone(),
            closed_at: Some(closed_at),
            closed_by: Some(closed_by),
            statements: issued(pool_db, pool, &label, DocumentKind::Statement).await?,
            invoices: issued(pool_db, pool, &label, DocumentKind::Invoice).await?,
            blocked: vec![],
        });
    }
    let card = store::rate_card(&mut *tx, pool)
        .await?
        .ok_or_else(|| RpcFault::new(FaultCode::NotFound, text!("billing.no_rate_card")))?
        .card;
    let (_, end) = month_bounds(month, card.time_zone);
    if !request.preview && Utc::now() < end {
        return Err(RpcFault::invalid_field(
            "month",
            text!("billing.month_not_over", month = label.clone()),
        )
        .into());
    }
    let mut plan = plan(&mut tx, pool, month, card).await?;
    if request.preview {
        tx.rollback().await?;
        return Ok(MonthClose {
            pool_id: pool,
            month: label,
            closed_at: None,
            closed_by: None,
            statements: plan.statements,
            invoices: plan.invoices,
            blocked: plan.blocked,
        });
    }
    let closed_at = store::close_month(&mut tx, pool, month, request.by).await?;
    for doc in plan.statements.iter_mut().chain(plan.invoices.iter_mut()) {
        doc.number = store::next_number(&mut tx, pool, doc.kind, month.year()).await?;
        doc.issued_at = closed_at;
        store::insert_document(&mut tx, month, doc).await?;
        emit(
            &mut tx,
            DocumentIssued {
                organisation_id: pool,
                document_id: doc.id,
                kind: doc.kind,
                number: doc.number.clone(),
                month: label.clone(),
                mediator_id: doc.mediator_id,
                recipient_organisation_id: doc.organisation_id,
                net_cents: doc.net_cents,
                vat_cents: doc.vat_cents,
                total_cents: doc.total_cents,
            },
        )
        .await?;
    }
    if !plan.corrections.is_empty() {
        store::corrections_billed(&mut *tx, &plan.corrections).await?;
    }
    emit(
        &mut tx,
        MonthClosed {
            organisation_id: pool,
            month: label.clone(),
            closed_by: request.by,
            statements: plan.statements.len() as u32,
            invoices: plan.invoices.len() as u32,
            net_cents: plan.statements.iter().map(|d| d.net_cents).sum(),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(pool_id = %pool, month = %label, statements = plan.statements.len(), invoices = plan.invoices.len(), "month closed");
    Ok(MonthClose {
        pool_id: pool,
        month: label,
        closed_at: Some(closed_at),
        closed_by: Some(request.by),
        statements: plan.statements,
        invoices: plan.invoices,
        blocked: plan.blocked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_and_begin_at_local_midnight() {
        assert_eq!(parse_month("2026-11"), NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("26-11"), None);
        let (start, end) = month_bounds(parse_month("2026-10").expect("m"), TimeZone::BERLIN);
        assert_eq!(start.to_rfc3339(), "2026-09-30T22:00:00+00:00");
        assert_eq!(
            end.to_rfc3339(),
            "2026-10-31T23:00:00+00:00",
            "winter time from 25 October"
        );
        let (_, end) = month_bounds(parse_month("2026-12").expect("m"), TimeZone::BERLIN);
        assert_eq!(end.to_rfc3339(), "2026-12-31T23:00:00+00:00");
    }

    #[test]
    fn vat_is_rounded_half_up_either_way() {
        assert_eq!(vat(8500, 19), 1615);
        assert_eq!(vat(5063, 19), 962); // 961.97
        assert_eq!(vat(250, 7), 18); // 17.5
        assert_eq!(vat(-250, 7), -18);
        assert_eq!(vat(1000, 0), 0);
    }
}
