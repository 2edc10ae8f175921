//! The documents a month close issued: pay statements (a mediator sees their own, a
//! coordinator their pool's) as JSON, PDF and CSV; invoices (a coordinator sees
//! their pool's, a requester their organisation's) as JSON, PDF and XRechnung.

use crate::auth::AuthUser;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use mittler_contracts::billing::{Document, DocumentKind, Documents, DocumentsRequest};
use mittler_contracts::booking::Scope;
use mittler_contracts::text;
use mittler_types::{MediatorId, Role};
use serde::{Deserialize, Serialize};

/// A list of documents.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DocumentPage {
    pub items: Vec<Document>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DocumentQuery {
    /// Only this month, `YYYY-MM`.
    pub month: Option<String>,
    /// Only this mediator's statements (coordinators).
    pub mediator_id: Option<String>,
}

/// What the caller may see of `kind`: the scope and, for a mediator, themselves.
fn visible(user: &AuthUser, kind: DocumentKind) -> Result<(Scope, Option<MediatorId>), ApiError> {
    let organisation = user.user.organisation_id;
    match (user.role(), kind) {
        (Role::Admin, _) => Ok((Scope::all(), None)),
        (Role::Coordinator, _) => Ok((Scope::only(vec![organisation]), None)),
        (Role::Mediator, DocumentKind::Statement) => Ok((
            Scope::all(),
            Some(user.own_mediator(text!("role.billing_statements"))?),
        )),
        (Role::Requester, DocumentKind::Invoice) => Ok((Scope::only(vec![organisation]), None)),
        (_, DocumentKind::Statement) => Err(ApiError::Forbidden(text!("role.billing_statements"))),
        (_, DocumentKind::Invoice) => Err(ApiError::Forbidden(text!("role.billing_invoices"))),
    }
}

async fn find(
    state: &AppState,
    user: &AuthUser,
    kind: DocumentKind,
    month: Option<String>,
    mediator: Option<MediatorId>,
    id: Option<uuid::Uuid>,
) -> Result<Vec<Document>, ApiError> {
    let (scope, own) = visible(user, kind)?;
    let organisation_id = match (user.role(), kind) {
        (Role::Requester, _) => Some(user.user.organisation_id),
        _ => None,
    };
    Ok(state
        .call::<Documents>(&DocumentsRequest {
            scope,
            kind,
            month,
            mediator_id: own.or(mediator),
            organisation_id,
            id,
        })
        .await?)
}

fn query_mediator(query: &DocumentQuery) -> Result<Option<MediatorId>, ApiError> {
    query
        .mediator_id
        .as_deref()
        .map(|m| {
            m.parse().map_err(|_| {
                ApiError::Validation(vec![FieldError::new("mediator_id", text!("field.uuid"))])
            })
        })
        .transpose()
}

/// Pay statements (credit notes) of closed months.
#[utoipa::path(
    get, path = "/api/v1/pay-statements", tag = "billing",
    params(DocumentQuery),
    responses(
        (status = 200, body = DocumentPage),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Requesters see invoices", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a month or not an id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn statements(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<DocumentQuery>,
) -> Result<Json<DocumentPage>, ApiError> {
    let mediator = query_mediator(&query)?;
    let items = find(
        &state,
        &user,
        DocumentKind::Statement,
        query.month,
        mediator,
        None,
    )
    .await?;
    Ok(Json(DocumentPage { items }))
}

/// Invoices of closed months.
#[utoipa::path(
    get, path = "/api/v1/invoices", tag = "billing",
    params(DocumentQuery),
    responses(
        (status = 200, body = DocumentPage),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Mediators see statements", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a month", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn invoices(
    State(state): State<AppState>,
    user: AuthUser,
    Query(query): Query<DocumentQuery>,
) -> Result<Json<DocumentPage>, ApiError> {
    let items = find(
        &state,
        &user,
        DocumentKind::Invoice,
        query.month,
        None,
        None,
    )
    .await?;
    Ok(Json(DocumentPage { items }))
}

/// One document the caller may see, by the id in `file` before `suffix`.
async fn one(
    state: &AppState,
    user: &AuthUser,
    kind: DocumentKind,
    id: &str,
) -> Result<Document, ApiError> {
    let id: uuid::Uuid = id.parse().map_err(|_| ApiError::NotFound)?;
    find(state, user, kind, None, None, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or(ApiError::NotFound)
}

/// A download: its type, its file name and its bytes.
pub(crate) fn file(content_type: &'static str, name: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A statement's lines as CSV: UTF-8 with BOM, semicolons and decimal commas, as
/// German spreadsheet programs open it.
pub fn statement_csv(doc: &Document) -> Vec<u8> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new()
            .delimiter(b';')
            .from_writer(&mut out);
        let cents = |c: i64| {
            mittler_billing::euros(c, "de")
                .trim_end_matches(" €")
                .to_owned()
        };
        let _ = writer.write_record([
            "Nummer",
            "Datum",
            "Buchung",
            "Einsatz",
            "Minuten",
            "Honorar",
            "Zuschlag",
            "Anfahrt",
            "Betrag",
            "Begründung",
        ]);
        for line in &doc.lines {
            let _ = writer.write_record([
                doc.number.clone(),
                line.date.format("%d.%m.%Y").to_string(),
                line.booking_id.to_string(),
                line.description.clone(),
                line.line.billable_minutes.to_string(),
                cents(line.line.rate_cents),
                cents(line.line.surcharge_cents),
                cents(line.line.travel_cents),
                cents(line.line.amount_cents),
                line.line.reason.clone(),
            ]);
        }
        for (label, amount) in [
            ("Netto", doc.net_cents),
            ("Umsatzsteuer", doc.vat_cents),
            ("Gesamt", doc.total_cents),
        ] {
            let _ = writer.write_record([
                doc.number.as_str(),
                "",
                "",
                label,
                "",
                "",
                "",
                "",
                &cents(amount),
                "",
            ]);
        }
        let _ = writer.flush();
    }
    out
}

/// A pay statement as PDF (`{id}.pdf`) or CSV (`{id}.csv`).
#[utoipa::path(
    get, path = "/api/v1/pay-statements/{file}", tag = "billing",
    params(("file" = String, Path, description = "`{id}.pdf` or `{id}.csv`")),
    responses(
        (status = 200, description = "The statement", content_type = "application/pdf"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Requesters see invoices", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such statement of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn statement_file(
    State(state): State<AppState>,
    user: AuthUser,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let (id, suffix) = name.rsplit_once('.').ok_or(ApiError::NotFound)?;
    if !matches!(suffix, "pdf" | "csv") {
        return Err(ApiError::NotFound);
    }
    let doc = one(&state, &user, DocumentKind::Statement, id).await?;
    Ok(match suffix {
        "pdf" => file(
            "application/pdf",
            format!("{}.pdf", doc.number),
            mittler_billing::pdf::render(&doc),
        ),
        _ => file(
            "text/csv; charset=utf-8",
            format!("{}.csv", doc.number),
            statement_csv(&doc),
        ),
    })
}

/// An invoice as PDF (`{id}.pdf`).
#[utoipa::path(
    get, path = "/api/v1/invoices/{file}", tag = "billing",
    params(("file" = String, Path, description = "`{id}.pdf`")),
    responses(
        (status = 200, description = "The invoice", content_type = "application/pdf"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Mediators see statements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn invoice_file(
    State(state): State<AppState>,
    user: AuthUser,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let id = name.strip_suffix(".pdf").ok_or(ApiError::NotFound)?;
    let doc = one(&state, &user, DocumentKind::Invoice, id).await?;
    Ok(file(
        "application/pdf",
        format!("{}.pdf", doc.number),
        mittler_billing::pdf::render(&doc),
    ))
}

/// An invoice as XRechnung (EN 16931, CII syntax) with the Leitweg-ID as buyer reference.
#[utoipa::path(
    get, path = "/api/v1/invoices/{id}/xrechnung.xml", tag = "billing",
    params(("id" = String, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The electronic invoice", content_type = "application/xml"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Mediators see statements", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such invoice of yours", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn xrechnung(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let doc = one(&state, &user, DocumentKind::Invoice, &id).await?;
    Ok(file(
        "application/xml; charset=utf-8",
        format!("{}.xml", doc.number),
        mittler_billing::xrechnung::render(&doc).into_bytes(),
    ))
}
