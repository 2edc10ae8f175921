// Debian's chromium for the browser tests, and contexts whose clock agrees with the
// rest of the system under test.
//
// Under deploy/local/at-date.sh every other process runs with its clock moved by
// FAKETIME seconds (libfaketime). Chromium does not run well with libfaketime
// preloaded, so the tests start it on the real clock and move the pages' clock
// instead (Playwright's clock; time then runs on at the normal pace).
import { chromium } from "playwright-core";

export async function launch(args = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", ...args],
  });
}

export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  const offset = Number(process.env.FAKETIME || 0);
  if (offset) await context.clock.install({ time: Date.now() + offset * 1000 });
  return context;
}

// What the page scripts share: signing a person in, axe-core on a page, a
// screenshot, and waiting for a condition. `result` collects axe findings and page
// errors; `input` holds the base URL, the demo password and the screenshot folder.
import { createRequire } from "node:module";
import fs from "node:fs";

const AXE = fs.readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export function helpers(browser, input, result) {
  async function person(email, options) {
    const context = await newContext(browser, { locale: "de-DE", timezoneId: "Europe/Berlin", ...options });
    const page = await context.newPage();
    page.on("pageerror", (e) => result.errors.push(`${email}: ${e.message}`));
    // Anything the pages' Content-Security-Policy refuses is an error of the page.
    page.on("console", (m) => {
      if (m.type() === "error" && /Content Security Policy/i.test(m.text())) result.errors.push(`${email}: ${m.text()}`);
    });
    page.on("dialog", (d) => d.accept());
    await page.goto(`${input.base}/login?next=/`);
    await page.fill("#email", email);
    await page.fill("#password", input.password);
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.click("button[type=submit]")]);
    return page;
  }

  async function axe(page, name) {
    // Evaluated, not added as a script element: the pages' policy forbids inline scripts.
    await page.evaluate(AXE);
    result.axe[name] = await page.evaluate(async () => {
      const r = await window.axe.run(document, { resultTypes: ["violations"] });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
    });
  }

  async function shoot(page, name, fullPage = false) {
    if (input.screenshots) await page.screenshot({ path: `${input.screenshots}/${name}.png`, fullPage });
  }

  async function waitFor(what, fn, ms = 30000) {
    const until = Date.now() + ms;
    for (;;) {
      const value = await fn();
      if (value) return value;
      if (Date.now() > until) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  return { person, axe, shoot, waitFor };
}
