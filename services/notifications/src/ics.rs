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
        .summary(&invite.summary)
        .description(&invite.description)
        .append_property(
            Property::new("ORGANIZER", format!("mailto:{}", invite.organizer.email))
                .add_parameter("CN", &invite.organizer.name)
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
        event.location(location);
    }
    for attendee in &invite.attendees {
        event.append_multi_property(
            Property::new("ATTENDEE", format!("mailto:{}", attendee.email))
                .add_parameter("CN", &attendee.name)
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
