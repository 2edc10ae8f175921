// A mediator who forgot their password, on a phone: "Passwort vergessen?" on the
// sign-in page, the mail's link (read from the mail sink), a password that is too
// common and one that is not, the sign-in with it, and a change of password on the
// profile page. axe-core checks every page. Prints JSON; the Rust test
// (services/mittler/tests/system/accounts.rs) starts the system and judges.
//
//   node account.mjs '{"base": URL, "mails": SINK_URL, "email": EMAIL, "screenshots": DIR|null}'
import { launch, newContext, helpers } from "./browser.mjs";

const input = JSON.parse(process.argv[2]);
const result = { axe: {}, errors: [] };

async function link() {
  const until = Date.now() + 30000;
  for (;;) {
    const mails = await (await fetch(`${input.mails}/api/mails`)).json();
    const mail = mails.find((m) => m.to.includes(input.email) && m.text.includes("/password/"));
    if (mail) return mail.text.match(/https?:\/\/\S+\/password\/\S+/)[0];
    if (Date.now() > until) throw new Error("no reset mail");
    await new Promise((r) => setTimeout(r, 200));
  }
}

const browser = await launch();
const { axe, shoot: shootPart } = helpers(browser, input, result);
const shoot = (page, name) => shootPart(page, name, true);
try {
  const context = await newContext(browser, {
    locale: "de-DE", timezoneId: "Europe/Berlin", viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
  });
  const page = await context.newPage();
  page.on("pageerror", (e) => result.errors.push(e.message));
  await page.goto(`${input.base}/login`);
  await page.click("text=Passwort vergessen?");
  await page.waitForURL((url) => url.pathname === "/password-reset");
  await axe(page, "password reset (phone)");
  await shoot(page, "password-reset");
  await page.fill("#email", input.email);
  await Promise.all([page.waitForURL((url) => url.pathname === "/login"), page.click("button[type=submit]")]);
  result.reset_toast = await (await page.waitForSelector("#toast.show")).textContent();

  // The mail's link: the page greets the mediator and asks for the new password.
  const url = new URL(await link());
  await page.goto(`${input.base}${url.pathname}`);
  result.set_heading = (await page.textContent("h1")).trim();
  result.set_lead = (await page.textContent("p.lead")).trim();
  await axe(page, "set password (phone)");
  await shoot(page, "password-set");
  await page.fill("#new-password", "passwort1234");
  await page.click("button[type=submit]");
  result.weak_refused = await (await page.waitForSelector(".field-error")).textContent();
  await page.fill("#new-password", "Abendrot-über-der-Zschopau");
  await Promise.all([page.waitForURL((url) => url.pathname === "/login"), page.click("button[type=submit]")]);

  // Signed in with the new password, then changed on the profile page.
  await page.fill("#email", input.email);
  await page.fill("#password", "Abendrot-über-der-Zschopau");
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.click("button[type=submit]")]);
  result.signed_in_at = new URL(page.url()).pathname;
  await page.goto(`${input.base}/profile`);
  await axe(page, "profile (phone)");
  await shoot(page, "profile");
  await page.fill("#current-password", "Abendrot-über-der-Zschopau");
  await page.fill("#new-password", "Morgennebel-im-Zwönitztal");
  await page.click("form[data-api='/api/v1/auth/password'] button[type=submit]");
  await page.waitForLoadState("load");
  result.after_change = await (await page.waitForSelector("#toast.show")).textContent();
  await shoot(page, "profile-changed");
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.failure = String((error && error.stack) || error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
