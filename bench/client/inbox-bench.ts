/**
 * The `inbox` section of `pnpm bench`: an approver's first `list()` and its catch-up (subscribe
 * until every pending request was delivered) with 100 pending requests and with 10,000 across
 * 1,000 sessions (or as many as a 35 s fill reaches), against a real server in its own process.
 * Creating 1,000 sessions that each open 10 asks takes this box far longer than a bench may
 * (docs/scale.md): the project's inbox is filled through its real `noteInbox` action instead, as
 * the sessions' reports fill it, with the internal token the sessions use. The sessions do not
 * exist: the project's first reconciliation (60 s after the first report) would look for them and
 * empty the index, and the counts checked below would then fail the run rather than mislead.
 */
import { randomBytes } from "node:crypto";
import { suggestRules } from "@warden/rules";
import type { InboxChange, PermissionRequest, WardenRegistry } from "@warden/server";
import { createClient } from "rivetkit/client";
import { createWardenClient } from "../../packages/client/src/index.ts";
import { startEmbeddedServer } from "../../scripts/load/embedded-server.ts";

export const PER_SESSION = 10;
/**
 * How long the large fill may take: each report's save writes the whole index, which grows (on
 * this box 5.7 reports/s at ~9,000 pending), and everything must be read before the project's
 * first reconciliation, 60 s after the first report (in a run with 150 s it had emptied 590).
 */
const FILL_S = 35;
/** Reports in flight while filling. */
const FILL_CONCURRENCY = 20;

/** A pending request as a session reports it (an ask of `Bash(deploy …)`). */
function pendingRequest(project: string, sessionId: string, n: number): PermissionRequest {
  const command = `deploy service-${n} --env staging`;
  const now = Date.now();
  return {
    permissionId: `perm-${n}`,
    requestId: `req-${n}`,
    projectId: project,
    sessionId,
    toolName: "Bash",
    input: { command },
    action: `Run command: ${command}`,
    description: `Run command: ${command}`,
    params: { command },
    createdAt: now,
    expiresAt: now + 3_600_000,
    requestedBy: "bench-agent",
    suggestions: suggestRules({ toolName: "Bash", input: { command } }),
    evaluation: {
      decision: "ask",
      reason: "default",
      message: "No rule matched; the project asks a human.",
      rule: null,
      tier: null,
    },
  };
}

/**
 * Fills a project's inbox with `sessions × PER_SESSION` pending requests through `noteInbox`, as
 * sessions named `<prefix>-s<n>` would report them (they need not exist).
 */
export async function fillInbox(
  endpoint: string,
  internalToken: string,
  project: string,
  prefix: string,
  sessions: number,
  /** Stop starting reports at this `performance.now()`; resolves with the sessions reported. */
  deadline = Number.POSITIVE_INFINITY,
): Promise<number> {
  const rivet = createClient<WardenRegistry>(endpoint);
  const conn = rivet.wardenProject
    .getOrCreate([project], { params: { token: internalToken } })
    .connect();
  try {
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: FILL_CONCURRENCY }, async () => {
        while (next < sessions && performance.now() < deadline) {
          const sessionId = `${prefix}-s${next++}`;
          const changes = Array.from({ length: PER_SESSION }, (_, n): InboxChange => {
            const request = pendingRequest(project, sessionId, n);
            return { kind: "pending", sessionId, permissionId: request.permissionId, request };
          });
          await conn.noteInbox({ sessionId, changes, history: [] });
          done += 1;
        }
      }),
    );
    return done;
  } finally {
    await conn.dispose();
  }
}

/** An approver's first `list()` and catch-up, each from a fresh client (ms). */
async function approverTimes(endpoint: string, token: string, project: string, expected: number) {
  const listing = createWardenClient({ endpoint, token, project, fastPath: "off" });
  const listStart = performance.now();
  const listed = await listing.inbox().list();
  const listMs = performance.now() - listStart;
  await listing.dispose();
  if (listed.length !== expected) throw new Error(`listed ${listed.length}, not ${expected}`);

  const watching = createWardenClient({ endpoint, token, project, fastPath: "off" });
  let delivered = 0;
  const catchUpStart = performance.now();
  const off = await watching.inbox().subscribe({
    onRequest: () => {
      delivered += 1;
    },
    onResolved: () => undefined,
  });
  const catchUpMs = performance.now() - catchUpStart;
  off();
  await watching.dispose();
  if (delivered !== expected) throw new Error(`caught up ${delivered}, not ${expected}`);
  return { listMs, catchUpMs };
}

/** Runs the section; times in ms. */
export async function runInboxBench(log: (line: string) => void): Promise<Record<string, number>> {
  const internalToken = randomBytes(32).toString("hex");
  const project = "inbox";
  const server = await startEmbeddedServer({ approvers: 1, project, internalToken, log });
  const approver = server.approverTokens[0]!;
  try {
    log("inbox: 100 pending (10 sessions × 10)");
    await fillInbox(server.endpoint, internalToken, project, "small", 10);
    const small = await approverTimes(server.endpoint, approver, project, 100);
    log(
      `inbox: 10,000 pending (1,000 sessions × 10), or as many as the fill reaches in ${FILL_S} s`,
    );
    const fillStart = performance.now();
    const filled = await fillInbox(
      server.endpoint,
      internalToken,
      project,
      "large",
      990,
      fillStart + FILL_S * 1000,
    );
    const fillS = (performance.now() - fillStart) / 1000;
    const pending = (10 + filled) * PER_SESSION;
    log(`inbox: ${pending} pending after ${fillS.toFixed(0)} s`);
    const large = await approverTimes(server.endpoint, approver, project, pending);
    return {
      first_list_100_ms: small.listMs,
      first_list_10000_ms: large.listMs,
      first_list_growth: large.listMs / small.listMs,
      catch_up_100_ms: small.catchUpMs,
      catch_up_10000_ms: large.catchUpMs,
      catch_up_growth: large.catchUpMs / small.catchUpMs,
      pending_large: pending,
      fill_reports_per_s: filled / fillS,
    };
  } finally {
    await server.stop();
  }
}
