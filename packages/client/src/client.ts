import type { SessionCreateInput, WardenRegistry } from "@warden/server";
import { createClient } from "rivetkit/client";
import { bufferStreamedFetchBodies } from "./buffer-fetch.ts";
import { CREATION_GATE, CreationGate, type CreationGateOptions } from "./creation-gate.ts";
import { WardenError } from "./errors.ts";
import type { FastPathMode } from "./fast-path.ts";
import { WardenInbox } from "./inbox.ts";
import type { ReportQueueOptions } from "./report-queue.ts";
import { createActorResolver } from "./resolve-actor.ts";
import type { RetryPolicy } from "./retry.ts";
import { type FastPathMismatch, WardenSession } from "./session.ts";

/** Where Warden is and who you are. */
export interface WardenClientOptions {
  /** The server's endpoint, e.g. `http://127.0.0.1:6420`. */
  readonly endpoint: string;
  readonly token: string;
  /** The project sessions belong to unless `session()` names another. */
  readonly project: string;
  readonly retry?: RetryPolicy;
  /** Local decisions for calls the rules settle (default `"on"`; see docs/client.md). */
  readonly fastPath?: FastPathMode;
  /** Called when the server did not confirm a local decision (the policy changed meanwhile). */
  readonly onFastPathMismatch?: (mismatch: FastPathMismatch) => void;
  /** How local decisions are batched and bounded on their way to the audit log (docs/client.md). */
  readonly reports?: Partial<ReportQueueOptions>;
  /**
   * Close a session's connection after this many ms with no call in flight and no subscription,
   * and reopen it on the next call (default `IDLE_CLOSE_MS`; `false` keeps it open). An idle
   * session's actor can then sleep, which is what lets one engine hold ~1,000 sessions
   * (docs/scale.md). The inbox's connection never closes for idleness.
   */
  readonly idleCloseMs?: number | false;
  /**
   * How many sessions this client creates or wakes at once: a bound that adapts to how long the
   * engine takes to create an actor or reopen an idle-closed session's connection (default
   * `CREATION_GATE`; docs/client.md). Calls of sessions already created and connected never wait
   * for it.
   */
  readonly creation?: Partial<CreationGateOptions>;
}

/**
 * How long an agent's session connection stays open unused, by default. Not shorter: waking a
 * sleeping session costs the engine ~70–90 storage transactions and 0.2–0.4 s of CPU, as much as
 * ~40–80 s of being awake and idle (docs/scale.md), so only a pause longer than this and the
 * actor's 30 s sleep timeout saves anything.
 */
export const IDLE_CLOSE_MS = 60_000;

/** Options of one session. */
export interface SessionOptions extends SessionCreateInput {
  readonly project?: string;
}

/**
 * Connects to a Warden server.
 * @example
 * const warden = createWardenClient({ endpoint: "http://127.0.0.1:6420", token, project: "demo" });
 * const decision = await warden.session("run-42", { cwd: "/repo" }).requestPermission({ toolName: "Bash", input: { command: "npm test" } });
 */
export function createWardenClient(options: WardenClientOptions) {
  // In a browser, RivetKit's stateless actions stream their body, which Chromium sends only over
  // HTTP/2: buffer them so that a plain-HTTP endpoint works. Devtools would inject the engine's
  // script into the page; an approval UI does not load foreign code.
  if ("window" in globalThis && "document" in globalThis) bufferStreamedFetchBodies();
  const rivet = createClient<WardenRegistry>({ endpoint: options.endpoint, devtools: false });
  const sessions = new Map<string, WardenSession>();
  const inboxes = new Map<string, WardenInbox>();
  const params = { token: options.token };
  const resolveId = createActorResolver();
  // A session's key is resolved once (the connection keeps the id): for a new session, this is
  // where the engine creates its actor. Reopening an idle-closed session wakes its actor, the
  // engine's next costliest step: wakes share the same bound, or a client whose sessions all
  // idled would wake them all at once (docs/scale.md, "the wake herd").
  const creations = new CreationGate(creationGate(options.creation));
  return {
    /** A session handle; the same id gives the same handle. */
    session(sessionId: string, sessionOptions: SessionOptions = {}): WardenSession {
      const project = sessionOptions.project ?? options.project;
      const key = `${project}\u0000${sessionId}`;
      let session = sessions.get(key);
      if (!session) {
        // The server takes cwd and home from an agent's connection, never from creation input.
        const sessionParams = { ...params, ...placeOf(sessionOptions) };
        // A fresh handle per creation attempt (see `ActorResolver`).
        const keyed = () =>
          rivet.permissionSession.getOrCreate([project, sessionId], { params: sessionParams });
        session = new WardenSession(
          project,
          sessionId,
          {
            resolveId: () => creations.run(() => resolveId(keyed())),
            open: (actorId) =>
              rivet.permissionSession.getForId(actorId, { params: sessionParams }).connect(),
            wakes: (wake) => creations.run(wake),
          },
          {
            retry: options.retry ?? {},
            fastPath: options.fastPath ?? "on",
            onFastPathMismatch: options.onFastPathMismatch,
            reports: options.reports,
            idleCloseMs: idleCloseMs(options.idleCloseMs),
          },
        );
        sessions.set(key, session);
      }
      return session;
    },
    /**
     * The inbox of a project (default: the client's): every pending request of its sessions.
     * @example const off = await warden.inbox().subscribe({ onRequest: show, onResolved: hide });
     */
    inbox(projectId: string = options.project): WardenInbox {
      let inbox = inboxes.get(projectId);
      if (!inbox) {
        inbox = new WardenInbox({
          projectId,
          retry: options.retry ?? {},
          project: () => rivet.wardenProject.getOrCreate([projectId], { params }),
          openProject: (actorId) => rivet.wardenProject.getForId(actorId, { params }).connect(),
          session: (sessionId, signal) =>
            rivet.permissionSession.getOrCreate([projectId, sessionId], {
              params,
              ...(signal ? { signal } : {}),
            }),
          sessionById: (actorId, signal) =>
            rivet.permissionSession.getForId(actorId, { params, ...(signal ? { signal } : {}) }),
          resolveId,
        });
        inboxes.set(projectId, inbox);
      }
      return inbox;
    },
    /** Closes every connection, after waiting up to `flushMs` (default 10 s) for local decisions to reach the audit log. */
    async dispose(disposeOptions: { flushMs?: number } = {}): Promise<void> {
      await Promise.all([
        ...[...sessions.values()].map((s) => s.dispose(disposeOptions)),
        ...[...inboxes.values()].map((s) => s.dispose()),
      ]);
      sessions.clear();
      inboxes.clear();
      await rivet.dispose();
    },
  };
}

function creationGate(option: Partial<CreationGateOptions> | undefined): CreationGateOptions {
  const gate = { ...CREATION_GATE, ...option };
  const { initial, min, max, targetMs } = gate;
  const counts = [initial, min, max].every((n) => Number.isInteger(n) && n >= 1);
  if (!counts || min > initial || initial > max || !(targetMs > 0))
    throw new WardenError(
      "invalid_input",
      "creation needs whole numbers 1 ≤ min ≤ initial ≤ max and a targetMs > 0",
    );
  return gate;
}

function idleCloseMs(option: number | false | undefined): number | undefined {
  if (option === false) return undefined;
  if (option === undefined) return IDLE_CLOSE_MS;
  if (!Number.isFinite(option) || option < 0)
    throw new WardenError("invalid_input", "idleCloseMs must be a number of ms ≥ 0, or false");
  return option;
}

/**
 * Where this agent runs, for path rules: the options' cwd and home, else the process's own
 * (`process.cwd()`, `os.homedir()`) under Node. Browsers send neither. Only absolute paths count.
 */
function placeOf(options: SessionCreateInput): SessionCreateInput {
  const node = (
    globalThis as {
      process?: { cwd?(): string; getBuiltinModule?(id: string): unknown };
    }
  ).process;
  const os = node?.getBuiltinModule?.("node:os") as { homedir?(): string } | undefined;
  const cwd = options.cwd ?? node?.cwd?.();
  const home = options.home ?? os?.homedir?.();
  return {
    ...(cwd?.startsWith("/") ? { cwd } : {}),
    ...(home?.startsWith("/") ? { home } : {}),
  };
}

/** A Warden client. */
export type WardenClient = ReturnType<typeof createWardenClient>;
