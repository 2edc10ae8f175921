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
