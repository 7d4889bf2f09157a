import { policySource } from "@warden/rules";
import { actor, event, setup } from "rivetkit";
import {
  type Admission,
  createWarden,
  type WardenOptions,
} from "../../packages/server/src/index.ts";

/** The project every bench session belongs to. */
export const BENCH_PROJECT = "bench";

/** One token per role the bench plays. */
export const BENCH_TOKENS = {
  "bench-agent": { id: "agent", role: "agent", projects: [BENCH_PROJECT] },
  "bench-approver": { id: "approver", role: "approver", projects: [BENCH_PROJECT] },
} as const satisfies WardenOptions["tokens"];

/** `Read` is allowed at once; everything else goes to humans, who have long enough to answer. */
const benchPolicy: WardenOptions["policy"] = {
  defaultProject: policySource({
    default_behavior: "ask",
    ask: { timeout_seconds: 600 },
    rules: [{ tool: "Read", behavior: "allow" }],
  }),
};

/** A payload the size the caller asks for, so a bare broadcast can carry as many bytes as Warden's. */
const padding = (bytes: number) => "x".repeat(Math.max(0, Math.min(bytes, 64 * 1024)));

/**
 * The baseline: a plain RivetKit actor doing the least each Warden action needs to do. `echo` and
 * `release` save state before answering, as every Warden decision does; `ping` does not.
 */
const bare = actor({
  state: { count: 0, last: null as unknown },
  createVars: () => ({ waiters: new Map<string, (released: boolean) => void>() }),
  events: {
    broadcasted: event<{ seq: number; pad: string }>(),
    waiting: event<{ id: string }>(),
  },
  actions: {
    ping: (_c, value: unknown) => value,
    echo: async (c, value: unknown) => {
      c.state.count += 1;
      c.state.last = value;
      await c.saveState({ immediate: true });
      return value;
    },
    broadcast: async (c, seq: number, padBytes: number) => {
      c.state.count += 1;
      await c.saveState({ immediate: true });
      c.broadcast("broadcasted", { seq, pad: padding(padBytes) });
      return seq;
    },
    waitForRelease: (c, id: string) =>
      new Promise<boolean>((resolve) => {
        c.vars.waiters.set(id, resolve);
        c.broadcast("waiting", { id });
      }),
    release: async (c, id: string) => {
      c.state.count += 1;
      await c.saveState({ immediate: true });
      const wake = c.vars.waiters.get(id);
      c.vars.waiters.delete(id);
      wake?.(true);
      return wake !== undefined;
    },
  },
});

/** Warden's actors, configured as `createWarden` builds them, plus the bare baseline, on one registry. */
export function createBenchRegistry() {
  return createBenchServer().registry;
}

/**
 * The bench registry and the connection check a front (apps/server/src/front-proxy.ts) applies:
 * Warden's for its actors; the bare baseline, which has no tokens, is let through.
 */
export function createBenchServer() {
  const { registry: warden, admit } = createWarden({
    policy: benchPolicy,
    tokens: BENCH_TOKENS,
    maxPendingPerSession: 1_000,
  });
  const registry = setup({ ...warden.config, use: { ...warden.config.use, bare } });
  const benchAdmit = (name: string, key: unknown, params: unknown): Admission =>
    name === "bare"
      ? { ok: true, principal: { id: "bench", role: "admin", projects: "*", sessions: "*" } }
      : admit(name, key, params);
  return { registry, admit: benchAdmit };
}

export type BenchRegistry = ReturnType<typeof createBenchRegistry>;
