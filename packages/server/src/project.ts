import { actor, event } from "rivetkit";
import { authorize, canReach, type Principal, SYSTEM_PRINCIPAL, type TokenTable } from "./auth.ts";
import { fail } from "./errors.ts";
import {
  applyInboxChange,
  applyInboxSync,
  type InboxChange,
  type InboxState,
  nextReconcileAt,
  pruneTombstones,
} from "./inbox.ts";
import { ConnParamsSchema, IdSchema, parseInput } from "./schema.ts";
import type { PermissionRequest, SessionRule } from "./types.ts";

export type { InboxChange } from "./inbox.ts";

/** The durable state of a project: learned rules and the index of pending requests (the inbox). */
export interface ProjectState extends InboxState {
  projectId: string;
  rules: SessionRule[];
  /** The id of the scheduled reconciliation, if any. */
  reconcileAt: number | null;
}

interface ConnState {
  principal: Principal;
}

/** How the project reaches its sessions (to reconcile the inbox with them). */
export interface SessionReader {
  listPending(client: unknown, projectId: string, sessionId: string): Promise<PermissionRequest[]>;
}

const isSystem = (principal: Principal | undefined) => principal?.id === SYSTEM_PRINCIPAL.id;

/** Creates the `wardenProject` actor, keyed `[projectId]`. */
export function createProjectActor(deps: {
  readonly tokens: TokenTable;
  readonly sessions: SessionReader;
}) {
  type Ctx = {
    state: ProjectState;
    broadcast(name: string, ...args: unknown[]): void;
    saveState(options: { immediate: boolean }): Promise<void>;
    client(): unknown;
    schedule: { at(timestamp: number, action: string, ...args: unknown[]): Promise<string> };
    waitUntil(promise: Promise<unknown>): void;
    log: { warn(message: unknown): void };
  };

  /** Schedules the next check of entries that should have expired by then. */
  async function scheduleReconcile(c: Ctx) {
    const at = nextReconcileAt(c.state, Date.now());
    if (at === null) return;
    if (
      c.state.reconcileAt !== null &&
      c.state.reconcileAt <= at &&
      c.state.reconcileAt > Date.now()
    )
      return;
    c.state.reconcileAt = at;
    await c.schedule.at(at, "reconcileInbox");
  }

  /** Asks every session with indexed requests for its pending ones and corrects the index. */
  async function reconcile(c: Ctx) {
    const sessionIds = [...new Set(Object.values(c.state.pending).map((r) => r.sessionId))];
    for (const sessionId of sessionIds) {
      try {
        const pending = await deps.sessions.listPending(c.client(), c.state.projectId, sessionId);
        for (const change of applyInboxSync(c.state, sessionId, pending, Date.now()))
          c.broadcast("inboxChanged", change);
      } catch (error) {
        c.log.warn({
          msg: "inbox reconciliation failed for a session",
          sessionId,
          error: String(error),
        });
      }
    }
    pruneTombstones(c.state, Date.now());
    await c.saveState({ immediate: true });
  }

  return actor({
    createState: (c: { key: string[] }): ProjectState => ({
      projectId: c.key[0] ?? "",
      rules: [],
      pending: {},
      sessions: {},
      resolved: {},
      reconcileAt: null,
    }),
    events: { inboxChanged: event<InboxChange>() },
    // Not awaited (saveState never returns inside onWake in rivetkit 2.3.19): after a restart the
    // index is checked against the sessions, which also re-announce their requests when they wake.
    onWake: (c) => {
      const ctx = c as unknown as Ctx;
      ctx.state.pending ??= {};
      ctx.state.sessions ??= {};
      ctx.state.resolved ??= {};
      ctx.state.reconcileAt ??= null;
      if (Object.keys(ctx.state.pending).length > 0) {
        ctx.waitUntil(
          reconcile(ctx)
            .then(() => scheduleReconcile(ctx))
            .catch((error) =>
              ctx.log.warn({ msg: "inbox reconciliation failed", error: String(error) }),
            ),
        );
      }
    },
    onBeforeConnect: (c: { key: string[] }, params: unknown) => {
      const parsed = ConnParamsSchema.safeParse(params);
      if (!parsed.success) fail("unauthorized", "connect with { token }");
      const principal = deps.tokens.lookup(parsed.data.token);
      if (!principal) fail("unauthorized", "unknown token");
      if (!canReach(principal, c.key[0] ?? ""))
        fail("forbidden", `this token may not reach project ${c.key[0]}`);
    },
    createConnState: (_c: unknown, params: unknown): ConnState => ({
      principal: deps.tokens.lookup(ConnParamsSchema.parse(params).token)!,
    }),
    actions: {
      listProjectRules: (c) => {
        authorize(c.conn?.state.principal, "listRules");
        return c.state.rules;
      },
      addProjectRules: async (c, rules: SessionRule[]) => {
        authorize(c.conn?.state.principal, "respondPermission");
        const known = new Set(c.state.rules.map((r) => r.tool));
        for (const rule of rules)
          if (!known.has(rule.tool)) c.state.rules.push({ ...rule, source: "project" });
        await c.saveState({ immediate: true });
        return c.state.rules;
      },
      removeProjectRule: async (c, ruleId: string) => {
        authorize(c.conn?.state.principal, "removeRule");
        const before = c.state.rules.length;
        c.state.rules = c.state.rules.filter((r) => r.id !== ruleId);
        if (c.state.rules.length === before) fail("not_found", `no project rule ${ruleId}`);
        await c.saveState({ immediate: true });
        return true;
      },
      /** A session reports one request pending or settled (sessions only). */
      noteInbox: async (c, change: InboxChange) => {
        if (!isSystem(c.conn?.state.principal)) fail("forbidden", "only sessions update the inbox");
        const applied = applyInboxChange(c.state, change, Date.now());
        await c.saveState({ immediate: true });
        if (applied) c.broadcast("inboxChanged", applied);
        await scheduleReconcile(c as unknown as Ctx);
        return applied !== null;
      },
      /** A session reports all its pending requests (on wake): the index follows (sessions only). */
      syncInbox: async (c, sessionId: string, pending: PermissionRequest[]) => {
        if (!isSystem(c.conn?.state.principal)) fail("forbidden", "only sessions update the inbox");
        const id = parseInput(IdSchema, sessionId, "sessionId");
        const changes = applyInboxSync(c.state, id, pending, Date.now());
        await c.saveState({ immediate: true });
        for (const change of changes) c.broadcast("inboxChanged", change);
        await scheduleReconcile(c as unknown as Ctx);
        return changes.length;
      },
      /** Checks the index against the sessions (scheduled; also callable by admins). */
      reconcileInbox: async (c) => {
        const principal = c.conn?.state.principal;
        if (principal && principal.role !== "admin")
          fail("forbidden", "only admins reconcile the inbox");
        const ctx = c as unknown as Ctx;
        ctx.state.reconcileAt = null;
        await reconcile(ctx);
        await scheduleReconcile(ctx);
        return Object.keys(c.state.pending).length;
      },
      listInbox: (c) => {
        const principal = authorize(c.conn?.state.principal, "listPending");
        if (principal.role === "agent") fail("forbidden", "agents do not read the project inbox");
        return Object.values(c.state.pending)
          .filter((r) => canReach(principal, c.state.projectId, r.sessionId))
          .sort((a, b) => a.createdAt - b.createdAt);
      },
      /** Every session that ever had a request in the inbox, most recent first. */
      listSessions: (c) => {
        const principal = authorize(c.conn?.state.principal, "getHistory");
        return Object.entries(c.state.sessions)
          .filter(([sessionId]) => canReach(principal, c.state.projectId, sessionId))
          .sort((a, b) => b[1] - a[1])
          .map(([sessionId, lastSeenAt]) => ({ sessionId, lastSeenAt }));
      },
    },
  });
}
