//! Mediators from a pool's spreadsheet: `POST /api/v1/mediators/import` takes the CSV
//! a pool keeps today (UTF-8, `;` or `,` between fields, a header line naming the
//! columns in German or English), checks every line, and writes nothing unless every
//! line is right. `?dry_run=true` only checks. Each mediator written is invited like
//! one created by hand, into the importing coordinator's pool.
//!
//! Columns (header names are matched without case; the first name is the English):
//! `name` (Name), `email` (E-Mail), `gender` (Geschlecht: female/male/diverse or
//! w/m/d), `languages` (Sprachen: `uk:certified, ru:trained`; the qualification is
//! `certified`/`zertifiziert`, `trained`/`geschult`, `lay`/`Laie`, and `lay` when left
//! out), `modalities` (Einsatzformen: `video`, `phone`/`Telefon`, `on_site`/`vor Ort`),
//! `postal_code` (PLZ); optional `lat` (Breitengrad) and `lon` (Längengrad) (left
//! empty: the middle of the postal code's area), `phone` (Telefon), `max_travel_km`
//! (Fahrweg km, 50), `hours_per_week` (Stunden pro Woche, 20), `locale` (Sprache der
//! Einladung: de or en).

use crate::auth::AuthUser;
use crate::directory;
use crate::problem::{ApiError, FieldError, Problem};
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mittler_contracts::availability::{GeoPoint, LanguageSkill, PoolMembership, ProfileInput};
use mittler_contracts::text;
use mittler_contracts::text::Text;
use mittler_types::{
    Gender, LanguageTag, MediatorId, Modality, OrganisationId, Qualification, TimeZone,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The most lines one import takes.
pub const MAX_LINES: usize = 2000;

/// One mediator read from a line of the file.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub profile: ProfileInput,
    /// The language of the invitation.
    pub locale: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Column {
    Name,
    Email,
    Phone,
    Gender,
    Languages,
    Modalities,
    PostalCode,
    Lat,
    Lon,
    MaxTravelKm,
    HoursPerWeek,
    Locale,
}

/// Each column: its name in problems, the header names it is known by, and whether
/// a file must have it.
const COLUMNS: &[(Column, &str, &[&str], bool)] = &[
    (
        Column::Name,
        "name",
        &["name", "anzeigename", "display_name"],
        true,
    ),
    (
        Column::Email,
        "email",
        &["email", "e-mail", "mail", "e-mail-adresse"],
        true,
    ),
    (
        Column::Phone,
        "phone",
        &["phone", "telefon", "tel", "mobil"],
        false,
    ),
    (
        Column::Gender,
        "gender",
        &["gender", "geschlecht", "anrede"],
        true,
    ),
    (
        Column::Languages,
        "languages",
        &["languages", "sprachen"],
        true,
    ),
    (
        Column::Modalities,
        "modalities",
        &["modalities", "einsatzformen", "formen"],
        true,
    ),
    (
        Column::PostalCode,
        "postal_code",
        &["postal_code", "plz", "postleitzahl"],
        true,
    ),
    (
        Column::Lat,
        "lat",
        &["lat", "latitude", "breitengrad", "breite"],
        false,
    ),
    (
        Column::Lon,
        "lon",
        &["lon", "longitude", "längengrad", "laengengrad", "länge"],
        false,
    ),
    (
        Column::MaxTravelKm,
        "max_travel_km",
        &["max_travel_km", "fahrweg km", "max km", "radius km"],
        false,
    ),
    (
        Column::HoursPerWeek,
        "hours_per_week",
        &["hours_per_week", "stunden pro woche", "wochenstunden"],
        false,
    ),
    (
        Column::Locale,
        "locale",
        &["locale", "sprache der einladung"],
        false,
    ),
];

fn column_name(column: Column) -> &'static str {
    COLUMNS
        .iter()
        .find(|(c, ..)| *c == column)
        .map_or("?", |(_, name, ..)| name)
}

fn problem(line: usize, column: &str, text: Text) -> FieldError {
    FieldError::new(format!("lines[{line}].{column}"), text)
}

/// Every mediator of the file, or every problem found, each naming its line and
/// column (`lines[3].languages`); the header is line 1.
pub fn read(text: &str) -> Result<Vec<Row>, Vec<FieldError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let header_line = text.lines().next().unwrap_or_default();
    // German spreadsheets write `;` (the comma is the decimal mark there).
    let delimiter = if header_line.matches(';').count() >= header_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut problems = Vec::new();
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(_) => return Err(vec![problem(1, "header", text!("import.header"))]),
    };
    let mut at: HashMap<Column, usize> = HashMap::new();
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim().to_lowercase();
        if let Some((column, ..)) = COLUMNS
            .iter()
            .find(|(_, _, names, _)| names.contains(&name.as_str()))
        {
            at.insert(*column, i);
        }
    }
    for (column, name, names, required) in COLUMNS {
        if *required && !at.contains_key(column) {
            problems.push(problem(
                1,
                name,
                text!("import.missing_column", names = names.join(", ")),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(n + 2, |p| p.line() as usize);
                problems.push(problem(
                    line,
                    "line",
                    text!("import.fields", expected = headers.len()),
                ));
                continue;
            }
        };
        let line = record.position().map_or(n + 2, |p| p.line() as usize);
        if rows.len() + problems.len() >= MAX_LINES {
            problems.push(problem(
                line,
                "line",
                text!("import.too_many", max = MAX_LINES),
            ));
            break;
        }
        let cells = at
            .iter()
            .filter_map(|(column, &i)| record.get(i).map(|cell| (*column, cell)))
            .collect();
        let cells = Line {
            line,
            cells,
            delimiter,
            problems: Vec::new(),
        };
        match read_line(cells) {
            Ok(row) => {
                let email = row.profile.email.to_lowercase();
                if let Some(first) = seen.get(&email) {
                    problems.push(problem(line, "email", text!("import.twice", line = first)));
                } else {
                    seen.insert(email, line);
                    rows.push(row);
                }
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// The cells of one line, and what is wrong with them.
struct Line<'a> {
    line: usize,
    cells: HashMap<Column, &'a str>,
    delimiter: u8,
    problems: Vec<FieldError>,
}

impl<'a> Line<'a> {
    fn get(&self, column: Column) -> &'a str {
        self.cells.get(&column).copied().unwrap_or("").trim()
    }

    fn fail(&mut self, column: Column, text: Text) {
        self.problems
            .push(problem(self.line, column_name(column), text));
    }

    /// A number (in a `;` file possibly with a decimal comma), or `default` when the
    /// cell is empty and there is one.
    fn number(&mut self, column: Column, default: Option<f64>) -> f64 {
        let raw = self.get(column);
        if raw.is_empty()
            && let Some(default) = default
        {
            return default;
        }
        let raw = if self.delimiter == b';' {
            raw.replace(',', ".")
        } else {
            raw.to_owned()
        };
        match raw.parse::<f64>().ok().filter(|v| v.is_finite()) {
            Some(value) => value,
            None => {
                self.fail(column, text!("import.number", value = self.get(column)));
                0.0
            }
        }
    }
}

/// The cells of a field that holds a list: `a, b` or `a | b`.
fn split(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([',', '|', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn read_line(mut l: Line<'_>) -> Result<Row, Vec<FieldError>> {
    let gender = match l.get(Column::Gender).to_lowercase().as_str() {
        "female" | "f" | "w" | "weiblich" | "frau" => Gender::Female,
        "male" | "m" | "männlich" | "maennlich" | "herr" => Gender::Male,
        "diverse" | "d" | "divers" => Gender::Diverse,
        _ => {
            l.fail(Column::Gender, text!("import.gender"));
            Gender::Diverse
        }
    };
    let mut languages = Vec::new();
    for entry in split(l.get(Column::Languages)) {
        let (code, qualification) = match entry.split_once([':', '(']) {
            Some((code, rest)) => (code.trim(), rest.trim_end_matches(')').trim()),
            None => (entry, ""),
        };
        let qualification = match qualification.to_lowercase().as_str() {
            "" | "lay" | "laie" => Some(Qualification::Lay),
            "trained" | "geschult" => Some(Qualification::Trained),
            "certified" | "zertifiziert" => Some(Qualification::Certified),
            _ => None,
        };
        match (LanguageTag::parse(code), qualification) {
            (Ok(code), Some(qualification)) => languages.push(LanguageSkill {
                code,
                qualification,
            }),
            (Err(e), _) => l.fail(Column::Languages, Text::from(&e.keyed())),
            (Ok(_), None) => l.fail(
                Column::Languages,
                text!("import.qualification", value = entry),
            ),
        }
    }
    if l.get(Column::Languages).is_empty() {
        l.fail(Column::Languages, text!("import.required"));
    }
    let mut modalities = Vec::new();
    for entry in split(l.get(Column::Modalities)) {
        match entry.to_lowercase().replace(['-', '_'], " ").as_str() {
            "video" | "online" => modalities.push(Modality::Video),
            "phone" | "telefon" | "tel" => modalities.push(Modality::Phone),
            "on site" | "vor ort" | "präsenz" | "praesenz" => modalities.push(Modality::OnSite),
            _ => l.fail(Column::Modalities, text!("import.modality", value = entry)),
        }
    }
    if l.get(Column::Modalities).is_empty() {
        l.fail(Column::Modalities, text!("import.required"));
    }
    let home = if l.get(Column::Lat).is_empty() && l.get(Column::Lon).is_empty() {
        None
    } else {
        Some(GeoPoint {
            lat: l.number(Column::Lat, None),
            lon: l.number(Column::Lon, None),
        })
    };
    let max_travel_km = l.number(Column::MaxTravelKm, Some(50.0));
    let hours = l.number(Column::HoursPerWeek, Some(20.0));
    let locale = match l.get(Column::Locale).to_lowercase().as_str() {
        "" | "de" | "deutsch" => "de",
        "en" | "englisch" | "english" => "en",
        _ => {
            l.fail(Column::Locale, text!("field.locale"));
            "de"
        }
    };
    let phone = Some(l.get(Column::Phone).to_owned()).filter(|p| !p.is_empty());
    let mut profile = ProfileInput {
        display_name: l.get(Column::Name).to_owned(),
        email: l.get(Column::Email).to_owned(),
        phone,
        gender,
        languages,
        modalities,
        subject_areas: Vec::new(),
        home,
        postal_code: l.get(Column::PostalCode).to_owned(),
        max_travel_km,
        max_minutes_per_week: (hours * 60.0).round() as i64,
        accepts_same_day: false,
        time_zone: TimeZone::BERLIN,
        notify_by_email: true,
        active: true,
        pools: None,
    };
    if l.problems.is_empty() {
        match crate::places::with_home(profile.clone()) {
            Ok(located) => profile = located,
            Err(text) => l.fail(Column::PostalCode, text),
        }
    }
    if l.problems.is_empty() {
        // What a profile may hold, as availability will check it.
        for (field, text) in profile
            .clone()
            .into_profile(MediatorId::new(), Vec::new())
            .problems()
        {
            let column = match field.split(['.', '[']).next().unwrap_or_default() {
                "display_name" => "name",
                "home" if field.ends_with("lon") => "lon",
                "home" => "lat",
                "max_minutes_per_week" => "hours_per_week",
                other => other,
            };
            l.problems.push(problem(l.line, column, text));
        }
    }
    if l.problems.is_empty() {
        Ok(Row {
            line: l.line,
            profile,
            locale: locale.to_owned(),
        })
    } else {
        Err(l.problems)
    }
}

/// Whether an import only checks.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Only check every line; write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// The pool the mediators serve (admins; a coordinator's own pool otherwise).
    #[param(value_type = Option<uuid::Uuid>)]
    pub pool_id: Option<OrganisationId>,
}

/// A mediator of the file.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportedMediator {
    pub line: usize,
    pub display_name: String,
    pub email: String,
    /// Set once written.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<uuid::Uuid>)]
    pub id: Option<MediatorId>,
}

/// What an import checked or wrote.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    pub mediators: Vec<ImportedMediator>,
}

/// Import mediators from a CSV file (coordinators: into their pool; admins: into
/// `pool_id`). Every line is checked first; one problem anywhere writes nothing, and
/// the answer lists every problem as `lines[N].column`. Each mediator written is
/// invited by mail.
#[utoipa::path(
    post, path = "/api/v1/mediators/import", tag = "mediators",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "UTF-8; `;` or `,` between fields; a header line naming the columns (see the README)"),
    responses(
        (status = 200, description = "Checked (dry run): every line is right", body = ImportReport),
        (status = 201, description = "Written; each mediator is invited", body = ImportReport),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a coordinator", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Problems, each by line and column; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    user: AuthUser,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let viewer = super::managed_pool(&user)?;
    let csv = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/csv"));
    if !csv {
        return Err(ApiError::UnsupportedMediaType);
    }
    let pools = match (viewer, query.pool_id) {
        (Some(_), _) => None,
        (None, Some(pool_id)) => Some(vec![PoolMembership {
            pool_id,
            active: true,
        }]),
        (None, None) => return Err(ApiError::field("pool_id", text!("import.pool_required"))),
    };
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::field("lines[1].line", text!("import.encoding")))?;
    let mut rows = read(text).map_err(ApiError::Validation)?;
    let emails: Vec<&str> = rows.iter().map(|row| row.profile.email.as_str()).collect();
    let in_use = directory::emails_in_use(state.pool(), &emails).await?;
    let taken: Vec<FieldError> = rows
        .iter()
        .filter(|row| in_use.contains(&row.profile.email.to_lowercase()))
        .map(|row| problem(row.line, "email", text!("directory.email_taken")))
        .collect();
    if !taken.is_empty() {
        return Err(ApiError::Validation(taken));
    }
    let mut report = ImportReport {
        dry_run: query.dry_run,
        mediators: rows
            .iter()
            .map(|row| ImportedMediator {
                line: row.line,
                display_name: row.profile.display_name.clone(),
                email: row.profile.email.clone(),
                id: None,
            })
            .collect(),
    };
    if query.dry_run {
        return Ok((StatusCode::OK, Json(report)).into_response());
    }
    for (row, reported) in rows.iter_mut().zip(report.mediators.iter_mut()) {
        row.profile.pools = pools.clone();
        let created =
            super::create_mediator(&state, &user, row.profile.clone(), row.locale.clone()).await?;
        reported.id = Some(created.id);
    }
    tracing::info!(by = %user.id(), mediators = report.mediators.len(), "mediators imported");
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

#[cfg(test)]
mod tests;
