//! The `billing` tables: cards, parties, closed months, numbers, documents, lines.

use chrono::{DateTime, NaiveDate, Utc};
use mittler_contracts::billing::{
    BillingParty, CorrectLineRequest, Document, DocumentKind, DocumentLine, DocumentsRequest,
    PartyId, PutBillingPartyRequest, PutRateCardRequest, RateCard, RateCardView,
};
use mittler_types::{MediatorId, OrganisationId, UserId};
use sqlx::types::Json;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

pub async fn rate_card(
    db: impl PgExecutor<'_>,
    owner: OrganisationId,
) -> Result<Option<RateCardView>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT card AS "card: Json<RateCard>", updated_at, updated_by
           FROM billing.rate_cards WHERE owner_id = $1"#,
        owner.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| RateCardView {
        owner,
        card: r.card.0,
        updated_at: r.updated_at,
        updated_by: r.updated_by.map(UserId),
    }))
}

pub async fn put_rate_card(
    db: impl PgExecutor<'_>,
    request: &PutRateCardRequest,
) -> Result<RateCardView, sqlx::Error> {
    let row = sqlx::query!(
        r#"INSERT INTO billing.rate_cards (owner_id, pool_id, card, updated_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (owner_id) DO UPDATE SET pool_id = $2, card = $3, updated_by = $4, updated_at = now()
           RETURNING updated_at"#,
        request.owner.as_uuid(),
        request.pool.as_uuid(),
        Json(&request.card) as _,
        request.by.as_uuid(),
    )
    .fetch_one(db)
    .await?;
    Ok(RateCardView {
        owner: request.owner,
        card: request.card.clone(),
        updated_at: row.updated_at,
        updated_by: Some(request.by),
    })
}

fn kind_of(party: PartyId) -> &'static str {
    match party {
        PartyId::Mediator(_) => "mediator",
        PartyId::Organisation(_) => "organisation",
    }
}

pub async fn party(
    db: impl PgExecutor<'_>,
    party: PartyId,
) -> Result<Option<BillingParty>, sqlx::Error> {
    let details = sqlx::query_scalar!(
        r#"SELECT details AS "details: Json<BillingParty>" FROM billing.parties
           WHERE party_id = $1 AND kind = $2"#,
        party.uuid(),
        kind_of(party),
    )
    .fetch_optional(db)
    .await?;
    Ok(details.map(|d| d.0))
}

pub async fn put_party(
    db: impl PgExecutor<'_>,
    request: &PutBillingPartyRequest,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO billing.parties (party_id, kind, details, updated_by) VALUES ($1, $2, $3, $4)
           ON CONFLICT (party_id) DO UPDATE SET details = $3, updated_by = $4, updated_at = now()"#,
        request.party.uuid(),
        kind_of(request.party),
        Json(&request.details) as _,
        request.by.as_uuid(),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Every party's billing data among `ids`.
pub async fn parties(
    db: impl PgExecutor<'_>,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, BillingParty)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT party_id, details AS "details: Json<BillingParty>" FROM billing.parties
           WHERE party_id = ANY($1)"#,
        ids,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.party_id, r.details.0))
        .collect())
}

/// When the month was closed and by whom, if it was.
pub async fn closed(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
    month: NaiveDate,
) -> Result<Option<(DateTime<Utc>, UserId)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT closed_at, closed_by FROM billing.months WHERE pool_id = $1 AND month = $2",
        pool.as_uuid(),
        month,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.closed_at, UserId(r.closed_by))))
}

/// Serialise closes of one pool (and the numbers they take).
pub async fn lock_pool(conn: &mut PgConnection, pool: OrganisationId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('billing:' || $1::text, 0))",
        pool.as_uuid().to_string(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn close_month(
    conn: &mut PgConnection,
    pool: OrganisationId,
    month: NaiveDate,
    by: UserId,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO billing.months (pool_id, month, closed_by) VALUES ($1, $2, $3) RETURNING closed_at",
        pool.as_uuid(),
        month,
        by.as_uuid(),
    )
    .fetch_one(conn)
    .await
}

/// The next number of a kind in a pool's year; no gap, as the close's transaction
/// holds the row until it commits.
pub async fn next_number(
    conn: &mut PgConnection,
    pool: OrganisationId,
    kind: DocumentKind,
    year: i32,
) -> Result<String, sqlx::Error> {
    let last = sqlx::query_scalar!(
        "INSERT INTO billing.numbers (pool_id, kind, year, last) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (pool_id, kind, year) DO UPDATE SET last = billing.numbers.last + 1 RETURNING last",
        pool.as_uuid(),
        kind.as_str(),
        year,
    )
    .fetch_one(conn)
    .await?;
    Ok(format!("{}-{year}-{last:04}", kind.prefix()))
}

pub async fn insert_document(
    conn: &mut PgConnection,
    month: NaiveDate,
    document: &Document,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO billing.documents (id, pool_id, kind, number, month, mediator_id, organisation_id, \
         issued_at, net_cents, vat_cents, total_cents, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        document.id,
        document.pool_id.as_uuid(),
        document.kind.as_str(),
        document.number,
        month,
        document.mediator_id.map(|m| m.as_uuid()),
        document.organisation_id.map(|o| o.as_uuid()),
        document.issued_at,
        document.net_cents,
        document.vat_cents,
        document.total_cents,
        Json(document) as _,
    )
    .execute(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = document.lines.iter().map(|l| l.id).collect();
    let bookings: Vec<Uuid> = document
        .lines
        .iter()
        .map(|l| l.booking_id.as_uuid())
        .collect();
    let amounts: Vec<i64> = document.lines.iter().map(|l| l.line.amount_cents).collect();
    // A line that corrects none is written as the nil id (unnest takes no nulls of uuid[] here).
    let corrects: Vec<Uuid> = document
        .lines
        .iter()
        .map(|l| l.corrects.unwrap_or(Uuid::nil()))
        .collect();
    sqlx::query!(
        "INSERT INTO billing.lines (id, document_id, kind, booking_id, amount_cents, corrects) \
         SELECT id, $2, $3, booking_id, amount_cents, NULLIF(corrects, '00000000-0000-0000-0000-000000000000'::uuid) \
         FROM unnest($1::uuid[], $4::uuid[], $5::bigint[], $6::uuid[]) \
         AS l(id, booking_id, amount_cents, corrects)",
        &ids,
        document.id,
        document.kind.as_str(),
        &bookings,
        &amounts,
        &corrects,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The bookings among `ids` already billed on a document of `kind`.
pub async fn billed(
    db: impl PgExecutor<'_>,
    kind: DocumentKind,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT booking_id FROM billing.lines WHERE kind = $1 AND booking_id = ANY($2) AND corrects IS NULL",
        kind.as_str(),
        ids,
    )
    .fetch_all(db)
    .await
}

/// A volunteer's statements of one year in one pool, in cents.
pub async fn year_paid(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
    mediator: MediatorId,
    year: i32,
) -> Result<i64, sqlx::Error> {
    let sum = sqlx::query_scalar!(
        r#"SELECT COALESCE(sum(net_cents), 0)::bigint AS "sum!" FROM billing.documents
           WHERE pool_id = $1 AND mediator_id = $2 AND kind = 'statement'
           AND extract(year FROM month)::integer = $3"#,
        pool.as_uuid(),
        mediator.as_uuid(),
        year,
    )
    .fetch_one(db)
    .await?;
    Ok(sum)
}

/// Documents as the request narrows them, newest month first.
pub async fn documents(
    db: impl PgExecutor<'_>,
    request: &DocumentsRequest,
) -> Result<Vec<Document>, sqlx::Error> {
    let scope: Option<Vec<Uuid>> = request
        .scope
        .organisation_ids
        .as_ref()
        .map(|ids| ids.iter().map(|o| o.as_uuid()).collect());
    let month = match &request.month {
        Some(m) => super::close::parse_month(m),
        None => None,
    };
    let rows = sqlx::query_scalar!(
        r#"SELECT body AS "body: Json<Document>" FROM billing.documents
           WHERE kind = $1
             AND ($2::uuid[] IS NULL OR pool_id = ANY($2) OR organisation_id = ANY($2))
             AND ($3::date IS NULL OR month = $3)
             AND ($4::uuid IS NULL OR mediator_id = $4)
             AND ($5::uuid IS NULL OR organisation_id = $5)
             AND ($6::uuid IS NULL OR id = $6)
           ORDER BY month DESC, number
           LIMIT 1000"#,
        request.kind.as_str(),
        scope.as_deref(),
        month,
        request.mediator_id.map(|m| m.as_uuid()),
        request.organisation_id.map(|o| o.as_uuid()),
        request.id,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|b| b.0).collect())
}

/// A line of one of the pool's closed months, with the document it is on.
pub async fn closed_line(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
    line: Uuid,
) -> Result<Option<(Document, DocumentLine)>, sqlx::Error> {
    let body = sqlx::query_scalar!(
        r#"SELECT d.body AS "body: Json<Document>" FROM billing.lines l
           JOIN billing.documents d ON d.id = l.document_id
           WHERE l.id = $1 AND d.pool_id = $2"#,
        line,
        pool.as_uuid(),
    )
    .fetch_optional(db)
    .await?;
    Ok(body.and_then(|b| {
        let doc = b.0;
        let found = doc.lines.iter().find(|l| l.id == line).cloned();
        found.map(|l| (doc, l))
    }))
}

pub async fn insert_correction(
    db: impl PgExecutor<'_>,
    request: &CorrectLineRequest,
    id: Uuid,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO billing.corrections (id, pool_id, corrects, amount_cents, reason, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at",
        id,
        request.pool.as_uuid(),
        request.line_id,
        request.amount_cents,
        request.reason.trim(),
        request.by.as_uuid(),
    )
    .fetch_one(db)
    .await
}

/// A correction that waits for the next close, with the document of the line it corrects.
pub struct Waiting {
    pub id: Uuid,
    pub corrects: Uuid,
    pub amount_cents: i64,
    pub reason: String,
    pub document: Document,
}

pub async fn waiting_corrections(
    db: impl PgExecutor<'_>,
    pool: OrganisationId,
) -> Result<Vec<Waiting>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT c.id, c.corrects, c.amount_cents, c.reason, d.body AS "body: Json<Document>"
           FROM billing.corrections c
           JOIN billing.lines l ON l.id = c.corrects
           JOIN billing.documents d ON d.id = l.document_id
           WHERE c.pool_id = $1 AND c.line_id IS NULL
           ORDER BY c.created_at, c.id"#,
        pool.as_uuid(),
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Waiting {
            id: r.id,
            corrects: r.corrects,
            amount_cents: r.amount_cents,
            reason: r.reason,
            document: r.body.0,
        })
        .collect())
}

/// The corrections became these lines.
pub async fn corrections_billed(
    db: impl PgExecutor<'_>,
    billed: &[(Uuid, Uuid)],
) -> Result<(), sqlx::Error> {
    let (ids, lines): (Vec<Uuid>, Vec<Uuid>) = billed.iter().copied().unzip();
    sqlx::query!(
        "UPDATE billing.corrections c SET line_id = b.line_id \
         FROM unnest($1::uuid[], $2::uuid[]) AS b(id, line_id) WHERE c.id = b.id",
        &ids,
        &lines,
    )
    .execute(db)
    .await?;
    Ok(())
}
