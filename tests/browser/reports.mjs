// The report for funders in headless chromium: a coordinator opens the statistics
// over a year, reads the charts' text alternatives and their tables, chooses the
// breakdown by region with the page's own controls, and fetches the CSV and the PDF
// the page links to. axe-core checks the page. Prints JSON; the Rust test
// (services/mittler/tests/system/reports.rs) starts the system and judges.
//
//   node reports.mjs '{"base": URL, "password": "...", "coordinator": EMAIL,
//                      "from": "YYYY-MM", "to": "YYYY-MM", "screenshots": DIR|null}'
import { launch, helpers } from "./browser.mjs";

const input = JSON.parse(process.argv[2]);
const result = { axe: {}, errors: [] };
const browser = await launch();
const { person, axe, shoot } = helpers(browser, input, result);
const text = async (locator) => ((await locator.textContent()) || "").replace(/\s+/g, " ").trim();

try {
  const c = await person(input.coordinator);
  await c.goto(`${input.base}/statistics?from=${input.from}&to=${input.to}&by=language`);
  result.figures = await text(c.locator("#report-figures"));
  result.charts = await c.$$eval("figure.chart svg[role=img]", (svgs) =>
    svgs.map((svg) => ({
      title: svg.querySelector("title").textContent,
      desc: svg.querySelector("desc").textContent,
      labelled: svg.getAttribute("aria-labelledby").split(" ").every((id) => document.getElementById(id)),
      bars: svg.querySelectorAll("rect.bar").length,
      rows: svg.closest("figure").querySelectorAll(".chart-data tbody tr").length,
    })));
  result.first_key = await text(c.locator("#chart-keys-title"));
  await axe(c, "statistics (a year by language)");
  await shoot(c, "coordinator-statistics", true);
  // By region, chosen on the page.
  await c.selectOption("#by", "region");
  await Promise.all([c.waitForEvent("load"), c.click("form.filters button[type=submit]")]);
  result.by_region_url = new URL(c.url()).search;
  result.regions = await c.$$eval("figure.chart .chart-data", (tables) =>
    [...tables[1].querySelectorAll("tbody th")].map((th) => th.textContent.trim()));
  await axe(c, "statistics (by region)");
  // The files the page links to.
  const links = await c.$$eval("a[download]", (as) => as.map((a) => a.getAttribute("href")));
  result.files = await c.evaluate(async (links) => {
    const out = [];
    for (const href of links) {
      const response = await fetch(href);
      const bytes = new Uint8Array(await response.arrayBuffer());
      out.push({ href, status: response.status, type: response.headers.get("content-type"),
                 head: [...bytes.slice(0, 4)] });
    }
    return out;
  }, links);
  result.ok = true;
} catch (e) {
  result.errors.push(String(e && e.stack || e));
} finally {
  await browser.close();
  console.log(JSON.stringify(result));
}
