// The browser inbox in real Chromium against a real Warden server: multi-tab, races, reloads,
// timeouts, edits. Screenshots go to apps/web/test-results/.
import { type AgentDecision, createWardenClient } from "@warden/client";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import {
  card,
  connected,
  openInbox,
  SHORT_TIMEOUT_S,
  startRelay,
  TOKENS,
  useInboxFixture,
} from "./harness.ts";

// New actors can take a while to be routed on a loaded machine (pegboard route timeouts, retried).
const SEE = { timeout: 90_000 };
/** The sessions the tests use: few, because every new actor costs time on a busy engine. */
const MAIN = "s-main";
const SHORT = "s-short";

const fx = useInboxFixture({ main: MAIN, short: SHORT });

const open = async (token: string, project = "main") => {
  const page = await openInbox(fx.context, fx.inbox.url, {
    endpoint: fx.server.endpoint,
    token,
    project,
  });
  page.on("pageerror", (error) => console.log(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") console.log(`page console: ${message.text()}`);
  });
  await connected(page);
  return page;
};

let asked = 0;

/** Starts an agent's request in the background; returns its request id and decision. */
function ask(toolName: string, input: Record<string, unknown>, project = "main") {
  const client = project === "main" ? fx.agent : fx.shortAgent;
  const requestId = `req-${++asked}`;
  const decision: Promise<AgentDecision> = client
    .session(project === "main" ? MAIN : SHORT)
    .requestPermission({
      requestId,
      toolName,
      input,
      action: `${toolName}: ${JSON.stringify(input)}`,
    });
  // Surface a rejection in the test that awaits it, not as an unhandled one.
  decision.catch(() => undefined);
  return { requestId, decision };
}

/** Waits for a request's card on a page and returns its permission id. */
async function cardOf(page: Page, requestId: string): Promise<string> {
  const locator = page.locator(`article.card[data-request-id="${requestId}"]`);
  await locator.waitFor(SEE);
  return (await locator.getAttribute("data-permission-id"))!;
}

describe("the browser inbox", () => {
  test("a request appears in every tab; answered in one, the others mark it answered elsewhere by whom", async () => {
    const alice = await open(TOKENS.alice);
    const bob = await open(TOKENS.bob);
    const { requestId, decision } = ask("Bash", { command: "git push origin main" });

    const id = await cardOf(alice, requestId);
    expect(await cardOf(bob, requestId)).toBe(id);
    await expect
      .poll(() => card(alice, id).locator("[data-testid=countdown]").textContent())
      .toMatch(/\d:\d\d left/);
    await fx.shot(alice, "pending-request");

    const clickedAt = Date.now();
    await card(alice, id).getByRole("button", { name: "Allow once" }).click();
    await bob
      .locator(`article.card[data-permission-id="${id}"][data-state="answered-elsewhere"]`)
      .waitFor(SEE);
    const markedAfterMs = Date.now() - clickedAt;
    console.log(`answered elsewhere shown in the other tab ${markedAfterMs} ms after the click`);
    await expect.poll(() => card(bob, id).textContent()).toContain("Answered elsewhere by alice");
    expect(await card(bob, id).getByRole("button").count()).toBe(0);
    await expect.poll(() => card(alice, id).textContent()).toContain("Allowed once by you");
    await fx.shot(bob, "answered-elsewhere");

    await expect(decision).resolves.toMatchObject({ behavior: "allow", reason: "approved" });
    // Settled cards leave the list after a while.
    await card(bob, id).waitFor({ state: "detached", timeout: 30_000 });
    await alice.close();
    await bob.close();
  });

  test("two tabs answering the same request at the same moment make exactly one decision", async () => {
    const alice = await open(TOKENS.alice);
    const bob = await open(TOKENS.bob);
    for (const round of [1, 2, 3]) {
      const { requestId, decision } = ask("Bash", { command: `make deploy-${round}` });
      const id = await cardOf(alice, requestId);
      await cardOf(bob, requestId);
      await card(bob, id).getByRole("button", { name: "Reject…" }).click();
      await card(bob, id).getByRole("textbox").fill("Not today.");

      // Both clicks are dispatched in the same instant, each page's button still enabled.
      const press = (page: Page, label: string) =>
        page.evaluate(
          ([permissionId, text]) => {
            const buttons = document.querySelectorAll<HTMLButtonElement>(
              `article.card[data-permission-id="${permissionId}"] button`,
            );
            const button = [...buttons].find((b) => b.textContent === text);
            if (!button || button.disabled) return false;
            button.click();
            return true;
          },
          [id, label] as const,
        );
      // Pointers rest on the cards, as a person's would: nothing above them is removed meanwhile.
      await card(alice, id).hover();
      await card(bob, id).getByRole("button", { name: "Reject", exact: true }).hover();
      const pressed = await Promise.all([press(alice, "Allow once"), press(bob, "Reject")]);
      expect(pressed).toEqual([true, true]);

      const settled = async (page: Page) => {
        const locator = page.locator(`article.card[data-permission-id="${id}"]`);
        await expect
          .poll(() => locator.getAttribute("data-state"), SEE)
          .toMatch(/^answered(-elsewhere)?$/);
        return {
          state: await locator.getAttribute("data-state"),
          text: await locator.textContent(),
        };
      };
      const [a, b] = await Promise.all([settled(alice), settled(bob)]);
      // Exactly one tab's reply won; the other says so, and names the winner.
      expect([a.state, b.state].sort()).toEqual(["answered", "answered-elsewhere"]);
      const [winner, loser, loserPage] = a.state === "answered" ? [a, b, bob] : [b, a, alice];
      const winnerName = winner === a ? "alice" : "bob";
      expect(loser.text).toMatch(
        new RegExp(
          `(Already answered by ${winnerName}.*Your reply was not applied|Answered elsewhere by ${winnerName})`,
        ),
      );
      const result = await decision;
      expect(result.behavior).toBe(winner === a ? "allow" : "deny");
      if (round === 1) await fx.shot(loserPage, "race-loser");

      const history = await createWardenClient({
        endpoint: fx.server.endpoint,
        token: TOKENS.alice,
        project: "main",
      })
        .session(MAIN)
        .getHistory({ limit: 20 });
      expect(history.entries.filter((e) => e.permissionId === id)).toHaveLength(1);
    }
    await alice.close();
    await bob.close();
  });

  test("a card settled elsewhere is not removed from above the card under the pointer", async () => {
    const page = await open(TOKENS.alice);
    // One after the other: two asks sent together may reach the inbox in either order (the
    // session decides them concurrently), and cards are listed in the order they arrive.
    const first = ask("Bash", { command: "make lint" });
    const above = await cardOf(page, first.requestId);
    const second = ask("Bash", { command: "make docs" });
    const below = await cardOf(page, second.requestId);
    const aboveBox = await card(page, above).boundingBox();
    await card(page, below).getByRole("button", { name: "Allow once" }).hover();
    const box = await card(page, below).boundingBox();
    expect(aboveBox!.y).toBeLessThan(box!.y);

    const bob = createWardenClient({
      endpoint: fx.server.endpoint,
      token: TOKENS.bob,
      project: "main",
    });
    await bob.session(MAIN).respond(above, "once");
    await expect
      .poll(() => card(page, above).getAttribute("data-state"), SEE)
      .toBe("answered-elsewhere");
    // Longer than a settled card lingers: it stays, and the card under the pointer does not move.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    expect(await card(page, above).count()).toBe(1);
    expect((await card(page, below).boundingBox())?.y).toBe(box?.y);

    await page.mouse.move(1, 1);
    await card(page, above).waitFor({ state: "detached", ...SEE });
    // The card just moved up: a click in the next moment is refused as possibly mis-aimed.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await card(page, below).getByRole("button", { name: "Allow once" }).click();
    await expect(second.decision).resolves.toMatchObject({ behavior: "allow" });
    await expect(first.decision).resolves.toMatchObject({ behavior: "allow" });
    await bob.dispose();
  });

  test("a reload while a request is pending shows it again, still answerable", async () => {
    const page = await open(TOKENS.alice);
    const { requestId, decision } = ask("Bash", { command: "docker compose up -d" });
    const id = await cardOf(page, requestId);
    await page.reload();
    await card(page, id).waitFor(SEE);
    expect(await card(page, id).getAttribute("data-state")).toBe("open");
    await fx.shot(page, "after-reload");
    await card(page, id).getByRole("button", { name: "Reject…" }).click();
    await card(page, id).getByRole("textbox").fill("Use the staging stack.");
    await card(page, id).getByRole("button", { name: "Reject", exact: true }).click();
    await expect(decision).resolves.toEqual({
      behavior: "deny",
      reason: "rejected",
      message: "Use the staging stack.",
    });
    await page.close();
  });

  test("a countdown reaching zero shows the request timed out, and the agent is refused", async () => {
    const page = await open(TOKENS.alice, "short");
    const { requestId, decision } = ask("Bash", { command: "terraform apply" }, "short");
    const id = await cardOf(page, requestId);
    await expect
      .poll(() => card(page, id).locator("[data-testid=countdown]").textContent())
      .toMatch(/0:0\d left/);
    await expect
      .poll(() => card(page, id).getAttribute("data-state"), { timeout: 60_000 })
      .toBe("timed-out");
    expect(await card(page, id).textContent()).toContain("Timed out");
    expect(await card(page, id).getByRole("button").count()).toBe(0);
    await fx.shot(page, "timed-out");
    await expect(decision).resolves.toMatchObject({ behavior: "deny", reason: "timed_out" });
    expect(SHORT_TIMEOUT_S).toBeLessThan(10);
    await page.close();
  });

  test("the edit flow: the edited input is shown as a diff and reaches the agent", async () => {
    const page = await open(TOKENS.alice);
    const { requestId, decision } = ask("Bash", { command: "npm publish", cwd: "/repo" });
    const id = await cardOf(page, requestId);
    await card(page, id).getByRole("button", { name: "Edit input…" }).click();
    const editor = card(page, id).getByRole("textbox", { name: "Edited input" });
    await editor.fill(JSON.stringify({ command: "npm publish --dry-run", cwd: "/repo" }, null, 2));
    const diff = card(page, id).locator("[data-testid=input-diff]");
    await expect.poll(() => diff.locator(".removed").textContent()).toContain('"npm publish"');
    await expect.poll(() => diff.locator(".added").textContent()).toContain("--dry-run");
    await fx.shot(page, "edit-diff");
    await card(page, id).getByRole("button", { name: "Allow edited input" }).click();
    await expect(decision).resolves.toMatchObject({
      behavior: "allow",
      input: { command: "npm publish --dry-run", cwd: "/repo" },
    });
    await expect.poll(() => card(page, id).getAttribute("data-state")).toBe("answered");
    expect(await card(page, id).locator("[data-testid=input-diff] .added").textContent()).toContain(
      "--dry-run",
    );
    await page.close();
  });

  test("invalid JSON in the editor cannot be sent", async () => {
    const page = await open(TOKENS.alice);
    const { requestId, decision } = ask("Bash", { command: "ls -la /" });
    const id = await cardOf(page, requestId);
    await card(page, id).getByRole("button", { name: "Edit input…" }).click();
    await card(page, id).getByRole("textbox", { name: "Edited input" }).fill('{"command": ');
    await expect
      .poll(() => card(page, id).locator(".error").textContent())
      .toContain("Not valid JSON");
    expect(
      await card(page, id).getByRole("button", { name: "Allow edited input" }).isDisabled(),
    ).toBe(true);
    await card(page, id).getByRole("button", { name: "Allow once" }).click();
    await expect(decision).resolves.toMatchObject({
      behavior: "allow",
      input: { command: "ls -la /" },
    });
    await page.close();
  });

  test("always with an edited rule and project scope: later sessions are allowed by the rule", async () => {
    const page = await open(TOKENS.alice);
    const { requestId, decision } = ask("Bash", { command: "cargo build --release" });
    const id = await cardOf(page, requestId);
    // The suggestions are shown verbatim with their breadth.
    await expect
      .poll(() => card(page, id).locator(".suggestions code").first().textContent())
      .toMatch(/^Bash\(/);
    await card(page, id).getByRole("button", { name: "Always…" }).click();
    await card(page, id).getByRole("textbox", { name: "Rule to add" }).fill("Bash(cargo build *)");
    await card(page, id).getByLabel("every future session of the project").check();
    await fx.shot(page, "always-rule");
    await card(page, id).getByRole("button", { name: "Always allow" }).click();
    await expect(decision).resolves.toMatchObject({ behavior: "allow" });
    await expect
      .poll(() => card(page, id).textContent())
      .toContain("Bash(cargo build *) (project)");
    // A new session of the project inherits the rule: decided without asking.
    const next = fx.agent
      .session("s-later")
      .requestPermission({ toolName: "Bash", input: { command: "cargo build --offline" } });
    await expect(next).resolves.toMatchObject({ behavior: "allow", reason: "rule" });

    await page.getByRole("button", { name: "History" }).click();
    const row = page.locator(`table.history tr[data-permission-id="${id}"]`);
    await row.waitFor(SEE);
    expect(await row.textContent()).toMatch(
      /always allowed.*approver alice.*Bash\(cargo build \*\) \(project\)/,
    );
    await fx.shot(page, "history");
    await page.close();
  }, 240_000);

  test("the history is the project's: an open history view shows new decisions of any session by itself", async () => {
    const page = await open(TOKENS.alice);
    await page.getByRole("button", { name: "History" }).click();
    await page.locator("table.history, p.empty").first().waitFor(SEE);
    // Decided by rules, with no card and no click: the view hears that the project's history
    // gained entries and reads it again.
    const denied = ask("Bash", { command: "rm -rf history-test" });
    const read = ask("Read", { file_path: "history-test.txt" });
    await expect(denied.decision).resolves.toMatchObject({ behavior: "deny", reason: "rule" });
    await expect(read.decision).resolves.toMatchObject({ behavior: "allow", reason: "rule" });
    const row = (text: string) => page.locator("table.history tr", { hasText: text });
    await row("rm -rf history-test").waitFor(SEE);
    await row("history-test.txt").waitFor(SEE);
    expect(await row("rm -rf history-test").textContent()).toContain(MAIN);
    await page.close();
  }, 180_000);

  test("a lost connection shows a banner; when it is back, the page catches up by itself", async () => {
    const relay = await startRelay(fx.server.endpoint);
    try {
      const page = await openInbox(fx.context, fx.inbox.url, {
        endpoint: relay.endpoint,
        token: TOKENS.alice,
        project: "main",
      });
      const banner = page.getByTestId("connection-banner");
      await banner.waitFor({ state: "detached", ...SEE });
      await relay.cut();
      await expect.poll(() => banner.textContent(), SEE).toContain("Connection lost");
      await fx.shot(page, "connection-lost");
      // A request made while the page is cut off appears once the connection is back.
      const { requestId, decision } = ask("Bash", { command: "make migrate" });
      await relay.restore();
      await banner.waitFor({ state: "detached", ...SEE });
      const id = await cardOf(page, requestId);
      await card(page, id).getByRole("button", { name: "Allow once" }).click();
      await expect(decision).resolves.toMatchObject({ behavior: "allow" });
    } finally {
      await relay.close();
    }
  }, 240_000);

  test("one notification per request, however many tabs are open", async () => {
    const notified: string[] = [];
    const texts = new Map<string, string>();
    await fx.context.exposeBinding("__wardenNotified", (_source, tag: string, text: string) => {
      notified.push(tag);
      texts.set(tag, text);
    });
    // A recording stand-in for the browser's Notification (headless Chromium shows none).
    await fx.context.addInitScript(() => {
      const record = (window as unknown as { __wardenNotified(tag: string, text: string): void })
        .__wardenNotified;
      class RecordingNotification {
        static permission = "granted";
        static requestPermission = async () => "granted";
        onclick: (() => void) | null = null;
        constructor(title: string, options?: { tag?: string; body?: string }) {
          void record(options?.tag ?? "", `${title}\n${options?.body ?? ""}`);
        }
        close() {}
      }
      Object.defineProperty(window, "Notification", { value: RecordingNotification });
    });
    const tabs = await Promise.all([open(TOKENS.alice), open(TOKENS.alice), open(TOKENS.bob)]);
    const asks = [
      ask("Bash", { command: "kubectl rollout restart deploy/api" }),
      ask("WebFetch", { url: "https://example.com" }),
    ];
    const ids = [
      await cardOf(tabs[0]!, asks[0]!.requestId),
      await cardOf(tabs[0]!, asks[1]!.requestId),
    ];
    for (const tab of tabs) for (const id of ids) await card(tab, id).waitFor(SEE);
    // Every tab has them; a second's grace for a late duplicate.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(notified.filter((tag) => ids.includes(tag)).sort()).toEqual([...ids].sort());

    // The leader tab closes: another takes over and notifies new requests only, once.
    await tabs[0]!.close();
    // Its command holds a bidi override: the notification shows it as a marker.
    const third = ask("Bash", { command: "make release \u202E--dry-run" });
    const id3 = await cardOf(tabs[1]!, third.requestId);
    await card(tabs[2]!, id3).waitFor(SEE);
    await expect.poll(() => notified.filter((tag) => tag === id3).length, SEE).toBe(1);
    expect(texts.get(id3)).toBe(
      `Warden: Bash needs a decision\n${MAIN}: Run command: make release ⟨U+202E⟩--dry-run`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(notified.filter((tag) => ids.includes(tag) || tag === id3)).toHaveLength(3);

    for (const id of [...ids, id3]) {
      await card(tabs[1]!, id).getByRole("button", { name: "Allow once" }).click();
    }
    await Promise.all([...asks, third].map((a) => a.decision));
    for (const tab of tabs.slice(1)) await tab.close();
  });
});
