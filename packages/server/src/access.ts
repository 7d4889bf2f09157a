// Every way into an actor and its lock, in one table: each callable action and each event of
// each actor, with the roles that may use it and, for events, which payloads a subscriber may see.
// `guardActor` applies the table to an actor definition, so a door without a row fails at start.
import type { Principal } from "./auth.ts";
import { fail } from "./errors.ts";
import type { InboxChange } from "./inbox.ts";
import { RESERVED_KEYS } from "./protocol.ts";
import { watchStorage } from "./storage-fault.ts";
import type {
  HistoryAppendedEvent,
  PermissionRequestEvent,
  PermissionResolvedEvent,
  Role,
} from "./types.ts";

/** Who may come in: a configured role, or `system` (actor-to-actor calls and scheduled work). */
export type CallerRole = Role | "system";

/** Roles of an action. */
type ActionRows = Readonly<Record<string, readonly CallerRole[]>>;

/** Roles of an event, and which of its payloads one subscriber may receive (default: all). */
interface EventRow {
  readonly roles: readonly CallerRole[];
  readonly visible?: (principal: Principal, payload: never, state: never) => boolean;
}

const ALL: readonly CallerRole[] = ["agent", "approver", "admin"];

/** Agents see only their own requests, as in `listPending` and `getRequest` (unknown: not). */
const ownRequest = (principal: Principal, requestedBy: string | undefined) =>
  principal.role !== "agent" || (requestedBy !== undefined && requestedBy === principal.id);

/** The part of a session's state that tells whose a request is. */
interface RequestOwners {
  readonly requests?: readonly { readonly permissionId: string; readonly requestedBy?: string }[];
}

/** Approvers limited to some sessions see those sessions' entries only, as in `listInbox`. */
const reachableSession = (principal: Principal, sessionId: string) =>
  principal.sessions === "*" || principal.sessions.includes(sessionId);

/**
 * The access table. A session is reachable at all only by tokens whose `projects` and `sessions`
 * name it (checked when connecting); a project only by tokens whose `projects` name it.
 */
export const ACCESS = {
  permissionSession: {
    actions: {
      requestPermission: ["agent", "admin"],
      /** The SDK's local decisions, recorded as the caller's own calls (like requestPermission). */
      recordLocalDecisions: ["agent", "admin"],
      waitForDecision: ALL,
      cancelRequest: ["agent", "admin"],
      getRequest: ALL,
      listPending: [...ALL, "system"],
      getHistory: ["approver", "admin"],
      respondPermission: ["approver", "admin"],
      listRules: ALL,
      getPolicy: ALL,
      getUsage: ALL,
      addRule: ["admin"],
      removeRule: ["admin"],
      setMode: ["admin"],
      /** The request's own expiry timer. */
      expirePermission: ["system"],
      /** The project actor pushing its learned rules after a change. */
      reloadProjectRules: ["system"],
      /** The project no longer records the session (evicted): drop the rules, read them later. */
      dropProjectRules: ["system"],
    },
    events: {
      permissionRequest: {
        roles: ALL,
        visible: (p: Principal, e: PermissionRequestEvent) => ownRequest(p, e.request.requestedBy),
      },
      permissionResolved: {
        roles: ALL,
        // Whose request it is: the payload's `requestedBy` if it has one, else the record, which
        // is still in state when its resolution is announced. Unknown owner: agents get nothing.
        visible: (p: Principal, e: PermissionResolvedEvent, state: RequestOwners) =>
          ownRequest(
            p,
            e.requestedBy ??
              state.requests?.find((r) => r.permissionId === e.permissionId)?.requestedBy,
          ),
      },
      rulesChanged: { roles: ALL },
    },
  },
  wardenProject: {
    actions: {
      listProjectRules: ["approver", "admin", "system"],
      loadSessionRules: ["system"],
      addProjectRules: ["admin", "system"],
      removeProjectRule: ["admin"],
      getProjectRulesLog: ["approver", "admin"],
      noteInbox: ["system"],
      reconcileInbox: ["admin", "system"],
      /** The project's own alarm: sends its outbox of rule changes again. */
      pushRuleChanges: ["system"],
      listInbox: ["approver", "admin"],
      getHistory: ["approver", "admin"],
      listSessions: ["approver", "admin"],
    },
    events: {
      inboxChanged: {
        roles: ["approver", "admin"],
        visible: (p: Principal, change: InboxChange) => reachableSession(p, change.sessionId),
      },
      historyAppended: {
        roles: ["approver", "admin"],
        visible: (p: Principal, e: HistoryAppendedEvent) => reachableSession(p, e.sessionId),
      },
    },
  },
} as const satisfies Record<
  string,
  { actions: ActionRows; events: Readonly<Record<string, EventRow>> }
>;

export type ActorName = keyof typeof ACCESS;
export type ActionName<A extends ActorName> = keyof (typeof ACCESS)[A]["actions"] & string;

/** The `scope` of a reply's options, if the options are an object that has one. */
const scopeOf = (options: unknown) =>
  typeof options === "object" && options !== null && Object.hasOwn(options, "scope")
    ? (options as { scope?: unknown }).scope
    : undefined;

/**
 * Calls that act on every session of a project, by action and arguments: they change what every
 * session decides, or read and count every session. A token whose `sessions` names only some
 * sessions reaches only those, so it may not make them (a row above lets its role call the
 * action for the sessions it reaches).
 */
export const PROJECT_WIDE: {
  readonly [A in ActorName]: Readonly<
    Partial<Record<ActionName<A>, (args: readonly unknown[]) => boolean>>
  >;
} = {
  permissionSession: {
    // An "always" reply of scope project becomes a rule of every session of the project.
    respondPermission: (args) => scopeOf(args[3]) === "project",
  },
  wardenProject: {
    addProjectRules: () => true,
    removeProjectRule: () => true,
    // Asks every due session for its pending requests and answers the project's count.
    reconcileInbox: () => true,
  },
};

/** Fails with `forbidden` when a caller limited to some sessions makes a project-wide call. */
export function requireWholeProject(
  actor: ActorName,
  action: string,
  principal: Principal,
  args: readonly unknown[],
): void {
  if (principal.sessions === "*") return;
  const rows: Readonly<Record<string, (args: readonly unknown[]) => boolean>> = PROJECT_WIDE[actor];
  if (Object.hasOwn(rows, action) && rows[action]?.(args)) {
    fail(
      "forbidden",
      "a token limited to some sessions may not act on every session of the project",
      {
        action,
      },
    );
  }
}

/** Whether a role may call an action of an actor (unknown actions: never). */
export function mayCall(actor: ActorName, action: string, role: CallerRole): boolean {
  const rows: ActionRows = ACCESS[actor].actions;
  return Object.hasOwn(rows, action) && (rows[action] ?? []).includes(role);
}

/** Whether a role may subscribe to an event of an actor (unknown events: never). */
export function maySubscribe(actor: ActorName, name: string, role: CallerRole): boolean {
  const rows: Readonly<Record<string, EventRow>> = ACCESS[actor].events;
  return Object.hasOwn(rows, name) && (rows[name]?.roles ?? []).includes(role);
}

/** Whether a role has any door into an actor (a connection of a role with none is refused). */
export function mayEnter(actor: ActorName, role: CallerRole): boolean {
  const { actions, events } = ACCESS[actor] as {
    actions: ActionRows;
    events: Readonly<Record<string, EventRow>>;
  };
  return (
    Object.values(actions).some((roles) => roles.includes(role)) ||
    Object.values(events).some((row) => row.roles.includes(role))
  );
}

/** Whether one subscriber may receive one payload of an event. */
export function mayReceive(
  actor: ActorName,
  name: string,
  principal: Principal,
  payload: unknown,
  state: unknown,
): boolean {
  if (!maySubscribe(actor, name, principal.role)) return false;
  const row: EventRow | undefined = (ACCESS[actor].events as Record<string, EventRow>)[name];
  if (!row?.visible) return true;
  return (row.visible as (p: Principal, x: unknown, s: unknown) => boolean)(
    principal,
    payload,
    state,
  );
}

interface Conn {
  readonly state?: { principal?: Principal };
  send(name: string, ...args: unknown[]): void;
}

interface GuardedContext {
  actorId: string;
  conn?: Conn;
  conns?: Map<string, Conn>;
  state?: unknown;
  broadcast(name: string, ...args: unknown[]): void;
}

/** A scheduled call has no connection: it runs as the system. Every caller from outside has one. */
const SCHEDULED: Principal = Object.freeze({
  id: "warden:schedule",
  role: "system",
  projects: "*",
  sessions: "*",
}) as Principal;

/** The caller of an action: its connection's principal, the system for scheduled work. */
export function callerOfContext(c: { conn?: Conn }): Principal | undefined {
  if (c.conn === undefined) return SCHEDULED;
  return c.conn.state?.principal;
}

/** Fails with `unauthorized` or `forbidden` unless the caller may call the action. */
export function authorizeCall(actor: ActorName, action: string, c: { conn?: Conn }): Principal {
  const principal = callerOfContext(c);
  if (!principal) return fail("unauthorized", "a token is required");
  if (!mayCall(actor, action, principal.role)) {
    fail("forbidden", `the ${principal.role} role may not call ${action}`, {
      role: principal.role,
      action,
    });
  }
  return principal;
}

/**
 * Sends an event to the connections that may receive it. When every connection may, this is one
 * broadcast (to the subscribers); otherwise each permitted connection gets its own copy.
 */
function publishFiltered(
  actor: ActorName,
  c: GuardedContext,
  broadcast: (name: string, ...args: unknown[]) => void,
  name: string,
  args: unknown[],
) {
  const conns = [...(c.conns?.values() ?? [])];
  const allowed = conns.filter((conn) => {
    const principal = conn.state?.principal;
    return principal !== undefined && mayReceive(actor, name, principal, args[0], c.state);
  });
  if (allowed.length === conns.length) return broadcast(name, ...args);
  for (const conn of allowed) {
    try {
      conn.send(name, ...args);
    } catch {
      // A connection closing meanwhile: it resubscribes and catches up when it reopens.
    }
  }
}

/** How deep an argument may nest; deeper input is refused before any handler sees it. */
export const MAX_ARG_DEPTH = 64;

/**
 * Fails with `invalid_input` unless every argument is plain data: JSON values in plain objects
 * and arrays, at most `MAX_ARG_DEPTH` deep, with no reserved key (`RESERVED_KEYS`: what the
 * transport would rename or drop, so that what is decided is what was sent) and no object whose
 * prototype was set by its sender (a decoder assigning `__proto__` makes one).
 */
export function requirePlainArgs(args: readonly unknown[]): void {
  const stack: [unknown, number][] = args.map((arg) => [arg, 1]);
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || value === undefined || typeof value === "string") continue;
    if (typeof value === "boolean") continue;
    if (typeof value === "number") {
      if (Number.isFinite(value)) continue;
      fail("invalid_input", "numbers must be finite");
    }
    if (typeof value !== "object") fail("invalid_input", `a ${typeof value} is not plain data`);
    if (depth > MAX_ARG_DEPTH)
      fail("invalid_input", `input nests deeper than ${MAX_ARG_DEPTH} levels`, {
        limit: MAX_ARG_DEPTH,
      });
    const proto = Object.getPrototypeOf(value);
    const isArray = Array.isArray(value);
    if (!isArray && proto !== Object.prototype && proto !== null)
      fail("invalid_input", "objects must be plain (no prototype of their own)");
    if (isArray && proto !== Array.prototype) fail("invalid_input", "arrays must be plain");
    for (const key of Object.keys(value)) {
      if (RESERVED_KEYS.has(key)) fail("invalid_input", `${key} is not an allowed key`, { key });
      stack.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
}

/** Hooks that get a context which may broadcast. */
const CONTEXT_HOOKS = ["onWake", "onSleep", "onConnect", "onDisconnect"] as const;

/**
 * Applies the access table to an actor definition: every action checks its caller first, then
 * that its arguments are plain data and that a project-wide call comes from a project-wide
 * token; every event checks its subscriber, and every broadcast reaches only the connections that
 * may see it.
 * Throws at start when an action or event has no row, so that a new door cannot ship unlocked.
 */
export function guardActor<D extends { config: unknown }>(actor: ActorName, definition: D): D {
  const config = definition.config as {
    actions: Record<string, (c: GuardedContext, ...args: unknown[]) => unknown>;
    events?: Record<string, { canSubscribe?: (c: GuardedContext) => boolean }>;
  } & Record<string, unknown>;
  const withFilteredBroadcast = (c: GuardedContext) => {
    const original = c.broadcast.bind(c);
    c.broadcast = (name, ...args) => publishFiltered(actor, c, original, name, args);
    return c;
  };
  for (const [name, handler] of Object.entries(config.actions)) {
    if (typeof handler !== "function" || !Object.hasOwn(ACCESS[actor].actions, name))
      throw new Error(`${actor}.${name} has no row in the access table (access.ts)`);
    config.actions[name] = (c, ...args) => {
      const principal = authorizeCall(actor, name, c);
      // Scheduled calls (no connection) carry the arguments Warden scheduled, plus RivetKit's own.
      if (c.conn !== undefined) requirePlainArgs(args);
      requireWholeProject(actor, name, principal, args);
      return watchStorage(
        () => c.actorId,
        () => handler(withFilteredBroadcast(c), ...args),
      );
    };
  }
  for (const name of Object.keys(ACCESS[actor].actions)) {
    if (!Object.hasOwn(config.actions, name))
      throw new Error(`${actor}.${name} is in the access table but not an action`);
  }
  for (const [name, schema] of Object.entries(config.events ?? {})) {
    if (!Object.hasOwn(ACCESS[actor].events, name))
      throw new Error(`${actor} event ${name} has no row in the access table (access.ts)`);
    schema.canSubscribe = (c) => {
      const principal = c.conn?.state?.principal;
      return principal !== undefined && maySubscribe(actor, name, principal.role);
    };
  }
  for (const hook of CONTEXT_HOOKS) {
    const original = config[hook];
    if (typeof original !== "function") continue;
    config[hook] = (c: GuardedContext, ...args: unknown[]) =>
      watchStorage(
        () => c.actorId,
        () => (original as (...a: unknown[]) => unknown)(withFilteredBroadcast(c), ...args),
      );
  }
  return definition;
}
