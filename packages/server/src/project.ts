import { actor, event } from "rivetkit";
import { db, type RawAccess } from "rivetkit/db";
import { callerOfContext, guardActor } from "./access.ts";
import { requireAdmission } from "./admission.ts";
import { canReach, type Principal, type TokenTable } from "./auth.ts";
import { groupCommit } from "./group-commit.ts";
import {
  applyInboxReport,
  applyReconciliation,
  cutInboxPage,
  INBOX_PAGE_LIMIT,
  type InboxChange,
  type InboxPage,
  type InboxPageQuery,
  InboxPageQuerySchema,
  type InboxReport,
  type InboxState,
  nextReconcileAt,
  pruneTombstones,
  sessionRevision,
  takeDueSessions,
} from "./inbox.ts";
import {
  importLegacyInbox,
  type LegacyInbox,
  loadInbox,
  migrateInbox,
  readInboxRequests,
  restoreInboxWrites,
  takeInboxWrites,
  writeInbox,
} from "./inbox-store.ts";
import type { ServerPolicy } from "./policy.ts";
import {
  appendProjectHistory,
  migrateProjectHistory,
  type ProjectHistoryEntry,
  type ProjectHistoryQuery,
  ProjectHistoryQuerySchema,
  readProjectHistory,
} from "./project-history.ts";
import {
  enqueueRulePushes,
  evictRuleSessions,
  nextRulePushAt,
  type RulePushState,
  settleRulePush,
} from "./project-pushes.ts";
import {
  addProjectRules,
  type ProjectRuleLogEntry,
  type ProjectRulesState,
  removeProjectRule,
} from "./project-rules.ts";
import { ConnParamsSchema, IdSchema, parseInput } from "./schema.ts";
import { parseProjectKey } from "./session-key.ts";
import type { HistoryAppendedEvent, PermissionRequest } from "./types.ts";

export type { InboxChange, InboxPage, InboxReport, InboxRequest } from "./inbox.ts";

/** The project's answer to a session's report: how many changes applied, and its own actor id. */
export interface NoteInboxAnswer {
  readonly applied: number;
  readonly actorId: string;
}

/**
 * The project's answer to a session reading its rules: the rules and the project's own actor id, so
 * that the session's first report (its first ask, often many sessions' at once) goes by id and
 * not by key (a key lookup in the engine per report).
 */
export interface SessionRulesAnswer {
  readonly rules: ProjectState["rules"];
  readonly actorId: string;
}

/**
 * The durable state of a project: its learned rules. The index of pending requests (the inbox)
 * and the history index are rows of the project's SQLite database.
 */
export interface ProjectState extends ProjectRulesState, RulePushState {
  /** The id of the scheduled reconciliation, if any. */
  reconcileAt: number | null;
  /** Sessions that loaded the project's rules (id → when), told again when the rules change. */
  ruleSessions: Record<string, number>;
}

/** Sessions a project remembers as having loaded its rules. */
const MAX_RULE_SESSIONS = 5_000;
/**
 * How long after a rule change the project checks its outbox again in any case: the alarm, set
 * before the change is saved, outlives a crash that cut the pushes short (nothing else wakes the
 * project then).
 */
const PUSH_CHECK_MS = 10_000;
/** Sessions a reconciliation asks at once (each call may wake its session). */
const CHECKS_AT_ONCE = 8;

interface ConnState {
  principal: Principal;
}

/** In-memory companions of the project's state. */
interface ProjectVars {
  /** The inbox's index, read from its rows once per wake (every action that uses it awaits it). */
  inbox: Promise<InboxState> | undefined;
  /** History entries of reports applied but not yet written. */
  history: ProjectHistoryEntry[];
  /** Writes what reports applied (history and inbox rows) once for all concurrent ones. */
  persist: (() => Promise<void>) | undefined;
  /** Saves the state now, once for all concurrent callers (see `saveRuleState`). */
  saveRules: (() => Promise<void>) | undefined;
  /** The save of the state in flight, if one runs. */
  saving: Promise<void> | undefined;
  /** The state holds a change of the rules or of `ruleSessions` that no save has covered yet. */
  unsaved: boolean;
  /** Sessions a push of the outbox is on its way to (not sent twice at once). */
  pushing: Set<string>;
}

/** How the project reaches its sessions (to reconcile the inbox, to hand on rule changes). */
export interface SessionReader {
  listPending(client: unknown, projectId: string, sessionId: string): Promise<PermissionRequest[]>;
  /** Tells a session to load the project's rules again. */
  reloadRules(client: unknown, projectId: string, sessionId: string): Promise<void>;
  /**
   * Tells a session the project no longer records it: it drops its copy of the rules and reads
   * them again (and is recorded again) before its next decision.
   */
  forgetRules(client: unknown, projectId: string, sessionId: string): Promise<void>;
}

/** Creates the `wardenProject` actor, keyed `[projectId]`. */
export function createProjectActor(deps: {
  readonly tokens: TokenTable;
  readonly sessions: SessionReader;
  readonly policy: ServerPolicy;
}) {
  type Ctx = {
    state: ProjectState;
    vars: ProjectVars;
    db: RawAccess;
    broadcast(name: string, ...args: unknown[]): void;
    saveState(options: { immediate: boolean }): Promise<void>;
    client(): unknown;
    schedule: { at(timestamp: number, action: string, ...args: unknown[]): Promise<string> };
    waitUntil(promise: Promise<unknown>): void;
    log: { warn(message: unknown): void };
  };

  /**
   * Saves the state now: what decides what a session is told (the rules, and `ruleSessions`, the
   * sessions a rule change is pushed to) is durable before any answer that depends on it, not
   * left to RivetKit's 1 s periodic save (a crash inside that second forgot a session that had
   * read the rules: no later change reached it). Concurrent callers share one save; a change made
   * while a save runs waits for the next. A failed save leaves the change in memory, unsaved: the
   * next answer that depends on it saves again first (`durableState`).
   */
  function saveRuleState(c: Ctx): Promise<void> {
    c.vars.unsaved = true;
    c.vars.saveRules ??= groupCommit(async () => {
      c.vars.unsaved = false;
      const round = c.saveState({ immediate: true });
      c.vars.saving = round;
      try {
        await round;
      } catch (error) {
        c.vars.unsaved = true;
        throw error;
      } finally {
        if (c.vars.saving === round) c.vars.saving = undefined;
      }
    });
    return c.vars.saveRules();
  }

  /**
   * Waits until what the state holds is durable: at once when it is (no save for a session
   * already recorded), the save in flight when one runs (it covers every change made before it
   * started), a new save when a change is unsaved.
   */
  function durableState(c: Ctx): Promise<void> {
    if (c.vars.unsaved) return saveRuleState(c);
    return c.vars.saving ?? Promise.resolve();
  }

  /**
   * Before a rule change: the previous one is durable and its outbox sent (its save may have
   * failed: the retry of that call finds nothing to add, or no rule to remove, and must not
   * answer before the change it left in memory is saved and its sessions are told).
   */
  async function settleRuleChange(c: Ctx) {
    await durableState(c);
    pushRules(c);
  }

  /**
   * Records a rule change: every session that loaded the rules enters the outbox in the same save
   * as the change, then the outbox is sent. The alarm is set first, so that a crash after the
   * save still sends it.
   */
  async function ruleChanged(c: Ctx) {
    enqueueRulePushes(c.state, Object.keys(c.state.ruleSessions));
    // Unsaved from here: if setting the alarm fails, the retry of the call saves before it answers.
    c.vars.unsaved = true;
    await c.schedule.at(Date.now() + PUSH_CHECK_MS, "pushRuleChanges");
    await saveRuleState(c);
    pushRules(c);
  }

  /**
   * Sends the outbox (only what is durable: callers await the save first): a session the project
   * records reads the rules again, one it evicted drops its copy. A session leaves the outbox once
   * it took the push (the removal rides on the next save: a crash before it costs one push more);
   * a failed push stays and the project tries again later, with growing waits.
   */
  function pushRules(c: Ctx) {
    const client = c.client();
    const projectId = c.state.projectId;
    for (const [sessionId, round] of Object.entries(c.state.rulePushes)) {
      if (c.vars.pushing.has(sessionId)) continue;
      c.vars.pushing.add(sessionId);
      const push =
        sessionId in c.state.ruleSessions ? deps.sessions.reloadRules : deps.sessions.forgetRules;
      c.waitUntil(
        push(client, projectId, sessionId)
          .then(
            () => settleRulePush(c.state, sessionId, round),
            async (error) => {
              c.log.warn({
                msg: "project rule change not delivered yet",
                sessionId,
                error: String(error),
              });
              await c.schedule.at(nextRulePushAt(c.state, Date.now()), "pushRuleChanges");
            },
          )
          .catch((error) =>
            c.log.warn({ msg: "project rule push not rescheduled", error: String(error) }),
          )
          .finally(() => c.vars.pushing.delete(sessionId)),
      );
    }
  }

  /**
   * The inbox's index, read from its rows once per wake. A project whose state still holds the inbox (as
   * before it moved to rows) has it imported first, and the state's copy dropped.
   */
  function inboxOf(c: Ctx): Promise<InboxState> {
    c.vars.inbox ??= (async () => {
      const legacy = c.state as ProjectState & LegacyInbox;
      if (legacy.pending !== undefined) {
        await importLegacyInbox(c.db, legacy);
        delete legacy.pending;
        delete legacy.sessions;
        delete legacy.resolved;
        delete legacy.revisions;
      }
      return loadInbox(c.db);
    })().catch((error: unknown) => {
      c.vars.inbox = undefined;
      throw error;
    });
    return c.vars.inbox;
  }

  /**
   * Writes what reports and reconciliations changed since the last write (history rows and the
   * inbox rows that changed) in one transaction, shared by every caller that arrives meanwhile.
   * A failed write leaves its inbox rows to the next one; its callers fail and resend.
   */
  function persist(c: Ctx, inbox: InboxState): Promise<void> {
    c.vars.persist ??= groupCommit(async () => {
      const history = c.vars.history.splice(0);
      const writes = takeInboxWrites(inbox);
      const empty = writes.pending.length + writes.sessions.length + writes.resolved.length === 0;
      // A reader's wait for what is in flight (see listInbox) costs no commit when nothing is.
      if (history.length === 0 && empty) return;
      try {
        await c.db.transaction(
          async (tx) => {
            await appendProjectHistory(tx, history);
            await writeInbox(tx, writes);
          },
          { name: "project_report" },
        );
      } catch (error) {
        restoreInboxWrites(inbox, writes);
        throw error;
      }
    });
    return c.vars.persist();
  }

  /** Schedules the next check of entries that should have expired by then. */
  async function scheduleReconcile(c: Ctx, inbox: InboxState) {
    const at = nextReconcileAt(inbox, Date.now());
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

  /**
   * Asks the sessions that are due (inbox.ts `takeDueSessions`: past a deadline, or silent for
   * long), `CHECKS_AT_ONCE` at a time, for their pending requests and corrects the index. A
   * session that cannot be read keeps its entries (it is asked again later): an entry leaves only
   * on a session's word. Returns how many sessions were asked.
   */
  async function reconcile(c: Ctx, inbox: InboxState): Promise<number> {
    const due = takeDueSessions(inbox, Date.now());
    const check = async (sessionId: string) => {
      try {
        const revision = sessionRevision(inbox, sessionId);
        const pending = await deps.sessions.listPending(c.client(), c.state.projectId, sessionId);
        // Null when the session reported while it was read: its reports keep the index meanwhile.
        const changes = applyReconciliation(inbox, sessionId, pending, revision, Date.now());
        for (const change of changes ?? []) c.broadcast("inboxChanged", change);
      } catch (error) {
        c.log.warn({
          msg: "inbox reconciliation failed for a session",
          sessionId,
          error: String(error),
        });
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < due.length) await check(due[next++] as string);
    };
    await Promise.all(Array.from({ length: Math.min(CHECKS_AT_ONCE, due.length) }, worker));
    pruneTombstones(inbox, Date.now());
    await persist(c, inbox);
    return due.length;
  }

  const definition = actor({
    // Creation input is ignored: the engine creates an actor before any Warden check runs.
    createState: (c: { key: string[] }): ProjectState => ({
      projectId: parseProjectKey(c.key) ?? "",
      rules: [],
      rulesLog: [],
      ruleSessions: {},
      rulePushes: {},
      rulePushRound: 0,
      rulePushFailures: 0,
      reconcileAt: null,
    }),
    createVars: (): ProjectVars => ({
      inbox: undefined,
      history: [],
      persist: undefined,
      saveRules: undefined,
      saving: undefined,
      unsaved: false,
      pushing: new Set(),
    }),
    db: db({
      onMigrate: async (database) => {
        await migrateProjectHistory(database);
        await migrateInbox(database);
      },
    }),
    events: {
      inboxChanged: event<InboxChange>(),
      historyAppended: event<HistoryAppendedEvent>(),
    },
    // Not awaited (saveState never returns inside onWake in rivetkit 2.3.19): after a restart the
    // index is checked against the sessions, which also re-announce their requests when they wake.
    onWake: (c) => {
      const ctx = c as unknown as Ctx;
      ctx.state.reconcileAt ??= null;
      ctx.state.rulesLog ??= [];
      ctx.state.ruleSessions ??= {};
      ctx.state.rulePushes ??= {};
      ctx.state.rulePushRound ??= 0;
      ctx.state.rulePushFailures ??= 0;
      if (parseProjectKey((c as unknown as { key: unknown }).key) === null) return;
      // What the outbox holds was saved: a crash cut its pushes short.
      pushRules(ctx);
      ctx.waitUntil(
        inboxOf(ctx)
          .then(async (inbox) => {
            if (Object.keys(inbox.pending).length === 0) return;
            await reconcile(ctx, inbox);
            await scheduleReconcile(ctx, inbox);
          })
          .catch((error) =>
            ctx.log.warn({ msg: "inbox reconciliation failed", error: String(error) }),
          ),
      );
    },
    onBeforeConnect: (c: { key: string[] }, params: unknown) => {
      requireAdmission(deps.tokens, "wardenProject", c.key, params);
    },
    createConnState: (_c: unknown, params: unknown): ConnState => ({
      principal: deps.tokens.lookup(ConnParamsSchema.parse(params).token)!,
    }),
    actions: {
      /** The project's rules (durable ones: see `durableState`). */
      listProjectRules: async (c) => {
        await durableState(c as unknown as Ctx);
        return c.state.rules;
      },
      /**
       * A session's first read of the project's rules: it is remembered (and told when the
       * rules change), and learns the project's actor id (`SessionRulesAnswer`). A session new
       * to the project is recorded durably before it is answered: the rules it reads are the ones
       * it decides with until the project tells it otherwise (`tests/rules-durable.test.ts`).
       * One already recorded costs no save (its time, which only orders evictions, rides on the
       * next one).
       */
      loadSessionRules: async (c, sessionId: string): Promise<SessionRulesAnswer> => {
        const id = parseInput(IdSchema, sessionId, "sessionId");
        const ctx = c as unknown as Ctx;
        const known = id in c.state.ruleSessions;
        c.state.ruleSessions[id] = Date.now();
        if (known) await durableState(ctx);
        else {
          // An evicted session is told to drop its copy (no later change would reach it).
          const evicted = evictRuleSessions(c.state.ruleSessions, MAX_RULE_SESSIONS);
          if (evicted.length > 0) {
            enqueueRulePushes(c.state, evicted);
            c.vars.unsaved = true;
            await c.schedule.at(Date.now() + PUSH_CHECK_MS, "pushRuleChanges");
          }
          await saveRuleState(ctx);
          if (evicted.length > 0) pushRules(ctx);
        }
        return { rules: c.state.rules, actorId: c.actorId };
      },
      /** Adds rules (admins, or a session relaying a validated "always" reply of scope project). */
      addProjectRules: async (c, rules: unknown) => {
        const principal = callerOfContext(c) as Principal;
        const ctx = c as unknown as Ctx;
        await settleRuleChange(ctx);
        const added = addProjectRules(c.state, rules, principal, deps.policy, Date.now());
        if (added.length > 0) await ruleChanged(ctx);
        return c.state.rules;
      },
      removeProjectRule: async (c, ruleId: string) => {
        const principal = callerOfContext(c) as Principal;
        const ctx = c as unknown as Ctx;
        await settleRuleChange(ctx);
        removeProjectRule(c.state, ruleId, principal, Date.now());
        await ruleChanged(ctx);
        return true;
      },
      /**
       * Sends again what the outbox holds (the project's alarm after a change or a failed push):
       * how many sessions still await the latest change.
       */
      pushRuleChanges: async (c) => {
        const ctx = c as unknown as Ctx;
        await durableState(ctx);
        pushRules(ctx);
        return Object.keys(c.state.rulePushes).length;
      },
      /** Who added and removed which project rule, newest first. */
      getProjectRulesLog: async (c): Promise<ProjectRuleLogEntry[]> => {
        await durableState(c as unknown as Ctx);
        return [...c.state.rulesLog].reverse();
      },
      /**
       * A session's report (sessions only): its pending list when due, its inbox changes in order,
       * its resolved requests for the history. Its inbox changes are broadcast at once: the
       * session saved each before reporting it and stays its source of truth (an approver answers
       * the session, never the index), so approvers need not wait for the project's write, which
       * under load queued every ask behind other sessions' commits. Concurrent reports share one
       * write of the history and one save; each is acknowledged once durable (the session resends
       * until then), and only then is the history announced, since readers read it from storage.
       * A resent report changes nothing twice. The answer carries this actor's id: sessions
       * then address their project by id, which costs the engine no lookup of its key.
       */
      noteInbox: async (c, report: InboxReport): Promise<NoteInboxAnswer> => {
        const id = parseInput(IdSchema, report?.sessionId, "sessionId");
        const actorId =
          report.actorId === undefined
            ? undefined
            : parseInput(IdSchema, report.actorId, "actorId");
        const ctx = c as unknown as Ctx;
        const inbox = await inboxOf(ctx);
        const applied = applyInboxReport(
          inbox,
          {
            sessionId: id,
            ...(actorId !== undefined ? { actorId } : {}),
            ...(report.sync ? { sync: report.sync } : {}),
            changes: report.changes ?? [],
            history: report.history ?? [],
          },
          Date.now(),
        );
        for (const change of applied) c.broadcast("inboxChanged", change);
        c.vars.history.push(...(report.history ?? []));
        await persist(ctx, inbox);
        if (report.history?.length)
          c.broadcast("historyAppended", { sessionId: id, count: report.history.length });
        await scheduleReconcile(ctx, inbox);
        return { applied: applied.length, actorId: c.actorId };
      },
      /**
       * Checks the index against the sessions that are due (scheduled; also callable by admins):
       * how many requests are pending, and how many sessions were asked.
       */
      reconcileInbox: async (c) => {
        const ctx = c as unknown as Ctx;
        const inbox = await inboxOf(ctx);
        ctx.state.reconcileAt = null;
        const checked = await reconcile(ctx, inbox);
        await scheduleReconcile(ctx, inbox);
        return { pending: Object.keys(inbox.pending).length, checked };
      },
      /**
       * One page of the pending requests the caller may reach, oldest first: pass the page's
       * `next` for the following one (null at the end). Paged because one answer may carry at
       * most 1 MiB, which 10,000 pending requests outgrow many times over; read a page at a time
       * from the rows, filtered to the caller's sessions in SQL. The page waits for the write of
       * what was applied before it: an approver who subscribed after a request was announced
       * finds it in the rows.
       */
      listInbox: async (c, query?: InboxPageQuery): Promise<InboxPage> => {
        const principal = callerOfContext(c) as Principal;
        const { after, limit = INBOX_PAGE_LIMIT } = parseInput(
          InboxPageQuerySchema,
          query,
          "listInbox",
        );
        if (!canReach(principal, c.state.projectId)) return { requests: [], next: null };
        const ctx = c as unknown as Ctx;
        await persist(ctx, await inboxOf(ctx));
        const rows = await readInboxRequests(c.db, principal.sessions, after, limit + 1);
        return cutInboxPage(rows, limit);
      },
      /**
       * Resolved requests of the project's sessions (those the caller may reach), newest first,
       * from the project's own index: no session is read or woken.
       */
      getHistory: (c, query?: ProjectHistoryQuery) =>
        readProjectHistory(
          c.db,
          callerOfContext(c) as Principal,
          parseInput(ProjectHistoryQuerySchema, query, "getHistory"),
        ),
      /** Every session that ever had a request in the inbox, most recent first. */
      listSessions: async (c) => {
        const principal = callerOfContext(c) as Principal;
        const inbox = await inboxOf(c as unknown as Ctx);
        return Object.entries(inbox.sessions)
          .filter(([sessionId]) => canReach(principal, c.state.projectId, sessionId))
          .sort((a, b) => b[1] - a[1])
          .map(([sessionId, lastSeenAt]) => ({ sessionId, lastSeenAt }));
      },
    },
  });
  return guardActor("wardenProject", definition);
}
