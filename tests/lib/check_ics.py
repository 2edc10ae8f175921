#!/usr/bin/python3
"""Parse an .ics file (or a whole .eml, taking its text/calendar part) with the
independent `icalendar` package and print what a calendar would show, as JSON:
method, uid, sequence, status, and the start and end in Europe/Berlin."""
import email
import email.policy
import json
import sys
import zoneinfo

import icalendar


def calendar_text(path):
    data = open(path, "rb").read()
    if path.endswith(".eml"):
        message = email.message_from_bytes(data, policy=email.policy.default)
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                content = part.get_content()
                return content.encode() if isinstance(content, str) else content
        sys.exit("no text/calendar part")
    return data


def main():
    calendar = icalendar.Calendar.from_ical(calendar_text(sys.argv[1]))
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    zones = [c for c in calendar.walk() if c.name == "VTIMEZONE"]
    if len(events) != 1:
        sys.exit(f"expected one VEVENT, got {len(events)}")
    event = events[0]
    start = event.decoded("DTSTART")
    end = event.decoded("DTEND")
    print(json.dumps({
        "method": str(calendar.get("METHOD")),
        "uid": str(event.get("UID")),
        "sequence": int(event.get("SEQUENCE", 0)),
        "status": str(event.get("STATUS", "")),
        "tzid": event["DTSTART"].params.get("TZID"),
        "vtimezones": [str(z.get("TZID")) for z in zones],
        "start_berlin": start.astimezone(berlin).strftime("%Y-%m-%dT%H:%M:%S%z"),
        "end_berlin": end.astimezone(berlin).strftime("%Y-%m-%dT%H:%M:%S%z"),
        "attendees": sorted(str(a) for a in (event.get("ATTENDEE") if isinstance(event.get("ATTENDEE"), list) else [event.get("ATTENDEE")]) if a),
        "organizer": str(event.get("ORGANIZER")),
    }))


if __name__ == "__main__":
    main()
