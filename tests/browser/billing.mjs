// Money in headless chromium: a coordinator edits the rate card and the pool's
// billing data, the mediator enters their billing data on a phone, the coordinator
// previews and closes last month, the mediator finds the statement and the
// requester the invoice. axe-core checks every page. Prints JSON; the Rust test
// (services/mittler/tests/system/billing.rs) starts the system and judges.
//
//   node billing.mjs '{"base": URL, "password": "...", "requester": EMAIL, "coordinator": EMAIL,
//                      "mediator": EMAIL, "screenshots": DIR|null}'
import { launch, helpers } from "./browser.mjs";

const input = JSON.parse(process.argv[2]);
const result = { axe: {}, errors: [] };
const browser = await launch();
const { person, axe, shoot } = helpers(browser, input, result);
const phone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const text = async (locator) => ((await locator.textContent()) || "").replace(/\s+/g, " ").trim();

try {
  // The coordinator sets the rate card: the trained rate to 50,00 €.
  const c = await person(input.coordinator);
  await c.goto(`${input.base}/billing`);
  result.without_card = await text(c.locator("#billing-summary"));
  await c.goto(`${input.base}/billing/rate-card`);
  await axe(c, "rate card");
  await c.fill("#c-trained", "50,00");
  await c.fill("#c-km", "0,30");
  await Promise.all([c.waitForEvent("load"), c.click("#rate-card button[type=submit]")]);
  result.trained_after = await c.locator("#c-trained").inputValue();
  result.km_after = await c.locator("#c-km").inputValue();
  // A wrong value is named at its field and changes nothing.
  await c.fill("#c-step", "0");
  await c.click("#rate-card button[type=submit]");
  const error = c.locator("#rate-card .field-error");
  await error.waitFor();
  result.card_error = await text(error);
  await c.reload();
  // The pool's own billing data.
  await c.fill("#pool-name", "Sprachmittlerpool Sachsen e.V.");
  await c.fill("#pool-street", "Straße der Nationen 12");
  await c.fill("#pool-postal_code", "09111");
  await c.fill("#pool-city", "Chemnitz");
  await c.fill("#pool-iban", "DE89 3704 0044 0532 0130 00");
  await Promise.all([c.waitForEvent("load"), c.click("#pool-party button[type=submit]")]);
  await shoot(c, "coordinator-rate-card", true);

  // The mediator, on a phone, enters their billing data.
  const m = await person(input.mediator, phone);
  await m.goto(`${input.base}/statements`);
  result.no_statements = await text(m.locator("#statements-summary"));
  await m.fill("#me-name", "Olena Kovalenko");
  await m.fill("#me-street", "Zschopauer Straße 5");
  await m.fill("#me-postal_code", "09111");
  await m.fill("#me-city", "Chemnitz");
  await m.fill("#me-iban", "DE89 3704 0044 0532 0130 00");
  await m.check("#me-vat_exempt");
  await Promise.all([m.waitForEvent("load"), m.click("#my-billing button[type=submit]")]);

  // The coordinator previews last month and closes it.
  await c.goto(`${input.base}/billing`);
  result.preview = await text(c.locator("#billing-summary"));
  await axe(c, "month close preview");
  await shoot(c, "coordinator-month-close", true);
  await Promise.all([c.waitForEvent("load"), c.click("#close-month")]);
  result.closed = await text(c.locator("#billing-summary .badge"));
  result.statement_number = await text(c.locator("table").first().locator("tbody th").first());
  await axe(c, "month closed");

  // The mediator finds the statement, with its files.
  await m.goto(`${input.base}/statements`);
  result.statement_total = await text(m.locator(".cards .card .total"));
  result.statement_links = await m.locator(".cards .card a[download]").count();
  await axe(m, "statements (phone)");
  await shoot(m, "mediator-statements", true);

  // The requester finds the invoice.
  const r = await person(input.requester);
  await r.goto(`${input.base}/invoices`);
  result.invoice_total = await text(r.locator(".cards .card .total"));
  result.invoice_xml = await r.locator(".cards .card a[href$='xrechnung.xml']").count();
  await axe(r, "invoices");
  await shoot(r, "requester-invoices", true);
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.failure = String(error && error.stack || error);
} finally {
  await browser.close();
  console.log(JSON.stringify(result));
}
