// "A request survives a crash", for every SDK configuration: the fast path on, deny-only and off,
// each with and without a subscription on the session (listeners change how the SDK keeps its
// connection). A real server in a child process is SIGKILLed while each configuration has a
// request waiting for a human, first alone (the engine survives), then together with its engine
// (the restarted server spawns a new engine on the same storage). Each configuration also starts
// a request while the server is down, and another once it is back. An approver answers every
// request through the project inbox; each agent must get exactly the answer given. Also the
// agent's side: an agent that goes away while waiting and asks again by requestId gets the one
// decision; and a client disposed while its connections are reconnecting settles, its waiting
// request ending as `aborted`.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type AgentDecision,
  createWardenClient,
  type FastPathMode,
  type WardenClient,
  type WardenSession,
} from "../src/index.ts";
import { ServerProcess } from "./fixtures/server-process.ts";

// Recovery after a crash takes 12–40 s on an idle machine, more under load; the SDK's own retry
// budget (120 s per wait) is what the agents rely on.
const POLL = { timeout: 180_000, interval: 250 };

interface Config {
  readonly name: string;
  readonly fastPath: FastPathMode;
  readonly subscribe: boolean;
}

const CONFIGS: Config[] = (["on", "deny-only", "off"] as const).flatMap((fastPath) => [
  { name: `fp-${fastPath}`, fastPath, subscribe: false },
  { name: `fp-${fastPath}-sub`, fastPath, subscribe: true },
]);

let server: ServerProcess;
const agents = new Map<FastPathMode, WardenClient>();
let approver: WardenClient;
const unsubscribes: (() => void)[] = [];

beforeAll(async () => {
  server = await ServerProcess.create();
  for (const fastPath of ["on", "deny-only", "off"] as const)
    agents.set(
      fastPath,
      createWardenClient({
        endpoint: server.endpoint,
        token: "agent-token",
        project: "demo",
        fastPath,
      }),
    );
  approver = createWardenClient({
    endpoint: server.endpoint,
    token: "approver-token",
    project: "demo",
  });
});

afterAll(async () => {
  for (const unsubscribe of unsubscribes) unsubscribe();
  try {
    // dispose() is bounded even when a connection never recovered (see the last test).
    await Promise.all([...agents.values(), approver].map((client) => client?.dispose()));
  } finally {
    await server?.stop();
  }
});

function sessionOf(config: Config, round: string): WardenSession {
  return agents.get(config.fastPath)!.session(`${config.name}-${round}`);
}

/** Opens each configuration's session (a decided call; the subscription where configured). */
async function openSessions(round: string) {
  for (const config of CONFIGS) {
    const session = sessionOf(config, round);
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } }),
    ).resolves.toMatchObject({ behavior: "allow", reason: "rule" });
    if (config.subscribe) unsubscribes.push(await session.subscribe({}));
  }
}

interface Waiting {
  readonly config: Config;
  readonly requestId: string;
  readonly command: string;
  readonly decision: Promise<AgentDecision>;
}

function ask(config: Config, round: string, phase: string): Waiting {
  const requestId = `${config.name}-${round}-${phase}`;
  const command = `make ${requestId}`;
  const decision = sessionOf(config, round).requestPermission({
    toolName: "Bash",
    input: { command },
    requestId,
  });
  // Checked below; an early rejection must not count as unhandled meanwhile.
  decision.catch(() => undefined);
  return { config, requestId, command, decision };
}

/** Answers every waiting request through the inbox: edited for those asked before the crash. */
async function answerAll(waiting: Waiting[]) {
  const inbox = approver.inbox();
  const open = new Set(waiting.map((w) => w.requestId));
  await expect
    .poll(async () => {
      const pending = await inbox.list();
      for (const request of pending) {
        if (!open.has(request.requestId)) continue;
        const edit = request.requestId.endsWith("-before");
        await inbox.respond(
          request.sessionId,
          request.permissionId,
          edit ? "once" : "reject",
          edit ? { updatedInput: { command: `${request.input.command} --edited` } } : undefined,
        );
        open.delete(request.requestId);
      }
      return open.size;
    }, POLL)
    .toBe(0);
}

async function expectAnswers(waiting: Waiting[]) {
  for (const w of waiting) {
    const decision = await w.decision;
    if (w.requestId.endsWith("-before"))
      expect(decision, w.requestId).toMatchObject({
        behavior: "allow",
        reason: "approved",
        input: { command: `${w.command} --edited` },
      });
    else expect(decision, w.requestId).toMatchObject({ behavior: "deny", reason: "rejected" });
  }
}

/** After the recovery, rules decide again in every configuration (locally or on the server). */
async function expectRulesDecide(round: string) {
  for (const config of CONFIGS) {
    const session = sessionOf(config, round);
    await expect(
      session.requestPermission({ toolName: "Read", input: { file_path: "after" } }),
    ).resolves.toMatchObject({ behavior: "allow", reason: "rule" });
    await expect(
      session.requestPermission({ toolName: "Bash", input: { command: "rm -rf after" } }),
    ).resolves.toMatchObject({ behavior: "deny", reason: "rule" });
  }
}

async function crashRound(round: string, crash: () => Promise<void>) {
  await openSessions(round);
  const waiting = CONFIGS.map((config) => ask(config, round, "before"));
  await expect
    .poll(async () => {
      const ids = new Set((await approver.inbox().list()).map((r) => r.requestId));
      return waiting.every((w) => ids.has(w.requestId));
    }, POLL)
    .toBe(true);

  await crash();
  // Requests made while the server is down wait for it like the others.
  waiting.push(...CONFIGS.map((config) => ask(config, round, "during")));
  await server.start();
  // And so do those made while it recovers (its actors come back seconds after it is up).
  waiting.push(...CONFIGS.map((config) => ask(config, round, "after")));

  await answerAll(waiting);
  await expectAnswers(waiting);
  await expectRulesDecide(round);
}

describe("a request waiting for a human survives a crash of the server, in every SDK configuration", () => {
  test("the server alone SIGKILLed and restarted (the engine survives)", async () => {
    await crashRound("server", () => server.kill());
  });

  test("the server and its engine SIGKILLed together and restarted on the same storage", async () => {
    await crashRound("engine", () => server.killWithEngine());
  });

  test("an agent that restarts mid-wait asks again with the same requestId and gets the one decision", async () => {
    for (const fastPath of ["on", "deny-only", "off"] as const) {
      const requestId = `restart-${fastPath}`;
      const call = { toolName: "Bash", input: { command: `make ${requestId}` }, requestId };
      const before = createWardenClient({
        endpoint: server.endpoint,
        token: "agent-token",
        project: "demo",
        fastPath,
      });
      const first = before.session("restarts").requestPermission(call);
      first.catch(() => undefined);
      await expect
        .poll(async () => (await approver.session("restarts").listPending()).length, POLL)
        .toBe(1);
      await before.dispose(); // the agent goes away; its request stays pending on the server
      await expect(first).rejects.toMatchObject({ code: "aborted" });

      const after = createWardenClient({
        endpoint: server.endpoint,
        token: "agent-token",
        project: "demo",
        fastPath,
      });
      try {
        const again = after.session("restarts").requestPermission(call);
        const [pending] = await approver.session("restarts").listPending();
        expect(pending).toMatchObject({ requestId });
        await approver.session("restarts").respond(pending!.permissionId, "once", {
          updatedInput: { command: `make ${requestId} --edited` },
        });
        await expect(again).resolves.toMatchObject({
          behavior: "allow",
          input: { command: `make ${requestId} --edited` },
        });
      } finally {
        await after.dispose();
      }
      const history = await approver.session("restarts").getHistory({ limit: 50 });
      expect(history.entries.filter((e) => e.requestId === requestId)).toHaveLength(1);
    }
  });

  test("dispose() settles while connections are reconnecting, and ends the waiting request as aborted", async () => {
    const leaver = createWardenClient({
      endpoint: server.endpoint,
      token: "agent-token",
      project: "demo",
      fastPath: "off",
    });
    const watched = leaver.session("leaver-sub");
    const plain = leaver.session("leaver");
    await plain.requestPermission({ toolName: "Read", input: { file_path: "warm-up" } });
    const unsubscribe = await watched.subscribe({});
    const asking = plain.requestPermission({ toolName: "Bash", input: { command: "make leave" } });
    asking.catch(() => undefined);
    await expect
      .poll(async () => (await approver.session("leaver").listPending()).length, POLL)
      .toBe(1);

    await server.killWithEngine();
    try {
      await expect
        .poll(() => [plain.status, watched.status], POLL)
        .toEqual(["reconnecting", "reconnecting"]);
      unsubscribe();
      // Bounded by its flush (no local decisions here) and the socket's closing handshake; the
      // generous limit only tells "never settles" (as before) from "settles".
      const disposed = leaver.dispose().then(() => "settled");
      const limit = new Promise((resolve) => setTimeout(resolve, 60_000, "still pending"));
      await expect(Promise.race([disposed, limit])).resolves.toBe("settled");
      expect(plain.status).toBe("closed");
      await expect(asking).rejects.toMatchObject({ code: "aborted" });
    } finally {
      await server.start();
    }
  });
});
