import { launchBrowser, screenshot } from "./harness.ts";

const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  page.on("pageerror", (e) => console.log("PAGEERROR", e.message));
  page.on("console", (m) => m.type() === "error" && console.log("CONSOLE", m.text()));
  await page.goto("http://127.0.0.1:5173/#token=dev-approver-token&project=demo");
  await page.locator("article.card").first().waitFor({ timeout: 60000 });
  await new Promise((r) => setTimeout(r, 2000));
  console.log("URL after load:", page.url());
  console.log(await screenshot(page, "demo-inbox"));
  for (let i = 0; i < 4; i++) {
    const first = page.locator('article.card[data-state="open"]').first();
    await first.waitFor({ timeout: 60000 });
    console.log("answering:", await first.locator("h3").textContent());
    await first.getByRole("button", { name: "Allow once" }).click();
    await new Promise((r) => setTimeout(r, 1500));
  }
  await page.getByRole("button", { name: "History" }).click();
  await page.locator("table.history").waitFor({ timeout: 30000 });
  await new Promise((r) => setTimeout(r, 1000));
  console.log(await screenshot(page, "demo-history"));
} finally {
  await browser.close();
}
