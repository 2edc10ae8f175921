//! Every invitation parses with an independent parser (Python's `icalendar`, in
//! tests/lib/check_ics.py) and its start is right in Europe/Berlin in winter, in
//! summer, and in the weeks of both daylight-saving changes.

use chrono::{DateTime, Duration, Utc};
use mittler_notifications::ics::{self, Invite, Method, Person};
use std::process::Command;

fn parsed(text: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("invite.ics");
    std::fs::write(&path, text).expect("write");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/lib/check_ics.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(&path)
        .output()
        .expect("python3 with python3-icalendar (`make deps` (deploy/local/deps.sh --test) installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn invite(method: Method, sequence: u32, start: &str) -> Invite {
    let start: DateTime<Utc> = start.parse().expect("t");
    Invite {
        uid: "0191a2b3-0000-7000-8000-000000000001@mittler".into(),
        sequence,
        method,
        start,
        end: start + Duration::minutes(90),
        zone: chrono_tz::Europe::Berlin,
        summary: "Bestätigt: Ukrainisch".into(),
        description: "Zeile eins\nZeile zwei; mit Komma, und Semikolon".into(),
        location: Some("Markt 1, 09111 Chemnitz".into()),
        organizer: Person {
            name: "Mittler".into(),
            email: "noreply@mittler.example".into(),
        },
        attendees: vec![Person {
            name: "Olena Kovalenko".into(),
            email: "olena@example.org".into(),
        }],
        stamp: Utc::now(),
    }
}

#[test]
fn invitations_parse_and_start_at_the_berlin_wall_clock_time_in_every_season() {
    for (utc, berlin) in [
        ("2026-12-03T08:30:00Z", "2026-12-03T09:30:00+0100"), // winter
        ("2026-07-02T07:30:00Z", "2026-07-02T09:30:00+0200"), // summer
        ("2026-03-27T08:30:00Z", "2026-03-27T09:30:00+0100"), // Friday before the March change
        ("2026-03-30T07:30:00Z", "2026-03-30T09:30:00+0200"), // Monday after it
        ("2026-10-23T07:30:00Z", "2026-10-23T09:30:00+0200"), // Friday before the October change
        ("2026-10-26T08:30:00Z", "2026-10-26T09:30:00+0100"), // Monday after it
        ("2027-03-29T07:30:00Z", "2027-03-29T09:30:00+0200"),
    ] {
        let request = parsed(&ics::render(&invite(Method::Request, 1, utc)));
        assert_eq!(request["method"], "REQUEST");
        assert_eq!(request["status"], "CONFIRMED");
        assert_eq!(request["tzid"], "Europe/Berlin");
        assert_eq!(request["vtimezones"], serde_json::json!(["Europe/Berlin"]));
        assert_eq!(request["start_berlin"], berlin, "{utc}");
        assert_eq!(request["sequence"], 1);
        let cancel = parsed(&ics::render(&invite(Method::Cancel, 2, utc)));
        assert_eq!(cancel["method"], "CANCEL");
        assert_eq!(cancel["status"], "CANCELLED");
        assert_eq!(cancel["uid"], request["uid"]);
        assert_eq!(cancel["sequence"], 2);
    }
}
