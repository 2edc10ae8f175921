//! The messages as their people read them: every kind in every language, pinned.

use super::*;

fn winter() -> Appointment {
    Appointment {
        start: "2026-12-03T08:30:00Z".parse().expect("t"),
        end: "2026-12-03T09:30:00Z".parse().expect("t"),
        zone: chrono_tz::Europe::Berlin,
        language: LanguageTag::parse("uk").expect("tag"),
        modality: Modality::OnSite,
        place: Some("Paulus-Jenisius-Straße 24, 09456 Annaberg-Buchholz".into()),
        organisation: "Ausländerbehörde Erzgebirgskreis".into(),
    }
}

fn facts() -> Facts {
    Facts {
        name: "Olena Kovalenko".into(),
        mediator: Some("Olena Kovalenko".into()),
        link: Some("https://mittler.example/offers/0191".into()),
        reason: Some("Termin <entfällt> & Co".into()),
        expires: Some("2026-11-30T16:00:00Z".parse().expect("t")),
        for_mediator: true,
        lead_minutes: Some(1440),
        recipient: Some("team@jobcenter.example".into()),
        minutes: Some(66),
        outcome: Some("client_no_show"),
        notes: Some("Bitte 10 Minuten vorher am Empfang melden.".into()),
        relieved: None,
        kept: false,
    }
}

#[test]
fn a_kept_mediator_reads_that_the_moved_job_stays_theirs() {
    let templates = Templates::load().expect("templates");
    for locale in ["de", "en"] {
        let mut kept = facts();
        kept.kept = true;
        for for_mediator in [true, false] {
            kept.for_mediator = for_mediator;
            let m = templates
                .compose(Kind::Rescheduled, locale, &winter(), &kept)
                .expect("composed");
            insta::assert_snapshot!(
                format!(
                    "rescheduled_kept_{locale}_{}",
                    if for_mediator {
                        "mediator"
                    } else {
                        "requester"
                    }
                ),
                format!("Subject: {}\n\n{}", m.subject, m.text)
            );
        }
    }
}

#[test]
fn every_staff_message_renders_in_german_and_english() {
    let templates = Templates::load().expect("templates");
    for kind in [
        Kind::Offer,
        Kind::Confirmed,
        Kind::Cancelled,
        Kind::Rescheduled,
        Kind::Escalated,
        Kind::Returned,
        Kind::Reminder,
        Kind::DeliveryFailed,
        Kind::SessionLink,
        Kind::Unfilled,
        Kind::StillOpen,
        Kind::TimeClaimed,
        Kind::TimeDisputed,
        Kind::Received,
        Kind::Amended,
    ] {
        for locale in ["de", "en"] {
            let m = templates
                .compose(kind, locale, &winter(), &facts())
                .expect("composed");
            insta::assert_snapshot!(
                format!("{}_{locale}", kind.as_str()),
                format!("Subject: {}\n\n{}\n\n{}", m.subject, m.text, m.html)
            );
        }
    }
}

#[test]
fn a_job_that_leaves_its_mediator_says_who_let_it_go() {
    let templates = Templates::load().expect("templates");
    let said = |kind, locale, relieved| {
        let f = Facts {
            relieved: Some(relieved),
            ..facts()
        };
        templates
            .compose(kind, locale, &winter(), &f)
            .expect("composed")
    };
    let taken_off = said(Kind::Cancelled, "de", "unassigned");
    assert!(
        taken_off.subject.starts_with("Nicht mehr Ihr Einsatz: "),
        "{}",
        taken_off.subject
    );
    assert!(
        taken_off
            .text
            .contains("die Koordination hat Ihnen den Einsatz am"),
        "{}",
        taken_off.text
    );
    assert!(!taken_off.text.contains("abgesagt"), "{}", taken_off.text);
    let given_back = said(Kind::Cancelled, "en", "gave_back");
    assert!(
        given_back.text.contains("you gave back the job on"),
        "{}",
        given_back.text
    );
    let requester = said(Kind::Returned, "de", "unassigned");
    assert!(
        requester.subject.starts_with("Neu zu besetzen: "),
        "{}",
        requester.subject
    );
    assert!(
        requester
            .text
            .contains("Die Koordination hat Olena Kovalenko von dem Termin am"),
        "{}",
        requester.text
    );
    let requester = said(Kind::Returned, "en", "gave_back");
    assert!(
        requester.text.contains("Olena Kovalenko cannot attend"),
        "{}",
        requester.text
    );
}

#[test]
fn account_mails_render_in_german_and_english_with_the_expiry_in_local_time() {
    let templates = Templates::load().expect("templates");
    let f = Facts {
        name: "Hana Mirza".into(),
        link: Some("https://mittler.example/password/s3cr3t".into()),
        // 29 March 2027, 00:30 UTC: 02:30 summer time in Berlin.
        expires: Some("2027-03-29T00:30:00Z".parse().expect("t")),
        ..Facts::default()
    };
    for kind in [Kind::AccountInvitation, Kind::PasswordReset] {
        assert!(kind.holds_secret());
        for locale in ["de", "en"] {
            let m = templates
                .compose_account(kind, locale, chrono_tz::Europe::Berlin, &f)
                .expect("composed");
            assert!(m.text.contains("https://mittler.example/password/s3cr3t"));
            assert!(m.text.contains("02:30"), "{}", m.text);
            insta::assert_snapshot!(
                format!("{}_{locale}", kind.as_str()),
                format!("Subject: {}\n\n{}\n\n{}", m.subject, m.text, m.html)
            );
        }
    }
    assert!(!Kind::Offer.holds_secret());
}

#[test]
fn the_client_reads_their_language_and_leichte_sprache() {
    let templates = Templates::load().expect("templates");
    let mut a = winter();
    a.modality = Modality::Video;
    for language in ["ar", "uk", "ru", "tr", "fa", "prs", "en"] {
        let tag = LanguageTag::parse(language).expect("tag");
        let locale = templates.client_locale(Some(&tag)).expect("a template");
        let m = templates
            .compose(Kind::ClientInvitation, locale, &a, &Facts::default())
            .expect("composed");
        assert!(m.subject.ends_with("/ Ihr Termin mit Sprach-Mittlung"));
        assert!(m.text.contains("Der Termin beginnt um 09:30 Uhr."));
        assert!(m.text.contains("09:30"));
        insta::assert_snapshot!(format!("invitation_{language}"), m.text);
        let f = Facts {
            link: Some("https://mittler.example/room/abc".into()),
            ..Facts::default()
        };
        let link = templates
            .compose(Kind::ClientSessionLink, locale, &a, &f)
            .expect("composed");
        assert!(
            link.text
                .matches("https://mittler.example/room/abc")
                .count()
                == 2
        );
        // A new time and the reminder the day before, in both languages.
        for (kind, simple) in [
            (Kind::ClientRescheduled, "Ihr Termin hat eine neue Zeit"),
            (Kind::ClientReminder, "Erinnerung: Ihr Termin ist morgen"),
            (
                Kind::ClientReturned,
                "Ihr Termin bleibt: neue Sprach-Mittlung",
            ),
        ] {
            let m = templates
                .compose(kind, locale, &a, &Facts::default())
                .expect("composed");
            assert!(m.subject.ends_with(simple), "{}", m.subject);
            assert!(m.text.contains("Der Termin beginnt um 09:30 Uhr."));
            insta::assert_snapshot!(format!("{}_{language}", kind.as_str()), m.text);
        }
    }
    // Levantine Arabic reads Arabic; a language without a template gets
    // Leichte Sprache alone.
    let apc = LanguageTag::parse("apc").expect("tag");
    assert_eq!(templates.client_locale(Some(&apc)), Some("ar"));
    let ti = LanguageTag::parse("ti").expect("tag");
    assert_eq!(templates.client_locale(Some(&ti)), None);
    let m = templates
        .compose(Kind::ClientCancelled, "ti", &a, &Facts::default())
        .expect("composed");
    assert_eq!(m.subject, "Ihr Termin fällt aus");
    let rtl = templates
        .compose(Kind::ClientInvitation, "fa", &a, &Facts::default())
        .expect("composed");
    assert!(rtl.html.contains(r#"lang="fa" dir="rtl""#));
    assert!(rtl.html.contains(r#"lang="de" dir="ltr""#));
}

#[test]
fn html_escapes_what_people_typed_and_links_are_clickable() {
    let templates = Templates::load().expect("templates");
    let m = templates
        .compose(Kind::Cancelled, "de", &winter(), &facts())
        .expect("composed");
    assert!(m.text.contains("Grund: Termin <entfällt> & Co"));
    assert!(m.html.contains("Termin &lt;entfällt&gt; &amp; Co"));
    assert!(!m.html.contains("<entfällt>"));
    let offer = templates
        .compose(Kind::Offer, "en", &winter(), &facts())
        .expect("composed");
    assert!(
        offer
            .html
            .contains(r#"<a href="https://mittler.example/offers/0191" style="color:#0b5cad">"#)
    );
}

#[test]
fn times_are_shown_in_the_zone_on_both_sides_of_daylight_saving() {
    let templates = Templates::load().expect("templates");
    let mut summer = winter();
    summer.start = "2026-07-02T07:30:00Z".parse().expect("t");
    summer.end = "2026-07-02T08:30:00Z".parse().expect("t");
    let m = templates
        .compose(Kind::Confirmed, "de", &summer, &facts())
        .expect("composed");
    assert!(
        m.text
            .contains("Termin: 02.07.2026, 09:30–10:30 Uhr (CEST)"),
        "{}",
        m.text
    );
    let m = templates
        .compose(Kind::Confirmed, "de", &winter(), &facts())
        .expect("composed");
    assert!(
        m.text.contains("Termin: 03.12.2026, 09:30–10:30 Uhr (CET)"),
        "{}",
        m.text
    );
    // The week after the last Sunday of March: summer time.
    let mut march = winter();
    march.start = "2026-03-30T07:00:00Z".parse().expect("t");
    march.end = "2026-03-30T08:00:00Z".parse().expect("t");
    let m = templates
        .compose(Kind::Reminder, "en", &march, &facts())
        .expect("composed");
    assert!(
        m.text.contains("on 30 March 2026 at 09:00 (CEST)"),
        "{}",
        m.text
    );
    assert!(m.subject.contains("tomorrow at 09:00"));
}
