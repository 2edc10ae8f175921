// Single sign-on in the browser: the sign-in page's button, the issuer's form (the
// OpenID provider the Rust test starts), and back signed in. Prints JSON; the Rust
// test (services/mittler/tests/system/accounts.rs) judges.
//
//   node sso.mjs '{"base": URL, "subject": SUB, "screenshots": DIR|null}'
import { launch, newContext } from "./browser.mjs";
import { createRequire } from "node:module";
import fs from "node:fs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const input = JSON.parse(process.argv[2]);
const result = { axe: {}, errors: [] };

const browser = await launch();
try {
  const context = await newContext(browser, { locale: "de-DE", timezoneId: "Europe/Berlin", viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => result.errors.push(e.message));
  await page.goto(`${input.base}/login?next=/feed`);
  await page.evaluate(AXE);
  result.axe["login with single sign-on (phone)"] = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  });
  if (input.screenshots) await page.screenshot({ path: `${input.screenshots}/login-sso.png`, fullPage: true });
  result.button = (await page.textContent("a[href^='/auth/oidc/login']")).trim();
  await page.click("a[href^='/auth/oidc/login']");
  await page.waitForSelector("input[name=sub]");
  result.at_issuer = new URL(page.url()).pathname;
  await page.fill("input[name=sub]", input.subject);
  await Promise.all([
    page.waitForURL((url) => url.href.startsWith(input.base) && !url.pathname.startsWith("/auth/")),
    page.click("button:text('Authorize')"),
  ]);
  result.landed = new URL(page.url()).pathname;
  result.landed_url = page.url();
  result.who = (await page.textContent("header .who a[href='/profile']")).trim();
  result.ok = true;
} catch (error) {
  result.ok = false;
  result.failure = String((error && error.stack) || error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
