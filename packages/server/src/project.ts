import { actor, event } from "rivetkit";
import { authorize, canReach, type Principal, type TokenTable } from "./auth.ts";
import { fail } from "./errors.ts";
import { ConnParamsSchema } from "./schema.ts";
import type { PermissionRequest, SessionRule } from "./types.ts";

/** The durable state of a project: learned rules and the index of pending requests. */
export interface ProjectState {
  projectId: string;
  rules: SessionRule[];
  pending: Record<string, PermissionRequest>;
}

/** Events of the project inbox. */
export interface InboxChange {
  readonly kind: "pending" | "resolved";
  readonly sessionId: string;
  readonly permissionId: string;
  readonly request?: PermissionRequest;
}

interface ConnState {
  principal: Principal;
}

const inboxKey = (sessionId: string, permissionId: string) => `${sessionId}/${permissionId}`;

/** Creates the `wardenProject` actor, keyed `[projectId]`. */
export function createProjectActor(deps: { readonly tokens: TokenTable }) {
  return actor({
    createState: (c: { key: string[] }): ProjectState => ({
      projectId: c.key[0] ?? "",
      rules: [],
      pending: {},
    }),
    events: { inboxChanged: event<InboxChange>() },
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
      /** Applies one change or a batch of them, in order, with one save; one event per change. */
      noteInbox: async (c, changes: InboxChange | InboxChange[]) => {
        const principal = c.conn?.state.principal;
        if (principal?.id !== "warden:system") fail("forbidden", "only sessions update the inbox");
        const list = Array.isArray(changes) ? changes : [changes];
        for (const change of list) {
          const key = inboxKey(change.sessionId, change.permissionId);
          if (change.kind === "pending" && change.request) c.state.pending[key] = change.request;
          else delete c.state.pending[key];
        }
        await c.saveState({ immediate: true });
        for (const change of list) c.broadcast("inboxChanged", change);
        return true;
      },
      listInbox: (c) => {
        const principal = authorize(c.conn?.state.principal, "listPending");
        if (principal.role === "agent") fail("forbidden", "agents do not read the project inbox");
        return Object.values(c.state.pending).sort((a, b) => a.createdAt - b.createdAt);
      },
    },
  });
}
