//! Messages as pure functions of their facts: subject, plain text and HTML, from
//! the template files in `templates/` (one TOML file per language; staff and
//! mediators read `de` or `en`, clients their own language and Leichte Sprache).
//! Adding a language is adding a file and a line in [`STAFF`] or [`CLIENT`].

mod text;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use minijinja::{Environment, Value, context};
use mittler_types::{LanguageTag, Modality};
use serde::Deserialize;
use std::collections::HashMap;
pub use text::feed_body;
use text::{paragraphs, tidy};

/// Staff and mediator languages: `(locale, file)`. The first is the fallback.
const STAFF: &[(&str, &str)] = &[
    ("de", include_str!("../../templates/de.toml")),
    ("en", include_str!("../../templates/en.toml")),
];

/// Client invitation languages: `(locale, file)`. `de-simple` is Leichte Sprache,
/// which every client message carries besides the client's own language.
const CLIENT: &[(&str, &str)] = &[
    (
        "de-simple",
        include_str!("../../templates/client/de-simple.toml"),
    ),
    ("en", include_str!("../../templates/client/en.toml")),
    ("ar", include_str!("../../templates/client/ar.toml")),
    ("uk", include_str!("../../templates/client/uk.toml")),
    ("ru", include_str!("../../templates/client/ru.toml")),
    ("tr", include_str!("../../templates/client/tr.toml")),
    ("fa", include_str!("../../templates/client/fa.toml")),
    ("prs", include_str!("../../templates/client/prs.toml")),
];

const LAYOUT: &str = include_str!("../../templates/layout.html");

/// Leichte Sprache: plain German for clients.
pub const SIMPLE_GERMAN: &str = "de-simple";

/// What a message is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Offer,
    Confirmed,
    Cancelled,
    Rescheduled,
    Escalated,
    Returned,
    Reminder,
    DeliveryFailed,
    SessionLink,
    ClientInvitation,
    ClientCancelled,
    ClientSessionLink,
    /// The client's appointment moved to a new time.
    ClientRescheduled,
    /// The day before: the client's reminder.
    ClientReminder,
    /// The mediator gave the job back: the appointment stays, another is sought.
    ClientReturned,
    /// A new account's set-password link.
    AccountInvitation,
    /// A forgotten password's set-password link.
    PasswordReset,
    /// Nobody could be found: the requester learns the booking is closed.
    Unfilled,
    /// A booking nobody took yet comes closer: the coordinators again.
    StillOpen,
    /// The time of a job was claimed: the requester confirms or disputes it.
    TimeClaimed,
    /// The requester disputed a claim: the coordinators settle it.
    TimeDisputed,
    /// A request for an appointment arrived: the requester learns it is being offered.
    Received,
    /// Notes, client or place of a held booking changed: the calendar entries follow.
    Amended,
}

impl Kind {
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::Offer => "offer",
            Kind::Confirmed => "confirmed",
            Kind::Cancelled => "cancelled",
            Kind::Rescheduled => "rescheduled",
            Kind::Escalated => "escalated",
            Kind::Returned => "returned",
            Kind::Reminder => "reminder",
            Kind::DeliveryFailed => "delivery_failed",
            Kind::SessionLink => "session",
            Kind::ClientInvitation => "invitation",
            Kind::ClientCancelled => "client_cancelled",
            Kind::ClientRescheduled => "client_rescheduled",
            Kind::ClientReminder => "client_reminder",
            Kind::ClientReturned => "client_returned",
            Kind::ClientSessionLink => "client_session",
            Kind::AccountInvitation => "account_invitation",
            Kind::PasswordReset => "password_reset",
            Kind::Unfilled => "unfilled",
            Kind::StillOpen => "still_open",
            Kind::TimeClaimed => "time_claimed",
            Kind::TimeDisputed => "time_disputed",
            Kind::Received => "received",
            Kind::Amended => "amended",
        }
    }

    /// The kinds whose message holds a sign-in secret: only the subject is kept once
    /// they are delivered.
    pub const HOLDING_SECRETS: [Kind; 2] = [Kind::AccountInvitation, Kind::PasswordReset];

    /// Whether the message holds a sign-in secret, whose body is not kept once sent.
    pub fn holds_secret(self) -> bool {
        Self::HOLDING_SECRETS.contains(&self)
    }

    /// The section in a template file.
    fn section(self) -> &'static str {
        match self {
            Kind::ClientCancelled => "cancelled",
            Kind::ClientRescheduled => "rescheduled",
            Kind::ClientReminder => "reminder",
            Kind::ClientReturned => "returned",
            Kind::ClientSessionLink => "session",
            other => other.as_str(),
        }
    }

    fn for_client(self) -> bool {
        matches!(
            self,
            Kind::ClientInvitation
                | Kind::ClientCancelled
                | Kind::ClientSessionLink
                | Kind::ClientRescheduled
                | Kind::ClientReminder
                | Kind::ClientReturned
        )
    }
}

/// The appointment a message is about.
#[derive(Clone, Debug)]
pub struct Appointment {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The organisation's zone: times are shown in it.
    pub zone: Tz,
    pub language: LanguageTag,
    pub modality: Modality,
    /// Address for on-site work.
    pub place: Option<String>,
    pub organisation: String,
}

/// Everything else a message may mention.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Whom the message greets.
    pub name: String,
    pub mediator: Option<String>,
    /// Where to act or read more.
    pub link: Option<String>,
    pub reason: Option<String>,
    /// An offer's deadline.
    pub expires: Option<DateTime<Utc>>,
    /// The message goes to the mediator (not the requester).
    pub for_mediator: bool,
    /// A reminder's lead time.
    pub lead_minutes: Option<i64>,
    /// The recipient a failed delivery was meant for.
    pub recipient: Option<String>,
    /// Minutes: worked (a time record) or left until the start (an alert).
    pub minutes: Option<i64>,
    /// A time record's outcome (`done`, `client_no_show`, `mediator_no_show`).
    pub outcome: Option<&'static str>,
    /// The requester's notes for the mediator.
    pub notes: Option<String>,
    /// A job that left its mediator while the appointment stays: `gave_back` (they
    /// returned it) or `unassigned` (a coordinator took it off them).
    pub relieved: Option<&'static str>,
    /// A moved booking's mediator is free at the new time and keeps it.
    pub kept: bool,
}

/// A composed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composed {
    pub locale: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("template file {0}: {1}")]
    File(&'static str, String),
    #[error("rendering {0}: {1}")]
    Render(String, minijinja::Error),
}

#[derive(Debug, Deserialize)]
struct StaffFile {
    words: HashMap<String, String>,
    #[serde(default)]
    languages: HashMap<String, String>,
    #[serde(flatten)]
    messages: HashMap<String, Message>,
}

#[derive(Debug, Deserialize)]
struct ClientFile {
    direction: String,
    name: String,
    words: HashMap<String, String>,
    #[serde(flatten)]
    messages: HashMap<String, Message>,
}

#[derive(Debug, Deserialize)]
struct Message {
    subject: String,
    body: String,
}

#[derive(Debug)]
struct Words {
    words: HashMap<String, String>,
    languages: HashMap<String, String>,
    direction: String,
}

/// The loaded templates; cheap to share.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    staff: HashMap<&'static str, Words>,
    client: HashMap<&'static str, Words>,
}

impl Templates {
    /// Parse every template file; an error here is a broken file, found by the tests.
    pub fn load() -> Result<Self, ComposeError> {
        let mut env = Environment::new();
        env.set_keep_trailing_newline(false);
        env.add_template("layout.html", LAYOUT)
            .map_err(|e| ComposeError::File("layout.html", e.to_string()))?;
        let mut staff = HashMap::new();
        for (locale, source) in STAFF {
            let file: StaffFile =
                toml::from_str(source).map_err(|e| ComposeError::File(locale, e.to_string()))?;
            for (kind, message) in file.messages {
                add(&mut env, &format!("staff/{locale}/{kind}"), message, locale)?;
            }
            staff.insert(
                *locale,
                Words {
                    words: file.words,
                    languages: file.languages,
                    direction: "ltr".into(),
                },
            );
        }
        let mut client = HashMap::new();
        for (locale, source) in CLIENT {
            let file: ClientFile =
                toml::from_str(source).map_err(|e| ComposeError::File(locale, e.to_string()))?;
            for (kind, message) in file.messages {
                add(
                    &mut env,
                    &format!("client/{locale}/{kind}"),
                    message,
                    locale,
                )?;
            }
            let mut words = file.words;
            words.insert("language_name".into(), file.name);
            client.insert(
                *locale,
                Words {
                    words,
                    languages: HashMap::new(),
                    direction: file.direction,
                },
            );
        }
        Ok(Self { env, staff, client })
    }

    /// The staff locale to use for a user's preference.
    pub fn staff_locale(&self, preferred: &str) -> &'static str {
        STAFF
            .iter()
            .map(|(l, _)| *l)
            .find(|l| *l == preferred)
            .unwrap_or(STAFF[0].0)
    }

    /// The client template language for a client's language, if there is one.
    pub fn client_locale(&self, language: Option<&LanguageTag>) -> Option<&'static str> {
        let language = language?;
        let primary = language.primary();
        // Spoken varieties of Arabic read Modern Standard Arabic.
        let primary = match primary {
            "apc" | "arz" | "acm" | "ary" | "ajp" | "afb" | "ayl" | "ars" | "arq" | "aeb" => "ar",
            other => other,
        };
        CLIENT
            .iter()
            .map(|(l, _)| *l)
            .find(|l| *l == primary && *l != SIMPLE_GERMAN)
    }

    /// Compose `kind` for the staff locale `locale`, or for a client: in the client's
    /// language (`locale`, when there is a template for it) followed by Leichte Sprache.
    pub fn compose(
        &self,
        kind: Kind,
        locale: &str,
        appointment: &Appointment,
        facts: &Facts,
    ) -> Result<Composed, ComposeError> {
        self.compose_any(kind, locale, Some(appointment), appointment.zone, facts)
    }

    /// Compose a message about an account, not an appointment (an invitation, a
    /// reset); its times are shown in `zone`.
    pub fn compose_account(
        &self,
        kind: Kind,
        locale: &str,
        zone: Tz,
        facts: &Facts,
    ) -> Result<Composed, ComposeError> {
        self.compose_any(kind, locale, None, zone, facts)
    }

    fn compose_any(
        &self,
        kind: Kind,
        locale: &str,
        appointment: Option<&Appointment>,
        zone: Tz,
        facts: &Facts,
    ) -> Result<Composed, ComposeError> {
        let parts: Vec<(&'static str, &Words, String)> = if kind.for_client() {
            let mut parts = Vec::new();
            if let Some((l, words)) = self.client.get_key_value(locale)
                && *l != SIMPLE_GERMAN
            {
                parts.push((*l, words, format!("client/{l}/{}", kind.section())));
            }
            let (l, words) = self
                .client
                .get_key_value(SIMPLE_GERMAN)
                .expect("Leichte Sprache is always there");
            parts.push((*l, words, format!("client/{l}/{}", kind.section())));
            parts
        } else {
            let l = self.staff_locale(locale);
            vec![(l, &self.staff[l], format!("staff/{l}/{}", kind.section()))]
        };
        let mut subjects = Vec::new();
        let mut texts = Vec::new();
        let mut sections = Vec::new();
        for (l, words, name) in &parts {
            let ctx = context_for(l, words, appointment, zone, facts);
            let subject = self.render(&format!("{name}/subject"), &ctx)?;
            let text = self.render(&format!("{name}/body"), &ctx)?;
            sections.push(context! {
                lang => html_lang(l),
                dir => words.direction.clone(),
                subject => subject.clone(),
                content => Value::from_safe_string(paragraphs(&text)),
            });
            subjects.push(subject);
            texts.push(text);
        }
        let footer = if kind.for_client() {
            String::new()
        } else {
            parts[0].1.words.get("footer").cloned().unwrap_or_default()
        };
        let subject = subjects.join(" / ");
        let html = self
            .env
            .get_template("layout.html")
            .and_then(|t| {
                t.render(context! {
                    lang => html_lang(parts[0].0),
                    subject => subject.clone(),
                    sections => sections,
                    footer => footer.clone(),
                })
            })
            .map_err(|e| ComposeError::Render("layout.html".into(), e))?;
        let mut text = texts.join("\n\n----------------------------------------\n\n");
        if !footer.is_empty() {
            text.push_str("\n\n-- \n");
            text.push_str(&footer);
        }
        text.push('\n');
        Ok(Composed {
            locale: parts[0].0.to_owned(),
            subject,
            text,
            html,
        })
    }

    fn render(&self, name: &str, ctx: &Value) -> Result<String, ComposeError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map(|s| tidy(&s))
            .map_err(|e| ComposeError::Render(name.into(), e))
    }
}

fn add(
    env: &mut Environment<'static>,
    name: &str,
    message: Message,
    file: &'static str,
) -> Result<(), ComposeError> {
    env.add_template_owned(format!("{name}/subject"), message.subject)
        .map_err(|e| ComposeError::File(file, e.to_string()))?;
    env.add_template_owned(format!("{name}/body"), message.body)
        .map_err(|e| ComposeError::File(file, e.to_string()))?;
    Ok(())
}

fn html_lang(locale: &str) -> &str {
    match locale {
        SIMPLE_GERMAN => "de",
        other => other,
    }
}

/// Dates and times as people in `locale` write them, in the organisation's zone
/// (`zone`); an account message has no appointment.
fn context_for(
    locale: &str,
    words: &Words,
    appointment: Option<&Appointment>,
    zone: Tz,
    facts: &Facts,
) -> Value {
    let date = |t: &DateTime<Tz>| match locale {
        "en" => t.format("%-d %B %Y").to_string(),
        _ => t.format("%d.%m.%Y").to_string(),
    };
    let word = |key: &str| words.words.get(key).cloned().unwrap_or_default();
    let lead = facts.lead_minutes.map(|m| {
        let key = format!("lead_{m}");
        words
            .words
            .get(&key)
            .cloned()
            .unwrap_or_else(|| word("lead_other"))
    });
    let expires = facts.expires.map(|t| {
        let t = t.with_timezone(&zone);
        format!("{} {}", date(&t), t.format("%H:%M"))
    });
    let people = context! {
        name => facts.name,
        mediator => facts.mediator,
        link => facts.link,
        reason => facts.reason,
        expires => expires,
        for_mediator => facts.for_mediator,
        relieved => facts.relieved,
        kept => facts.kept,
        lead => lead,
        recipient => facts.recipient,
        minutes => facts.minutes,
        notes => facts.notes,
        outcome => facts.outcome.map(|o| word(&format!("outcome_{o}"))),
    };
    let Some(a) = appointment else {
        return people;
    };
    let start = a.start.with_timezone(&zone);
    let end = a.end.with_timezone(&zone);
    let language = words
        .languages
        .get(a.language.as_str())
        .or_else(|| words.languages.get(a.language.primary()))
        .cloned()
        .or_else(|| a.language.english_name().map(str::to_owned))
        .unwrap_or_else(|| a.language.as_str().to_owned());
    let modality = word(a.modality.as_str());
    let place = a
        .place
        .clone()
        .filter(|_| a.modality == Modality::OnSite)
        .unwrap_or_default();
    let place_or_dash = if place.is_empty() {
        word("no_place")
    } else {
        place.clone()
    };
    context! {
        organisation => a.organisation,
        date => date(&start),
        time => start.format("%H:%M").to_string(),
        end_time => end.format("%H:%M").to_string(),
        zone => start.format("%Z").to_string(),
        language => language,
        modality => modality,
        video => a.modality == Modality::Video,
        place => if locale_is_client(words) { place } else { place_or_dash },
        ..people
    }
}

fn locale_is_client(words: &Words) -> bool {
    words.words.contains_key("language_name")
}

#[cfg(test)]
mod tests;
