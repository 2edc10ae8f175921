// The web UI in headless chromium, as three people use it at once: a coordinator
// watches the live queue on a desktop, a requester books on a desktop, a mediator
// accepts on a phone. axe-core checks every page. Prints JSON; the Rust test
// (services/mittler/tests/system/ui.rs) starts the system and judges.
//
//   node ui.mjs '{"base": URL, "password": "...", "requester": EMAIL, "coordinator": EMAIL,
//                 "mediators": {ID: EMAIL}, "start": "YYYY-MM-DDTHH:MM", "screenshots": DIR|null}'
import { launch, newContext, helpers } from "./browser.mjs";

const input = JSON.parse(process.argv[2]);
const result = { steps: [], axe: {}, errors: [] };
const step = (name, detail) => result.steps.push(detail === undefined ? name : { [name]: detail });

const browser = await launch();
const { person, axe, shoot, waitFor } = helpers(browser, input, result);

const api = (page, path) => page.evaluate(async (p) => (await fetch(p)).json(), path);

const pages = {};
try {
  // The login page itself, in both languages.
  {
    const context = await newContext(browser, { locale: "de-DE" });
    const page = await context.newPage();
    await page.goto(`${input.base}/login`);
    await axe(page, "login (de)");
    await page.click("a[hreflang=en]");
    await page.waitForSelector("html[lang=en]");
    result.login_en = await page.textContent("button[type=submit]");
    result.browser_now = await page.evaluate(() => Date.now());
    await axe(page, "login (en)");
    await page.fill("#email", "nobody@example.org");
    await page.fill("#password", "wrong-password");
    await page.click("button[type=submit]");
    await page.waitForSelector(".form-errors:not(:empty)");
    result.login_refused = (await page.textContent(".form-errors")).trim();
    await context.close();
  }

  const coordinator = await person(input.coordinator, { viewport: { width: 1280, height: 900 } });
  pages.coordinator = coordinator;
  await coordinator.waitForSelector("body[data-live-ready]");
  result.coordinator_home = new URL(coordinator.url()).pathname;
  await coordinator.evaluate(() => { window.__notReloaded = true; });
  await axe(coordinator, "queue");

  const requester = await person(input.requester, { viewport: { width: 1280, height: 900 } });
  pages.requester = requester;
  result.requester_home = new URL(requester.url()).pathname;
  await axe(requester, "bookings");
  await requester.goto(`${input.base}/bookings/new`);
  await axe(requester, "new booking");

  // Enter in the language search never books: it moves to the list of matches.
  await requester.fill("#language-search", "tigr");
  await requester.press("#language-search", "Enter");
  result.enter_focus = await requester.evaluate(() => document.activeElement && document.activeElement.id);
  result.enter_review_shown = await requester.isVisible("#review");
  result.enter_path = new URL(requester.url()).pathname;
  await requester.fill("#language-search", "");

  // A start in the past is refused with the field named, and nothing is booked.
  await requester.fill("#language-search", "ukrain");
  result.language_matches = await requester.$$eval("#language option:not([hidden])", (o) => o.map((x) => x.value));
  await requester.selectOption("#language", "uk");
  await requester.fill("#local_start", "2020-01-06T10:00");
  await requester.click("button[type=submit]");
  // First the review: what will be booked; only its button sends it.
  await requester.waitForSelector("#review:not([hidden])");
  result.review_language = (await requester.textContent('#review [data-review-of="language"]')).trim();
  result.review_shows_address = await requester.isVisible('#review [data-review-of="location.address"]');
  await axe(requester, "new booking, review");
  await shoot(requester, "requester-review", true);
  await requester.click("[data-review-confirm]");
  await requester.waitForSelector(".field-error");
  result.past_start_error = (await requester.textContent(".field-error")).trim();
  result.past_start_focus = await requester.evaluate(() => document.activeElement && document.activeElement.id);
  result.past_start_summary = (await requester.textContent("form .form-errors")).trim();
  result.still_on_form = new URL(requester.url()).pathname;

  // At 03:00 nobody works: the review says so before anything is booked. On site,
  // at another address than the office: the place its postal code and address name
  // is shown as it is typed, and in the review.
  await requester.fill("#local_start", `${input.start.slice(0, 10)}T03:00`);
  await requester.check('input[name=modality][value=on_site]');
  await requester.waitForFunction(() => document.getElementById("booking-place").textContent.trim() !== "");
  result.place_at_site = (await requester.textContent("#booking-place")).trim();
  await requester.fill("#booking-address", "Hauptstraße 3, Mildenau");
  await requester.fill("#booking-postal", "09456");
  await requester.waitForFunction(() => /Mildenau/.test(document.getElementById("booking-place").textContent));
  result.place_typed = (await requester.textContent("#booking-place")).trim();
  await requester.click("button[type=submit]");
  await requester.waitForSelector("#review-check:not([hidden])");
  result.review_check_night = (await requester.textContent("#review-check")).trim();
  result.review_place = (await requester.textContent('#review [data-review-of="booking-place"]')).trim();
  await axe(requester, "new booking, review of a time nobody works");
  await shoot(requester, "requester-review-place", true);
  await requester.click("[data-review-back]");
  await requester.fill("#booking-postal", "00000");
  await requester.waitForFunction(() => /kennen wir nicht|do not know/.test(document.getElementById("booking-place").textContent));
  result.place_unknown = (await requester.textContent("#booking-place")).trim();
  await requester.check('input[name=modality][value=video]');

  // The real booking: Ukrainian, by video, on a working day at 10:00.
  await requester.fill("#local_start", input.start);
  await requester.selectOption("#subject_area", "social_benefits");
  await requester.fill("#client_reference", "BG-4711");
  await requester.fill("#notes", "Bitte 10 Minuten vorher am Empfang melden.");
  await requester.selectOption("#client_language", "uk");
  await requester.click("button[type=submit]");
  await requester.waitForSelector("#review:not([hidden])");
  // Give the check its moment: it stays silent when someone can take it.
  await requester.waitForTimeout(500);
  result.review_check_day_hidden = await requester.isHidden("#review-check");
  await Promise.all([
    requester.waitForURL(/\/bookings\/[0-9a-f-]{36}$/),
    requester.click("[data-review-confirm]"),
  ]);
  const bookingId = requester.url().split("/").pop();
  result.booking_id = bookingId;
  await requester.waitForSelector("body[data-live-ready]");
  await requester.evaluate(() => { window.__notReloaded = true; });
  await axe(requester, "booking detail");
  step("booked");

  // The coordinator's queue shows it without a reload.
  await coordinator.waitForSelector(`[data-live=queue] a[href="/bookings/${bookingId}"]`, { timeout: 30000 });
  result.queue_showed_without_reload = await coordinator.evaluate(() => window.__notReloaded === true);
  await shoot(coordinator, "coordinator");

  // Whom dispatch asked first.
  const offers = await waitFor("offers", async () => {
    const booking = await api(requester, `/api/v1/bookings/${bookingId}`);
    return booking.offers && booking.offers.length ? booking.offers : null;
  });
  const email = input.mediators[offers[0].mediator_id];
  step("offered", email);

  // The mediator, on a phone, accepts with one tap.
  const mediator = await person(email, {
    viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2,
  });
  result.mediator_home = new URL(mediator.url()).pathname;
  const card = `#offer-${offers[0].id}`;
  await mediator.waitForSelector(card);
  await axe(mediator, "offers (phone)");
  await shoot(mediator, "mediator");
  result.phone_fits = await mediator.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  result.phone_header_share = await mediator.evaluate(() => document.querySelector("header.top").getBoundingClientRect().height / window.innerHeight);
  await mediator.click("#presence");
  await mediator.waitForSelector("#presence[aria-pressed=true]");
  step("online");
  await Promise.all([
    mediator.waitForURL(/\/jobs$/),
    mediator.tap(`${card} button.primary`),
  ]);
  await mediator.waitForSelector("[data-live=jobs] .card");
  result.job_listed = await mediator.textContent("[data-live=jobs] .card h2");
  await axe(mediator, "jobs (phone)");
  step("accepted");
  // The booking's link (as mails and the feed have it) opens the mediator's job page,
  // with the requester's notes and the case number.
  await mediator.goto(`${input.base}/bookings/${bookingId}`);
  result.job_path = new URL(mediator.url()).pathname;
  result.job_notes = (await mediator.textContent("dd.notes")).trim();
  result.job_facts = await mediator.textContent("dl.facts");
  await axe(mediator, "job (phone)");
  // Earlier jobs, further back than a week.
  await mediator.goto(`${input.base}/jobs`);
  await Promise.all([mediator.waitForEvent("load"), mediator.click('a[href="/jobs?past=90"]')]);
  result.jobs_since = (await mediator.textContent("[data-live=jobs] p.meta")).trim();
  await shoot(mediator, "mediator-job", true);
  // The month of the job, as a calendar: on a phone only the days with work.
  await mediator.goto(`${input.base}/jobs/calendar?month=${input.start.slice(0, 7)}`);
  result.calendar_days = await mediator.$$eval("table.month td:not(.free)", (cells) =>
    cells.filter((c) => c.offsetParent !== null).map((c) => c.textContent.replace(/\s+/g, " ").trim()));
  result.calendar_fits = await mediator.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  await axe(mediator, "calendar (phone)");
  await shoot(mediator, "mediator-calendar", true);

  // The queue lets it go, and the requester's page shows the mediator, both live.
  await coordinator.waitForSelector(`[data-live=queue] a[href="/bookings/${bookingId}"]`, { state: "detached", timeout: 30000 });
  result.queue_cleared_without_reload = await coordinator.evaluate(() => window.__notReloaded === true);
  await requester.waitForSelector("[data-live=booking] .badge.state-assigned", { timeout: 30000 });
  result.detail_updated_without_reload = await requester.evaluate(() => window.__notReloaded === true);
  result.detail_facts = await requester.textContent("dl.facts");
  // Moving an assigned booking warns first: the mediator is released.
  await requester.goto(`${input.base}/bookings/${bookingId}`);
  result.reschedule_warning = (await requester.textContent('form[data-api$="/reschedule"] .hint')).trim();
  // New notes after the mediator accepted: the job stays theirs and shows them.
  await requester.click("#amend summary");
  await requester.fill("#amend-notes", "Bitte am Seiteneingang klingeln.");
  await Promise.all([requester.waitForEvent("load"), requester.click("#amend button[type=submit]")]);
  await axe(requester, "booking detail after changing the notes");
  await mediator.goto(`${input.base}/jobs/${bookingId}`);
  result.job_notes_after = (await mediator.textContent("dd.notes")).trim();
  await requester.goto(`${input.base}/bookings`);
  await shoot(requester, "requester");
  // The list finds a booking by its case number and says who booked it.
  await requester.fill("#q-filter", "4711");
  await Promise.all([requester.waitForEvent("load"), requester.click("form[role=search] button[type=submit]")]);
  result.search_rows = await requester.$$eval("[data-live=bookings] tbody tr", (rows) => rows.map((r) => r.textContent.replace(/\s+/g, " ").trim()));
  await axe(requester, "bookings (search)");

  // A second booking, by phone in Arabic, which the coordinator assigns by hand
  // from the booking's page, choosing from the dispatch explanation.
  const second = await requester.evaluate(async (start) => {
    const csrf = document.querySelector("meta[name=csrf-token]").content;
    const res = await fetch("/api/v1/bookings", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, "Idempotency-Key": "ui-second" },
      body: JSON.stringify({ language: "ar", modality: "phone", local_start: start, duration_minutes: 45 }),
    });
    return (await res.json()).id;
  }, input.second_start);
  await waitFor("a dispatch round", async () => {
    const booking = await api(requester, `/api/v1/bookings/${second}`);
    return booking.offers && booking.offers.length > 0;
  });
  await coordinator.goto(`${input.base}/bookings/${second}`);
  await coordinator.waitForSelector("#assign table button.primary");
  result.explained = (await coordinator.textContent("#assign table tbody tr td:nth-child(3)")).trim();
  await axe(coordinator, "assign");
  await Promise.all([coordinator.waitForEvent("load"), coordinator.click("#assign table button.primary")]);
  await coordinator.waitForSelector("[data-live=booking] .badge.state-assigned");
  result.assigned_by_hand = second;
  step("assigned by hand");
  // The coordinator takes the job off that mediator again and gives it to another.
  const firstHolder = (await api(coordinator, `/api/v1/bookings/${second}`)).assignment.mediator_id;
  await coordinator.click("#unassign summary");
  await coordinator.fill("#unassign-reason", "Die Klientin wünscht eine andere Person.");
  await Promise.all([coordinator.waitForEvent("load"), coordinator.click("#unassign button[type=submit]")]);
  await coordinator.waitForSelector("#assign table button.primary");
  result.unassigned_state = (await api(coordinator, `/api/v1/bookings/${second}`)).state;
  await axe(coordinator, "booking after taking the mediator off");
  const other = `#assign table button.primary:not([data-body*="${firstHolder}"])`;
  await coordinator.waitForSelector(other);
  await Promise.all([coordinator.waitForEvent("load"), coordinator.click(other)]);
  await coordinator.waitForSelector("[data-live=booking] .badge.state-assigned");
  const secondHolder = (await api(coordinator, `/api/v1/bookings/${second}`)).assignment.mediator_id;
  result.reassigned = { first: firstHolder, second: secondHolder };
  step("reassigned");

  // The coordinator deactivates a mediator from the list.
  await coordinator.goto(`${input.base}/mediators`);
  const row = coordinator.locator("tr", { hasText: input.deactivate });
  await Promise.all([coordinator.waitForEvent("load"), row.locator("button").click()]);
  result.deactivated_row = (await coordinator.locator("tr", { hasText: input.deactivate }).locator("td").nth(4).textContent()).trim();

  // The mediator's calendar: add a Saturday morning and save.
  await mediator.goto(`${input.base}/availability`);
  await axe(mediator, "availability (phone)");
  const before = await mediator.$$eval("#rules [data-item]", (rows) => rows.length);
  await mediator.click("[data-add-row]");
  const rule = mediator.locator("#rules [data-item]").last();
  await rule.locator("select").selectOption("6");
  await rule.locator("input[name=start]").fill("10:00");
  await rule.locator("input[name=end]").fill("12:00");
  await Promise.all([mediator.waitForEvent("load"), mediator.click("form[data-method=PUT] button[type=submit]")]);
  result.rules = { before, after: await mediator.$$eval("#rules [data-item]", (rows) => rows.length) };
  // An absence over the accepted job is asked about first, then named on the page.
  const day = input.start.slice(0, 10);
  await mediator.fill("#absence-start", `${day}T00:00`);
  await mediator.fill("#absence-end", `${day}T23:59`);
  // (Every dialog is accepted by the page helpers; this one is only read.)
  const asked = new Promise((resolve) => mediator.once("dialog", (dialog) => resolve(dialog.message())));
  await Promise.all([mediator.waitForEvent("load"), mediator.click("form[data-overlaps] button[type=submit]")]);
  result.absence_question = await asked;
  result.absence_covered = (await mediator.textContent("#covered-jobs")).replace(/\s+/g, " ").trim();
  await axe(mediator, "availability with an absence over a job (phone)");
  await shoot(mediator, "mediator-absence", true);
  await mediator.goto(`${input.base}/feed`);
  // The accepted offer needs nothing more: read, and saying so (live, if the page
  // came before the news).
  await mediator.waitForSelector("[data-live=feed] .card .badge", { timeout: 30000 });
  result.feed_offer_closed = await mediator.$$eval("[data-live=feed] .card .badge", (b) => b.map((x) => x.textContent.trim()));
  result.feed_unread = (await mediator.textContent("#feed-count")).trim();
  await axe(mediator, "feed (phone)");
  // "I can take calls" says why calls would not come (demo mediators take no
  // same-day work), and leads to the switch that changes it.
  const blockedNow = async () => {
    await mediator.goto(`${input.base}/offers`);
    return mediator.$$eval("#presence-blocked li", (items) => items.map((i) => i.textContent.trim()));
  };
  result.presence_blocked_before = await blockedNow();
  await axe(mediator, "offers with the presence explained (phone)");
  await shoot(mediator, "mediator-presence", true);
  await Promise.all([mediator.waitForEvent("load"), mediator.click("#presence-blocked a[href='/profile#p-same-day']")]);
  await mediator.check("#p-same-day");
  await Promise.all([mediator.waitForEvent("load"), mediator.click("form[data-api='/api/v1/me'] button[type=submit]")]);
  result.presence_blocked_after = await blockedNow();

  // The rest of the coordinator's pages, and the requester's in English.
  for (const [path, name] of [["/bookings", "bookings (coordinator)"], [`/bookings/${bookingId}`, "booking (coordinator)"],
    ["/mediators", "mediators"], ["/people", "people"], ["/people?q=erzgebirgskreis", "people (search)"], ["/profile", "profile"],
    ["/organisations", "organisations"], ["/statistics", "statistics"], ["/feed", "feed"],
    ["/deliveries", "deliveries"], ["/deliveries?state=sent", "deliveries (sent)"], ["/disputes", "disputes"]]) {
    await coordinator.goto(`${input.base}${path}`);
    await axe(coordinator, name);
    if (name === "people (search)") await shoot(coordinator, "people");
    if (name === "organisations") {
      await shoot(coordinator, "organisations");
      // Each organisation leads to its accounts.
      await Promise.all([coordinator.waitForEvent("load"), coordinator.click("a[href^='/people?organisation=']")]);
      result.org_accounts = await coordinator.$$eval("table tbody tr td:nth-child(2)", (cells) => cells.map((c) => c.textContent.trim()));
      await axe(coordinator, "people of one organisation");
    }
    if (name === "deliveries") {
      await shoot(coordinator, "deliveries");
      result.deliveries_title = (await coordinator.textContent("h1")).trim();
    }
  }
  // The mediators page finds people by language.
  await coordinator.goto(`${input.base}/mediators`);
  await coordinator.fill("#mediator-q", "Tigrinya");
  await Promise.all([coordinator.waitForEvent("load"), coordinator.click("form[role=search] button[type=submit]")]);
  result.mediators_found = await coordinator.$$eval("table tbody tr td:nth-child(2)", (cells) => cells.map((c) => c.textContent.trim()));
  result.mediators_lead = (await coordinator.textContent("p.lead")).trim();
  await axe(coordinator, "mediators (search)");
  // An address nobody serves is a page with a way back, not JSON.
  await coordinator.goto(`${input.base}/nirgendwo`);
  result.unknown_page = (await coordinator.textContent("h1")).trim();
  // A pool's spreadsheet with a mistake, then a right one, only checked: the problem
  // is named by line and column, and nothing is written.
  await coordinator.goto(`${input.base}/mediators`);
  const csv = (rows) => ({ name: "pool.csv", mimeType: "text/csv", buffer: Buffer.from(rows.join("\n"), "utf8") });
  const header = "Name;E-Mail;Anrede;Sprachen;Einsatzformen;PLZ;Breitengrad;Längengrad";
  await coordinator.setInputFiles("#import-file", csv([header, "Lina Berg;lina.berg@example.org;w;elbisch;Video;04109;51,3;12,3"]));
  await coordinator.click("form[data-upload] button[value=check]");
  result.import_problem = (await (await coordinator.waitForSelector("[data-upload-result] li")).textContent()).trim();
  await coordinator.setInputFiles("#import-file", csv([header, "Lina Berg;lina.berg@example.org;w;uk:geschult;Video;04109;51,3;12,3"]));
  await coordinator.click("form[data-upload] button[value=check]");
  await coordinator.waitForFunction(() => document.querySelector("[data-upload-result]").textContent.includes("Jede Zeile"));
  result.import_checked = (await coordinator.textContent("[data-upload-result]")).trim();
  await axe(coordinator, "mediators (import checked)");
  await coordinator.goto(`${input.base}/statistics${input.statistics_query}`);
  result.statistics_total = (await coordinator.textContent("table tbody tr td")).trim();
  // The same month chosen with the page's own controls.
  await coordinator.goto(`${input.base}/statistics`);
  await coordinator.fill("#from-month", input.statistics_month);
  await coordinator.fill("#to-month", input.statistics_month);
  await Promise.all([coordinator.waitForEvent("load"), coordinator.click("form.filters button[type=submit]")]);
  result.statistics_total_by_month = (await coordinator.textContent("table tbody tr td")).trim();
  await axe(coordinator, "statistics (a month)");
  // The booking assigned by hand, moved by an hour to a time its mediator is free:
  // it stays theirs.
  await requester.goto(`${input.base}/bookings/${second}`);
  await requester.fill("#new_start", input.second_start.replace("T14:00", "T15:00"));
  await Promise.all([requester.waitForEvent("load"), requester.click('form[data-api$="/reschedule"] button[type=submit]')]);
  result.moved_state = (await requester.textContent("[data-live=booking] .badge")).trim();
  result.moved_facts = (await requester.textContent("dl.facts")).replace(/\s+/g, " ").trim();
  await requester.click("a[hreflang=en]");
  await requester.waitForSelector("html[lang=en]");
  result.requester_nav_en = await requester.textContent("header nav");
  await axe(requester, "bookings (en)");

  result.ok = true;
} catch (error) {
  result.ok = false;
  result.failure = String(error && error.stack || error);
  for (const [name, page] of Object.entries(pages)) {
    try {
      result[`live_${name}`] = await page.evaluate(() => [document.body.dataset.liveHeard, document.body.dataset.liveRefreshed]);
    } catch (e) { /* closed */ }
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
