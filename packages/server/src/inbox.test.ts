import { describe, expect, test } from "vitest";
import {
  applyInboxChange,
  applyInboxReport,
  applyInboxSync,
  emptyInbox,
  type InboxState,
  nextReconcileAt,
  pruneTombstones,
  takeDueSessions,
} from "./inbox.ts";
import type { PermissionRequest } from "./types.ts";

const request = (sessionId: string, permissionId: string, expiresAt = 10_000) =>
  ({
    sessionId,
    permissionId,
    requestId: `r-${permissionId}`,
    expiresAt,
    createdAt: 0,
  }) as PermissionRequest;
const empty = (): InboxState => emptyInbox();

describe("the inbox index", () => {
  test("a settled request leaves, and a late pending report cannot revive it", () => {
    const state = empty();
    const r = request("s1", "p1");
    expect(
      applyInboxChange(
        state,
        { kind: "pending", sessionId: "s1", permissionId: "p1", request: r },
        1,
      ),
    ).not.toBeNull();
    expect(Object.keys(state.pending)).toEqual(["s1/p1"]);
    applyInboxChange(state, { kind: "resolved", sessionId: "s1", permissionId: "p1" }, 2);
    expect(state.pending).toEqual({});
    expect(
      applyInboxChange(
        state,
        { kind: "pending", sessionId: "s1", permissionId: "p1", request: r },
        3,
      ),
    ).toBeNull();
    expect(state.pending).toEqual({});
  });

  test("a sync makes the index hold exactly the session's pending requests", () => {
    const state = empty();
    for (const id of ["p1", "p2"]) {
      applyInboxChange(
        state,
        { kind: "pending", sessionId: "s1", permissionId: id, request: request("s1", id) },
        1,
      );
    }
    applyInboxChange(
      state,
      { kind: "pending", sessionId: "s2", permissionId: "q1", request: request("s2", "q1") },
      1,
    );
    const changes = applyInboxSync(state, "s1", [request("s1", "p2"), request("s1", "p3")], 5);
    expect(changes.map((c) => [c.kind, c.permissionId])).toEqual([
      ["resolved", "p1"],
      ["pending", "p3"],
    ]);
    expect(Object.keys(state.pending).sort()).toEqual(["s1/p2", "s1/p3", "s2/q1"]);
    expect(applyInboxSync(state, "s1", [request("s1", "p2"), request("s1", "p3")], 6)).toEqual([]);
  });

  test("the session is the source of truth: what it holds pending comes back even if tombstoned", () => {
    const state = empty();
    applyInboxChange(state, { kind: "resolved", sessionId: "s1", permissionId: "p1" }, 1);
    applyInboxSync(state, "s1", [request("s1", "p1")], 2);
    expect(Object.keys(state.pending)).toEqual(["s1/p1"]);
  });

  test("a session is checked shortly after an entry's deadline, then every minute while it holds it", () => {
    const state = empty();
    expect(nextReconcileAt(state, 0)).toBeNull();
    applyInboxChange(
      state,
      { kind: "pending", sessionId: "s1", permissionId: "p1", request: request("s1", "p1", 3_000) },
      0,
    );
    expect(nextReconcileAt(state, 0)).toBe(8_000);
    expect(takeDueSessions(state, 7_999)).toEqual([]);
    applyInboxChange(
      state,
      { kind: "pending", sessionId: "s1", permissionId: "p2", request: request("s1", "p2", 1e9) },
      0,
    );
    expect(nextReconcileAt(state, 10_000)).toBe(11_000);
    expect(takeDueSessions(state, 10_000)).toEqual(["s1"]);
    // Asked, and it still holds p1: asked again a minute later, not at every round.
    expect(takeDueSessions(state, 10_000)).toEqual([]);
    expect(nextReconcileAt(state, 10_000)).toBe(70_000);
    delete state.pending["s1/p1"];
    // Nothing overdue: the session is asked again only once silent for 15 minutes.
    expect(nextReconcileAt(state, 10_000)).toBe(10_000 + 15 * 60_000);
  });

  test("sessions that report are not asked; silent ones are, once per period", () => {
    const state = empty();
    const minute = 60_000;
    for (const [sessionId, at] of [
      ["quiet", 0],
      ["chatty", 0],
    ] as const) {
      applyInboxChange(
        state,
        {
          kind: "pending",
          sessionId,
          permissionId: "p1",
          request: request(sessionId, "p1", 1e12),
        },
        at,
      );
    }
    for (let now = minute; now <= 40 * minute; now += minute) {
      // "chatty" reports every minute (another request opened and settled).
      applyInboxChange(
        state,
        { kind: "resolved", sessionId: "chatty", permissionId: `x${now}` },
        now,
      );
      const due = takeDueSessions(state, now);
      expect(due).toEqual(now === 15 * minute || now === 30 * minute ? ["quiet"] : []);
    }
  });

  test("after a wake, a session is asked when its entries are overdue or its last report is old", () => {
    const state = empty();
    // As loadInbox leaves it: rows and last reports, nothing checked in this wake.
    state.pending["old/p"] = request("old", "p", 1e12);
    state.sessions.old = 0;
    state.pending["recent/p"] = request("recent", "p", 1e12);
    state.sessions.recent = 20 * 60_000;
    state.pending["late/p"] = request("late", "p", 1_000);
    state.sessions.late = 20 * 60_000;
    expect(takeDueSessions(state, 21 * 60_000).sort()).toEqual(["late", "old"]);
  });

  test("tombstones are forgotten after an hour", () => {
    const state = empty();
    applyInboxChange(state, { kind: "resolved", sessionId: "s1", permissionId: "old" }, 0);
    applyInboxChange(state, { kind: "resolved", sessionId: "s1", permissionId: "new" }, 3_600_000);
    pruneTombstones(state, 3_600_001);
    expect(Object.keys(state.resolved)).toEqual(["s1/new"]);
  });

  test("a report applies its sync, then its changes in order; resent, it changes nothing", () => {
    const state = empty();
    applyInboxChange(
      state,
      { kind: "pending", sessionId: "s1", permissionId: "gone", request: request("s1", "gone") },
      0,
    );
    const report = {
      sessionId: "s1",
      sync: [request("s1", "kept")],
      changes: [
        {
          kind: "pending" as const,
          sessionId: "s1",
          permissionId: "new",
          request: request("s1", "new"),
        },
        { kind: "resolved" as const, sessionId: "s1", permissionId: "kept" },
      ],
      history: [],
    };
    expect(applyInboxReport(state, report, 1).map((c) => `${c.kind} ${c.permissionId}`)).toEqual([
      "resolved gone",
      "pending kept",
      "pending new",
      "resolved kept",
    ]);
    expect(Object.keys(state.pending)).toEqual(["s1/new"]);
    expect(applyInboxReport(state, { ...report, sync: [request("s1", "new")] }, 2)).toEqual([]);
    expect(Object.keys(state.pending)).toEqual(["s1/new"]);
  });

  test("a report may speak only of its own session", () => {
    const state = empty();
    const foreign = { kind: "resolved" as const, sessionId: "s2", permissionId: "p" };
    expect(() =>
      applyInboxReport(state, { sessionId: "s1", changes: [foreign], history: [] }, 0),
    ).toThrow(expect.objectContaining({ code: "invalid_input" }));
    expect(() =>
      applyInboxReport(
        state,
        { sessionId: "s1", sync: [request("s2", "p")], changes: [], history: [] },
        0,
      ),
    ).toThrow(expect.objectContaining({ code: "invalid_input" }));
    expect(state).toEqual(empty());
  });

  test("a report's actor id is stamped on the requests it makes pending, sync and changes", () => {
    const state = empty();
    const applied = applyInboxReport(
      state,
      {
        sessionId: "s1",
        actorId: "actor-s1",
        sync: [request("s1", "synced")],
        changes: [
          { kind: "pending", sessionId: "s1", permissionId: "new", request: request("s1", "new") },
        ],
        history: [],
      },
      1,
    );
    expect(applied.map((c) => c.request?.sessionActorId)).toEqual(["actor-s1", "actor-s1"]);
    expect(Object.values(state.bodies).map((r) => r.sessionActorId)).toEqual([
      "actor-s1",
      "actor-s1",
    ]);
    // Without an id (an older runner's report) the requests carry none: replies go by key.
    applyInboxReport(
      state,
      {
        sessionId: "s2",
        changes: [
          { kind: "pending", sessionId: "s2", permissionId: "old", request: request("s2", "old") },
        ],
        history: [],
      },
      2,
    );
    expect(state.bodies["s2/old"]).not.toHaveProperty("sessionActorId");
  });
});
