// Who reaches a session and what it starts from: connection checks, creation input, events and
// the project's learned rules (the lifecycle lives elsewhere). Creation input is never trusted.
import { event } from "rivetkit";
import { requireAdmission } from "./admission.ts";
import type { TokenTable } from "./auth.ts";
import { ConnParamsSchema } from "./schema.ts";
import type { ConnState, ProjectLink, ProjectRegistry, SessionContext } from "./session-effects.ts";
import { parseSessionKey, placeFromConnection } from "./session-key.ts";
import { initialState, type SessionState } from "./session-state.ts";
import type {
  PermissionRequestEvent,
  PermissionResolvedEvent,
  RulesChangedEvent,
} from "./types.ts";

/**
 * Where an agent's session runs, for path rules: sent by an agent in its connection parameters
 * (creation input is ignored, see session-key.ts).
 */
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
    // Creation input is ignored: the engine runs this before any Warden check (session-key.ts).
    createState: (c: { key: string[] }): SessionState => {
      const { projectId, sessionId } = parseSessionKey(c.key) ?? { projectId: "", sessionId: "" };
      return initialState(projectId, sessionId, Date.now());
    },
    events: sessionEvents,
    onBeforeConnect: (c: { key: string[] }, params: unknown) => {
      requireAdmission(deps.tokens, "permissionSession", c.key, params);
    },
    createConnState: (c: { state: SessionState }, params: unknown): ConnState => {
      const principal = deps.tokens.lookup(ConnParamsSchema.parse(params).token)!;
      placeFromConnection(c.state, principal, params);
      return { principal };
    },
  };
}

/** Reads the project's learned rules once, when the session first needs its policy. */
export async function ensureProjectRules(c: SessionContext, project: ProjectLink): Promise<void> {
  if (c.state.projectRulesLoaded) return;
  const rules = await project.loadRules(
    c.client<ProjectRegistry>(),
    c.state.projectId,
    c.state.sessionId,
  );
  if (c.state.projectRulesLoaded) return;
  c.state = {
    ...c.state,
    projectRules: rules.map((rule) => ({ ...rule, source: "project" as const })),
    projectRulesLoaded: true,
    revision: c.state.revision + 1,
  };
}
