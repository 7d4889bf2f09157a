// Who reaches a session and what it starts from: connection checks, creation input, events and
// the project's learned rules (the lifecycle lives elsewhere). Creation input is never trusted.
import { event } from "rivetkit";
import { requireAdmission } from "./admission.ts";
import type { TokenTable } from "./auth.ts";
import { ConnParamsSchema } from "./schema.ts";
import {
  type ConnState,
  commit,
  live,
  type ProjectLink,
  type ProjectRegistry,
  type SessionContext,
  type StateHolder,
} from "./session-effects.ts";
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
    createConnState: (c: StateHolder, params: unknown): ConnState => {
      const principal = deps.tokens.lookup(ConnParamsSchema.parse(params).token)!;
      const current = live(c);
      const place = { cwd: current.cwd, home: current.home };
      placeFromConnection(place, principal, params);
      if (place.cwd !== current.cwd || place.home !== current.home)
        commit(c, { state: { ...current, ...place } });
      return { principal };
    },
  };
}

/**
 * Reads the project's learned rules once, when the session first needs its policy (after the
 * call that needs it passed its checks: a refused call must not make the project record a
 * session). Concurrent callers share one read. A read
 * started before `forgetProjectRules` (the project's rules changed meanwhile) is superseded: its
 * answer is dropped and its callers wait for the newer read, so an older answer never lands
 * after a newer one. A failed read fails its callers and leaves the rules unloaded: the next
 * decision reads again rather than deciding without them.
 */
export function ensureProjectRules(c: SessionContext, project: ProjectLink): Promise<void> {
  if (live(c).projectRulesLoaded) return Promise.resolve();
  // Read once, now: once the actor has stopped, `c.vars` is undefined.
  const vars = c.vars;
  if (vars.rulesRead) return vars.rulesRead;
  const read: Promise<void> = project
    .loadRules(c.client<ProjectRegistry>(), live(c).projectId, live(c).sessionId)
    .then(
      (rules) => {
        if (vars.rulesRead !== read) return vars.rulesRead ?? ensureProjectRules(c, project);
        vars.rulesRead = undefined;
        // Read after the await: the state may have moved on meanwhile.
        const current = live(c);
        if (current.projectRulesLoaded) return;
        commit(c, {
          state: {
            ...current,
            projectRules: rules.map((rule) => ({ ...rule, source: "project" as const })),
            projectRulesLoaded: true,
            revision: current.revision + 1,
          },
        });
      },
      (error: unknown) => {
        if (vars.rulesRead === read) vars.rulesRead = undefined;
        throw error;
      },
    );
  vars.rulesRead = read;
  return read;
}

/** The project's rules changed: what the session holds, or is reading, is out of date. */
export function forgetProjectRules(c: SessionContext): void {
  c.vars.rulesRead = undefined;
  commit(c, { state: { ...live(c), projectRulesLoaded: false } });
}
