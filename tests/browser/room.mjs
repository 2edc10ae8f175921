// Two people open their own join links in headless chromium with fake camera and
// microphone; both reach RTCPeerConnection "connected" and receive video bytes.
// A forged and an expired link each show their message. Prints JSON; the Rust
// test (services/mittler/tests/system/sessions.rs) starts the system and judges.
//
//   node room.mjs '{"a": URL, "b": URL, "forged": URL, "expired": URL, "relay": false}'
import { launch, newContext } from "./browser.mjs";
import os from "node:os";

const input = JSON.parse(process.argv[2]);
const interfaces = Object.entries(os.networkInterfaces())
  .flatMap(([name, addrs]) => addrs.filter((a) => !a.internal).map((a) => `${name} ${a.address}`));
if (!input.relay && interfaces.length === 0) {
  console.log(JSON.stringify({
    error: "no network interface besides loopback: chromium gathers no ICE candidates on loopback alone, so two browsers on this machine cannot connect. Give the machine (or its network namespace) an interface with an address.",
  }));
  process.exit(3);
}

const browser = await launch(["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]);
const result = { interfaces };
try {
  const open = async (url, locale = "de-DE") => {
    const context = await newContext(browser, { locale });
    await context.grantPermissions(["camera", "microphone"]);
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") (result.console ??= []).push(m.text()); });
    await page.goto(url);
    return page;
  };
  const a = await open(input.a);
  await a.waitForFunction(() => window.mittlerRoom && window.mittlerRoom.state === "joined", null, { timeout: 15000 });
  const b = await open(input.b);
  const connected = async (page) => {
    const deadline = Date.now() + 30000;
    for (;;) {
      const seen = await page.evaluate(async () => ({ role: window.mittlerRoom.role, stats: await window.mittlerRoom.stats() }));
      const s = seen.stats;
      if (s.length === 1 && s[0].connectionState === "connected" && s[0].bytesReceived > 0) return seen;
      if (Date.now() > deadline) throw new Error(`not connected: ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  result.a = await connected(a);
  result.b = await connected(b);
  // Leaving ends the session for the other side too.
  await b.click("#leave");
  await a.waitForFunction(() => window.mittlerRoom.peers.size === 0, null, { timeout: 15000 });
  await a.click("#leave");
  result.left = true;

  // Camera and microphone refused: the page says so, and the person can still join.
  if (input.denied) {
    const strict = await launch(["--use-fake-device-for-media-stream"]);
    try {
      const context = await newContext(strict, { locale: "de-DE" });
      const page = await context.newPage();
      await page.goto(input.denied);
      await page.waitForFunction(() => window.mittlerRoom && window.mittlerRoom.mediaError, null, { timeout: 15000 });
      result.denied = await page.evaluate(() => ({
        mediaError: window.mittlerRoom.mediaError,
        shown: document.getElementById("notice").textContent,
      }));
      await page.waitForFunction(() => window.mittlerRoom.state === "joined", null, { timeout: 15000 });
      result.denied.joined = true;
      await page.click("#leave");
    } finally {
      await strict.close();
    }
  }

  for (const which of ["forged", "expired", "not_yet"]) {
    if (!input[which]) continue;
    const page = await open(input[which]);
    await page.waitForFunction(() => window.mittlerRoom && window.mittlerRoom.state === "error", null, { timeout: 15000 });
    result[which] = await page.evaluate(() => ({
      error: window.mittlerRoom.error,
      shown: document.getElementById("notice").textContent,
      opens_at: window.mittlerRoom.opensAt || null,
    }));
  }
  // A client whose phone speaks Ukrainian reads the room in Ukrainian.
  if (input.not_yet) {
    const page = await open(input.not_yet, "uk-UA");
    await page.waitForFunction(() => window.mittlerRoom && window.mittlerRoom.state === "error", null, { timeout: 15000 });
    result.not_yet_uk = await page.evaluate(() => ({
      shown: document.getElementById("notice").textContent,
      lang: document.documentElement.lang,
    }));
  }
} catch (error) {
  result.error = String(error && error.stack || error);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
