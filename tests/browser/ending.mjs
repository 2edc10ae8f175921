// The end of a booking in headless chromium: the mediator records the time of two
// past jobs on a phone (one wrong first), the requester confirms one and disputes the
// other, a coordinator settles the dispute and gives up a booking nobody takes.
// axe-core checks every page. Prints JSON; the Rust test
// (services/mittler/tests/system/ending.rs) starts the system and judges.
//
//   node ending.mjs '{"base": URL, "password": "...", "requester": EMAIL, "coordinator": EMAIL,
//                     "mediator": EMAIL, "confirm": ID, "dispute": ID, "give_up": ID,
//                     "screenshots": DIR|null}'
import { launch, helpers } from "./browser.mjs";

const input = JSON.parse(process.argv[2]);
const result = { axe: {}, errors: [] };
const browser = await launch();
const { person, axe, shoot, waitFor } = helpers(browser, input, result);
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

// "YYYY-MM-DDTHH:MM" plus `minutes`, as the input shows it (no zone involved).
function later(value, minutes) {
  const [date, time] = value.split("T");
  const [y, mo, d] = date.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi + minutes));
  const pad = (n) => String(n).padStart(2, "0");
  return `${t.getUTCFullYear()}-${pad(t.getUTCMonth() + 1)}-${pad(t.getUTCDate())}T${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}`;
}

const text = async (locator) => ((await locator.textContent()) || "").replace(/\s+/g, " ").trim();

try {
  // The mediator, on a phone, after the two jobs.
  const m = await person(input.mediator, phone);
  await m.goto(`${input.base}/jobs`);
  const first = m.locator(`#claim-${input.confirm}`);
  const second = m.locator(`#claim-${input.dispute}`);
  await first.waitFor();
  await axe(m, "jobs with times to record (phone)");
  await shoot(m, "mediator-record-time", true);

  // A wrong end first: the form says what is wrong and nothing is recorded.
  const start = await second.locator("input[name=start]").inputValue();
  await second.locator("input[name=end]").fill(later(start, -30));
  await second.locator("button[type=submit]").click();
  const error = second.locator(".field-error");
  await error.waitFor();
  result.claim_error = await text(error);

  // The first as booked plus ten minutes; the second as booked.
  const firstEnd = first.locator("input[name=end]");
  await firstEnd.fill(later(await firstEnd.inputValue(), 10));
  await Promise.all([m.waitForEvent("load"), first.locator("button[type=submit]").click()]);
  await second.locator("input[name=end]").fill(later(start, 60));
  await Promise.all([m.waitForEvent("load"), m.locator(`#claim-${input.dispute} button[type=submit]`).click()]);
  result.mediator_waiting = await text(m.locator(`#claim-${input.confirm} .meta`));

  // The requester: one to confirm, one to dispute.
  const r = await person(input.requester);
  await r.goto(`${input.base}/bookings`);
  result.to_confirm = await text(r.locator("#to-confirm-title"));
  await r.goto(`${input.base}/bookings/${input.confirm}`);
  await axe(r, "booking with a time to confirm");
  await shoot(r, "requester-confirm-time", true);
  await Promise.all([r.waitForEvent("load"), r.click("#time-record button.primary")]);
  result.confirmed_badge = await text(r.locator("#time-record .badge").first());
  result.completed_badge = await text(r.locator("#booking-state"));

  // A booking nobody can take says so on its page.
  await r.goto(`${input.base}/bookings/${input.lonely}`);
  result.lonely_hint = await waitFor("the hint", async () => {
    if (await r.locator("#no-mediator-yet").count()) return text(r.locator("#no-mediator-yet"));
    await r.reload();
    return null;
  });

  await r.goto(`${input.base}/bookings/${input.dispute}`);
  await r.locator("#time-record details summary").first().click();
  await r.fill("#dispute-reason", "Der Termin endete schon nach einer halben Stunde.");
  await Promise.all([r.waitForEvent("load"), r.click("#time-record form button[type=submit]")]);
  result.disputed_badge = await text(r.locator("#time-record .badge").first());

  // The coordinator settles it, then gives up a booking nobody takes.
  const c = await person(input.coordinator);
  await c.goto(`${input.base}/disputes`);
  const dispute = c.locator(`#dispute-${input.dispute}`);
  await dispute.waitFor();
  result.dispute_reason = await text(dispute.locator("dd").filter({ hasText: "halben Stunde" }));
  await axe(c, "disputes");
  await shoot(c, "coordinator-disputes", true);
  const settleStart = await dispute.locator("input[name=start]").inputValue();
  await dispute.locator("input[name=end]").fill(later(settleStart, 30));
  await Promise.all([c.waitForEvent("load"), dispute.locator("button[type=submit]").click()]);
  result.disputes_after = await text(c.locator("#disputes-summary"));

  await c.goto(`${input.base}/queue`);
  const card = c.locator("li.card").filter({ has: c.locator(`a[href="/bookings/${input.give_up}"]`) });
  await card.waitFor();
  result.urgency = await text(card.locator("[class*=urgency-]").first());
  await axe(c, "queue with give-up");
  await card.locator("details.give-up summary").click();
  await card.locator("input[name=reason]").fill("Für diesen Termin ist niemand frei.");
  // The queue changes while the coordinator writes (a new booking comes in): the
  // live refresh leaves the form and what was typed alone.
  const heard = await c.evaluate(() => Number(document.body.dataset.liveHeard || 0));
  await r.evaluate(async (start) => {
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    await fetch("/api/v1/bookings", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ language: "uk", modality: "phone", start, duration_minutes: 30 }),
    });
  }, new Date(Date.now() + 3 * 86400000).toISOString());
  // Whether a refresh ran meanwhile (the stream's timing is the system's; the
  // assertion is that what was typed is still there either way).
  result.refresh_seen = await c.waitForFunction(
    (before) => Number(document.body.dataset.liveRefreshed || 0) > before, heard, { timeout: 10000 },
  ).then(() => true, () => false);
  result.reason_kept = await card.locator("input[name=reason]").inputValue();
  await Promise.all([c.waitForEvent("load"), card.locator("form button[type=submit]").click()]);
  result.in_queue_after = await c.locator(`a[href="/bookings/${input.give_up}"]`).count();
  await c.goto(`${input.base}/bookings/${input.give_up}`);
  result.given_up_state = await text(c.locator("#booking-state"));

  // A change that happens before the page's live connection is up still shows:
  // the requester's connection is held back while the coordinator gives up.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await r.route("**/ui/events", async (route) => { await held; await route.continue(); });
  await r.goto(`${input.base}/bookings/${input.lonely}`);
  await r.evaluate(() => { window.__stay = true; });
  const csrf = await c.evaluate(() => document.querySelector("meta[name=csrf-token]").content);
  const gaveUp = await c.evaluate(async ([id, token]) => {
    const res = await fetch(`/api/v1/bookings/${id}/give-up`, {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: JSON.stringify({ reason: "Niemand spricht Albanisch." }),
    });
    return res.status;
  }, [input.lonely, csrf]);
  result.lonely_given_up = gaveUp;
  release();
  await r.waitForSelector("[data-live=booking] .badge.state-unfilled", { timeout: 15000 });
  result.live_after_connect = await r.evaluate(() => window.__stay === true);
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.failure = String(e && e.stack ? e.stack : e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
