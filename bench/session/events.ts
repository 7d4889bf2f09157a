import type { PermissionRequestEvent } from "../../packages/server/src/index.ts";
import {
  APPROVER,
  agentOf,
  type Bench,
  bareActor,
  bareOf,
  debug,
  record,
  round,
  run,
  session,
} from "./bench-client.ts";
import { Arrivals, call, closeAll, openConnection, openConnections } from "./connections.ts";
import type { Plan } from "./stats.ts";

/** Longest the last subscriber may take to get a measured event before the trial is redone. */
const EVENT_PATIENCE_MS = 10_000;

/**
 * Connections subscribed to one event, each remembering the id of the last event it received, so
 * that one that stopped receiving (a busy engine can drop a connection's subscription) can be
 * found and replaced.
 */
class Subscribers<C extends { dispose(): Promise<unknown> }> {
  readonly conns: C[] = [];
  readonly #seen = new Map<C, string>();
  readonly #open: (received: (id: string) => void) => { conn: C; ready: () => Promise<unknown> };

  constructor(
    open: (received: (id: string) => void) => { conn: C; ready: () => Promise<unknown> },
  ) {
    this.#open = open;
  }

  async add(count: number): Promise<void> {
    const opened = await openConnections(count, () => {
      const entry = this.#open((id) => this.#seen.set(entry.conn, id));
      return entry;
    });
    this.conns.push(...opened);
  }

  /** Closes and replaces the connections that did not receive `id`; returns how many there were. */
  async replaceMissing(id: string): Promise<number> {
    const missing = this.conns.filter((conn) => this.#seen.get(conn) !== id);
    for (const conn of missing) {
      this.conns.splice(this.conns.indexOf(conn), 1);
      this.#seen.delete(conn);
    }
    await closeAll(missing);
    await this.add(missing.length);
    if (missing.length > 0) debug(`${missing.length} subscribers missed event ${id}: replaced`);
    return missing.length;
  }
}

/** Sends events until every subscriber receives one, replacing those that miss it. */
async function deliverFirst<T>(
  subscribers: Subscribers<{ dispose(): Promise<unknown> }>,
  send: (id: string) => Promise<T>,
  nextId: () => string,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const id = nextId();
    try {
      return await send(id);
    } catch (error) {
      if (attempt >= 4) throw error;
      await subscribers.replaceMissing(id);
    }
  }
}

/**
 * The ask path: from calling `requestPermission` (waitMs 0) to the last of `receivers` subscribed
 * approvers getting `permissionRequest`, vs a bare action that saves state and broadcasts a payload
 * of the same size to as many subscribers. Each ask is rejected afterwards, outside the timing.
 */
export async function measureFanOut(bench: Bench, receivers: number, plan: Plan) {
  const { client, metrics } = bench;
  const sessionId = `ask-${receivers}`;
  const began = performance.now();
  const since = () => `${Math.round(performance.now() - began)} ms`;
  const asks = new Arrivals<PermissionRequestEvent>();
  const broadcasts = new Arrivals<unknown>();
  const approvers = new Subscribers((received) => {
    const conn = session(client, sessionId, APPROVER);
    conn.on("permissionRequest", (event) => {
      received(event.request.requestId);
      asks.note(event.request.requestId, event);
    });
    return { conn, ready: () => conn.listPending() };
  });
  const listeners = new Subscribers((received) => {
    const conn = bareActor(client, `fanout-${receivers}`);
    conn.on("broadcasted", (event) => {
      received(String(event.seq));
      broadcasts.note(String(event.seq), event);
    });
    return { conn, ready: () => conn.ping(0) };
  });
  await approvers.add(receivers);
  await listeners.add(receivers);
  const agent = await agentOf(client, sessionId);
  const caller = await bareOf(client, `fanout-${receivers}`);
  debug(`${receivers} + ${receivers} subscribers connected after ${since()}`);

  let asked = 0;
  const nextAsk = () => `ask-${receivers}-${asked++}`;
  const ask = async (requestId: string, patienceMs = EVENT_PATIENCE_MS) => {
    const last = asks.expect(requestId, receivers, patienceMs);
    last.catch(() => {});
    const start = performance.now();
    const outcome = await call(
      "requestPermission",
      agent.requestPermission({
        requestId,
        toolName: "Bash",
        input: { command: `npm test -- --shard ${requestId}` },
        waitMs: 0,
      }),
    );
    try {
      const { at, event } = await last;
      return { ms: at - start, bytes: JSON.stringify(event).length };
    } finally {
      await call(
        "respondPermission",
        approvers.conns[0]!.respondPermission(sessionId, outcome.permissionId, "reject"),
      );
    }
  };
  let seq = 0;
  const nextSeq = () => String(++seq);
  let padBytes = 0;
  const broadcast = async (id: string, patienceMs = EVENT_PATIENCE_MS) => {
    const last = broadcasts.expect(id, receivers, patienceMs);
    last.catch(() => {});
    const start = performance.now();
    await call("broadcast", caller.broadcast(Number(id), padBytes));
    return (await last).at - start;
  };

  // A first event to each side; Warden's sets the size of the bare payload.
  const { bytes } = await deliverFirst(approvers, (id) => ask(id, 5_000), nextAsk);
  padBytes = Math.max(0, bytes - JSON.stringify({ seq: 1, pad: "" }).length);
  await deliverFirst(listeners, (id) => broadcast(id, 5_000), nextSeq);
  metrics.broadcast_event_bytes = bytes;
  debug(`first events delivered after ${since()}`);

  // A trial whose event misses a subscriber replaces it, and is redone.
  const measured = async <T>(
    subscribers: Subscribers<{ dispose(): Promise<unknown> }>,
    id: string,
    send: (id: string) => Promise<T>,
  ) => {
    try {
      return await send(id);
    } catch (error) {
      await subscribers.replaceMissing(id);
      throw error;
    }
  };
  const samples = await run(
    bench,
    {
      warden: async () => (await measured(approvers, nextAsk(), ask)).ms,
      bare: () => measured(listeners, nextSeq(), broadcast),
    },
    plan,
  );
  const warden = record(metrics, `broadcast_${receivers}`, samples.warden);
  const bare = record(metrics, `bare_broadcast_${receivers}`, samples.bare);
  metrics[`broadcast_${receivers}_ratio`] = round(warden / bare);
  debug(`measured after ${since()}`);
  await closeAll([...approvers.conns, ...listeners.conns, agent, caller]);
}

/**
 * A reply back to the waiting agent: from calling `respondPermission` to the agent's
 * `requestPermission` (waitMs > 0) resolving, vs a bare action that saves and wakes a waiting one.
 */
export async function measureReply(bench: Bench, plan: Plan) {
  const { client, metrics } = bench;
  const requests = new Arrivals<PermissionRequestEvent>();
  const waits = new Arrivals<{ id: string }>();
  const agent = await agentOf(client, "reply");
  const approver = await openConnection(() => {
    const conn = session(client, "reply", APPROVER);
    conn.on("permissionRequest", (event) => requests.note(event.request.requestId, event));
    return { conn, ready: () => conn.listPending() };
  });
  const waiter = await bareOf(client, "reply");
  const releaser = await openConnection(() => {
    const conn = bareActor(client, "reply");
    conn.on("waiting", (event) => waits.note(event.id, event));
    return { conn, ready: () => conn.ping(0) };
  });

  // Fresh ids for every attempt: a redone trial must not reuse the request of the failed one.
  let attempts = 0;
  const samples = await run(
    bench,
    {
      warden: async () => {
        const requestId = `reply-${attempts++}`;
        const seen = requests.expect(requestId, 1);
        const waiting = call(
          "requestPermission",
          agent.requestPermission({
            requestId,
            toolName: "Bash",
            input: { command: "npm publish" },
            waitMs: 30_000,
          }),
        );
        let replied: Promise<unknown> | undefined;
        try {
          const { event } = await seen;
          const start = performance.now();
          replied = call(
            "respondPermission",
            approver.respondPermission("reply", event.request.permissionId, "once"),
          );
          const outcome = await waiting;
          const end = performance.now();
          await replied;
          if (outcome.status !== "decided") throw new Error("the waiting agent got no decision");
          return end - start;
        } finally {
          await Promise.allSettled([seen, waiting, replied]);
        }
      },
      bare: async () => {
        const id = `release-${attempts++}`;
        const seen = waits.expect(id, 1);
        const waiting = call("waitForRelease", waiter.waitForRelease(id));
        let released: Promise<unknown> | undefined;
        try {
          await seen;
          const start = performance.now();
          released = call("release", releaser.release(id));
          await waiting;
          const end = performance.now();
          await released;
          return end - start;
        } finally {
          await Promise.allSettled([seen, waiting, released]);
        }
      },
    },
    plan,
  );
  const warden = record(metrics, "reply", samples.warden);
  const bare = record(metrics, "bare_reply", samples.bare);
  metrics.reply_ratio = round(warden / bare);
  await closeAll([agent, approver, waiter, releaser]);
}
