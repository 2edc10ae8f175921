//! iCalendar invitations (RFC 5545, iTIP RFC 5546): `METHOD:REQUEST` for a
//! confirmation or change, `METHOD:CANCEL` with the same `UID` when the booking is
//! called off. The start and end carry the organisation's zone with a `VTIMEZONE`
//! built from the zone's real transitions, so calendars show 09:30 as 09:30 in
//! winter and in summer. `SEQUENCE` rises with every change.

use chrono::{DateTime, Datelike, Duration, NaiveDateTime, Offset, TimeZone as _, Utc};
use chrono_tz::{OffsetComponents, Tz};
use icalendar::{Calendar, CalendarDateTime, Component, EventLike, Property};

/// iTIP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Request,
    Cancel,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// A person in the invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// One booking as a calendar event.
#[derive(Clone, Debug)]
pub struct Invite {
    /// Stable per booking: `<booking id>@<host>`.
    pub uid: String,
    pub sequence: u32,
    pub method: Method,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub zone: Tz,
    pub summary: String,
    pub description: String,
    pub location: Option<String>,
    pub organizer: Person,
    pub attendees: Vec<Person>,
    pub stamp: DateTime<Utc>,
}

/// The `.ics` text.
pub fn render(invite: &Invite) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//Mittler//Mittler//DE"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", invite.method.as_str()));
    let tzid = invite.zone.name().to_owned();
    let local = |t: DateTime<Utc>| CalendarDateTime::WithTimezone {
        date_time: t.with_timezone(&invite.zone).naive_local(),
        tzid: tzid.clone(),
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&invite.uid)
        .sequence(invite.sequence)
        .timestamp(invite.stamp)
        .starts(local(invite.start))
        .ends(local(invite.end))
        .summary(&text_value(&invite.summary))
        .description(&text_value(&invite.description))
        .append_property(
            Property::new("ORGANIZER", mailto(&invite.organizer.email))
                .add_parameter("CN", &param_value(&invite.organizer.name))
                .done(),
        )
        .append_property(Property::new(
            "STATUS",
            match invite.method {
                Method::Request => "CONFIRMED",
                Method::Cancel => "CANCELLED",
            },
        ));
    if let Some(location) = &invite.location {
        event.location(&text_value(location));
    }
    for attendee in &invite.attendees {
        event.append_multi_property(
            Property::new("ATTENDEE", mailto(&attendee.email))
                .add_parameter("CN", &param_value(&attendee.name))
                .add_parameter("ROLE", "REQ-PARTICIPANT")
                .add_parameter("PARTSTAT", "ACCEPTED")
                .done(),
        );
    }
    calendar.push(event.done());
    // The VTIMEZONE goes in as text: the builder would give every component of its
    // own a UID and DTSTAMP, which a time zone must not have.
    let text = calendar.to_string();
    match text.find("BEGIN:VEVENT\r\n") {
        Some(at) => format!(
            "{}{}{}",
            &text[..at],
            vtimezone(invite.zone, invite.start),
            &text[at..]
        ),
        None => text,
    }
}

/// A `VTIMEZONE` for `zone` with every transition from the year before `around`
/// to the year after it (explicit `DTSTART`s, no rules to go stale).
pub fn vtimezone(zone: Tz, around: DateTime<Utc>) -> String {
    let name = zone.name();
    let from = Utc
        .with_ymd_and_hms(around.year() - 1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(around);
    let to = Utc
        .with_ymd_and_hms(around.year() + 2, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(around);
    let offset_at = |t: DateTime<Utc>| zone.offset_from_utc_datetime(&t.naive_utc());
    let mut lines = vec!["BEGIN:VTIMEZONE".to_owned(), format!("TZID:{name}")];
    let mut component = |at: DateTime<Utc>, before: i32, after: &chrono_tz::TzOffset| {
        let kind = if after.dst_offset().is_zero() {
            "STANDARD"
        } else {
            "DAYLIGHT"
        };
        // DTSTART is the local time of the onset, on the clock before the change.
        let onset: NaiveDateTime = at.naive_utc() + Duration::seconds(i64::from(before));
        lines.push(format!("BEGIN:{kind}"));
        lines.push(format!("DTSTART:{}", onset.format("%Y%m%dT%H%M%S")));
        lines.push(format!("TZOFFSETFROM:{}", offset(before)));
        lines.push(format!(
            "TZOFFSETTO:{}",
            offset(after.fix().local_minus_utc())
        ));
        lines.push(format!("TZNAME:{after}"));
        lines.push(format!("END:{kind}"));
    };
    let first = offset_at(from);
    let mut before = first.fix().local_minus_utc();
    let mut found = false;
    // Transitions happen on the hour or half hour: step by hours, then find the minute.
    let mut t = from;
    while t < to {
        let next = t + Duration::hours(1);
        let after = offset_at(next);
        if after.fix().local_minus_utc() != before {
            let mut at = t;
            while offset_at(at).fix().local_minus_utc() == before && at < next {
                at += Duration::minutes(1);
            }
            component(at, before, &offset_at(at));
            before = offset_at(at).fix().local_minus_utc();
            found = true;
        }
        t = next;
    }
    if !found {
        component(from, before, &first);
    }
    lines.push("END:VTIMEZONE".to_owned());
    lines.join("\r\n") + "\r\n"
}

fn offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.abs();
    format!("{sign}{:02}{:02}", s / 3600, (s % 3600) / 60)
}

/// A text value (summary, description, location): line breaks as `\n` (the builder
/// escapes them), no other control character, no carriage return that a reader
/// could take for the end of a line.
fn text_value(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

/// A parameter value (the `CN` of a name), which RFC 5545 lets hold neither a
/// double quote nor a line break: both caret-encoded as RFC 6868 says (`^'`, `^n`,
/// `^^`), other control characters dropped, and quoted where it holds a comma (the
/// builder itself quotes a value with a colon or a semicolon). A name can then never
/// end the parameter, the line or the event.
fn param_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.replace("\r\n", "\n").chars() {
        match c {
            '^' => out.push_str("^^"),
            '"' => out.push_str("^'"),
            '\n' => out.push_str("^n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if out.contains(',') && !out.contains([':', ';']) {
        format!("\"{out}\"")
    } else {
        out
    }
}

/// A `mailto:` address without anything that could end the line.
fn mailto(email: &str) -> String {
    let clean: String = email
        .chars()
        .filter(|c| !c.is_control() && *c != '"' && !c.is_whitespace())
        .collect();
    format!("mailto:{clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(method: Method, sequence: u32, start: &str) -> Invite {
        let start: DateTime<Utc> = start.parse().expect("t");
        Invite {
            uid: "0191a2b3-0000-7000-8000-000000000001@mittler.example".into(),
            sequence,
            method,
            start,
            end: start + Duration::minutes(60),
            zone: chrono_tz::Europe::Berlin,
            summary: "Sprachmittlung Ukrainisch".into(),
            description: "Ausländerbehörde; Sachbearbeitung: Zimmer 2.14, bitte klingeln".into(),
            location: Some("Paulus-Jenisius-Straße 24, 09456 Annaberg-Buchholz".into()),
            organizer: Person {
                name: "Mittler".into(),
                email: "noreply@mittler.example".into(),
            },
            attendees: vec![
                Person {
                    name: "Olena Kovalenko".into(),
                    email: "olena@example.org".into(),
                },
                Person {
                    name: "Team Jobcenter".into(),
                    email: "team@jobcenter.example".into(),
                },
            ],
            stamp: "2026-11-22T12:00:00Z".parse().expect("t"),
        }
    }

    #[test]
    fn a_request_carries_the_zone_the_uid_and_the_sequence() {
        let text = render(&invite(Method::Request, 1, "2026-12-03T08:30:00Z"));
        insta::assert_snapshot!("request_winter", text);
        assert!(text.contains("METHOD:REQUEST\r\n"));
        assert!(text.contains("DTSTART;TZID=Europe/Berlin:20261203T093000\r\n"));
        assert!(text.contains("SEQUENCE:1\r\n"));
        assert!(text.lines().all(|l| l.len() <= 75), "folded at 75 octets");
    }

    #[test]
    fn a_cancel_keeps_the_uid_and_raises_the_sequence() {
        let request = render(&invite(Method::Request, 1, "2026-07-02T07:30:00Z"));
        let cancel = render(&invite(Method::Cancel, 2, "2026-07-02T07:30:00Z"));
        assert!(cancel.contains("METHOD:CANCEL\r\n"));
        assert!(cancel.contains("STATUS:CANCELLED\r\n"));
        assert!(cancel.contains("SEQUENCE:2\r\n"));
        let uid = |t: &str| t.lines().find(|l| l.starts_with("UID:")).map(str::to_owned);
        assert_eq!(uid(&request), uid(&cancel));
        assert!(request.contains("DTSTART;TZID=Europe/Berlin:20260702T093000\r\n"));
    }

    #[test]
    fn a_name_or_text_cannot_inject_a_line_or_an_event() {
        let mut evil = invite(Method::Request, 1, "2026-12-03T08:30:00Z");
        evil.attendees[0].name =
            "Name\"; ROLE=CHAIR:mailto:x@evil.example\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:evil".into();
        evil.attendees[1].email = "team@jobcenter.example\r\nATTENDEE:mailto:y@evil.example".into();
        evil.description = "bitte klingeln\rEND:VEVENT\u{0}".into();
        evil.organizer.name = "Pool; Sachsen, e.V.".into();
        let text = render(&evil);
        // Unfold, then every line is one property of the one event.
        let unfolded = text.replace("\r\n ", "");
        let lines: Vec<&str> = unfolded.split("\r\n").collect();
        assert_eq!(
            lines.iter().filter(|l| **l == "BEGIN:VEVENT").count(),
            1,
            "{text}"
        );
        assert_eq!(
            lines.iter().filter(|l| **l == "END:VEVENT").count(),
            1,
            "{text}"
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("SUMMARY:evil")),
            "{text}"
        );
        assert!(
            !lines.iter().any(|l| l.starts_with("ATTENDEE:mailto:y@")),
            "{text}"
        );
        assert!(
            !text.contains('\0') && !unfolded.contains("\rEND"),
            "{text}"
        );
        let attendee = lines
            .iter()
            .find(|l| l.contains("x@evil.example"))
            .expect("the name stays, harmless");
        assert!(
            attendee
                .starts_with("ATTENDEE;CN=\"Name^'; ROLE=CHAIR:mailto:x@evil.example^nEND:VEVENT"),
            "{attendee}"
        );
        assert!(
            unfolded.contains("ORGANIZER;CN=\"Pool; Sachsen, e.V.\":mailto:"),
            "{text}"
        );
    }

    #[test]
    fn the_berlin_vtimezone_has_the_real_transitions() {
        let text = vtimezone(
            chrono_tz::Europe::Berlin,
            "2026-03-29T12:00:00Z".parse().expect("t"),
        );
        // Last Sundays of March and October 2026: 02:00 CET → 03:00 CEST, 03:00 CEST → 02:00 CET.
        assert!(text.contains(
            "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nEND:DAYLIGHT"
        ));
        assert!(text.contains(
            "BEGIN:STANDARD\r\nDTSTART:20261025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nEND:STANDARD"
        ));
        assert_eq!(
            text.matches("BEGIN:DAYLIGHT").count(),
            3,
            "2025, 2026, 2027"
        );
        let fixed = vtimezone(
            chrono_tz::Asia::Kolkata,
            "2026-03-29T12:00:00Z".parse().expect("t"),
        );
        assert!(fixed.contains("TZOFFSETTO:+0530"));
    }
}
