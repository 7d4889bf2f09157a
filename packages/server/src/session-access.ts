// Who reaches a session and what it starts from: connection checks, creation input, events and
// the project's learned rules. Moved verbatim out of session.ts (the lifecycle lives elsewhere).
import { event } from "rivetkit";
import { canReach, type TokenTable } from "./auth.ts";
import { fail } from "./errors.ts";
import { ConnParamsSchema } from "./schema.ts";
import type { ConnState, ProjectLink, SessionContext } from "./session-effects.ts";
import type { SessionState } from "./session-state.ts";
import type {
  PermissionRequestEvent,
  PermissionResolvedEvent,
  RulesChangedEvent,
} from "./types.ts";

/** Input when a session is created: its working directory and home, for path rules. */
export interface SessionCreateInput {
  readonly cwd?: string;
  readonly home?: string;
}

/** What access needs from the server. */
export interface AccessDependencies {
  readonly tokens: TokenTable;
  readonly project: ProjectLink;
}

/** The session's events. */
export const sessionEvents = {
  permissionRequest: event<PermissionRequestEvent>(),
  permissionResolved: event<PermissionResolvedEvent>(),
  rulesChanged: event<RulesChangedEvent>(),
};

/** The access parts of the `permissionSession` actor's definition. */
export function sessionAccess(deps: AccessDependencies) {
  return {
    createState: (c: { key: string[] }, input: SessionCreateInput | undefined): SessionState => {
      const [projectId = "", sessionId = ""] = c.key;
      return {
        projectId,
        sessionId,
        createdAt: Date.now(),
        cwd: typeof input?.cwd === "string" && input.cwd.startsWith("/") ? input.cwd : null,
        home: typeof input?.home === "string" && input.home.startsWith("/") ? input.home : null,
        mode: null,
        rules: [],
        projectRules: [],
        projectRulesLoaded: false,
        revision: 0,
        evicted: 0,
        usage: { turns: 0, costUsd: 0 },
        seq: 0,
        requests: [],
        removedRuleIds: [],
        projectRuleOutbox: [],
      };
    },
    events: sessionEvents,
    onBeforeConnect: (c: { key: string[] }, params: unknown) => {
      const parsed = ConnParamsSchema.safeParse(params);
      if (!parsed.success) fail("unauthorized", "connect with { token }");
      const principal = deps.tokens.lookup(parsed.data.token);
      if (!principal) fail("unauthorized", "unknown token");
      const [projectId = "", sessionId = ""] = c.key;
      if (!canReach(principal, projectId, sessionId)) {
        fail("forbidden", `this token may not reach session ${sessionId} of project ${projectId}`);
      }
    },
    createConnState: (_c: unknown, params: unknown): ConnState => {
      const token = ConnParamsSchema.parse(params).token;
      return { principal: deps.tokens.lookup(token)! };
    },
  };
}

/** Reads the project's learned rules once, when the session first needs its policy. */
export async function ensureProjectRules(c: SessionContext, project: ProjectLink): Promise<void> {
  if (c.state.projectRulesLoaded) return;
  const rules = await project.loadRules(c.client(), c.state.projectId);
  if (c.state.projectRulesLoaded) return;
  c.state = {
    ...c.state,
    projectRules: rules.map((rule) => ({ ...rule, source: "project" as const })),
    projectRulesLoaded: true,
    revision: c.state.revision + 1,
  };
}
