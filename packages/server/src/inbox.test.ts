import { describe, expect, test } from "vitest";
import {
  applyInboxChange,
  applyInboxReport,
  applyInboxSync,
  emptyInbox,
  INBOX_PAGE_CHARS,
  type InboxState,
  inboxKey,
  inboxPage,
  nextReconcileAt,
  pruneTombstones,
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

  test("entries are checked shortly after their deadline, at least every minute", () => {
    const state = empty();
    expect(nextReconcileAt(state, 0)).toBeNull();
    applyInboxChange(
      state,
      { kind: "pending", sessionId: "s1", permissionId: "p1", request: request("s1", "p1", 3_000) },
      0,
    );
    expect(nextReconcileAt(state, 0)).toBe(8_000);
    applyInboxChange(
      state,
      { kind: "pending", sessionId: "s1", permissionId: "p2", request: request("s1", "p2", 1e9) },
      0,
    );
    expect(nextReconcileAt(state, 10_000)).toBe(11_000);
    delete state.pending["s1/p1"];
    expect(nextReconcileAt(state, 10_000)).toBe(70_000);
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
});

describe("pages of the inbox", () => {
  const fill = (count: number, size = 0) => {
    const state = empty();
    for (let i = 0; i < count; i++) {
      const r = {
        ...request(`s${i % 7}`, `p${i}`),
        createdAt: i % 13,
        input: { x: "y".repeat(size) },
      };
      state.pending[inboxKey(r.sessionId, r.permissionId)] = r;
    }
    return state;
  };
  const all = (state: InboxState, limit: number, visible = (_: PermissionRequest) => true) => {
    const pages: PermissionRequest[][] = [];
    let after: string | undefined;
    do {
      const page = inboxPage(state, visible, after, limit);
      pages.push(page.requests);
      after = page.next ?? undefined;
    } while (after !== undefined);
    return pages;
  };

  test("pages deliver every visible request once, oldest first", () => {
    const state = fill(1_003);
    const pages = all(state, 100);
    expect(pages.map((p) => p.length)).toEqual([...Array(10).fill(100), 3]);
    const flat = pages.flat();
    expect(new Set(flat.map((r) => r.permissionId)).size).toBe(1_003);
    expect(flat.map((r) => r.createdAt)).toEqual(
      flat.map((r) => r.createdAt).sort((a, b) => a - b),
    );
    const onlyS1 = all(state, 50, (r) => r.sessionId === "s1").flat();
    expect(onlyS1.length).toBe(
      Object.values(state.pending).filter((r) => r.sessionId === "s1").length,
    );
    expect(onlyS1.every((r) => r.sessionId === "s1")).toBe(true);
  });

  test("a page stays within the transport's size, with one request at least", () => {
    const state = fill(40, 100_000);
    const pages = all(state, 500);
    for (const page of pages) {
      expect(page.length).toBeGreaterThanOrEqual(1);
      if (page.length > 1)
        expect(JSON.stringify(page).length).toBeLessThanOrEqual(INBOX_PAGE_CHARS + page.length);
    }
    expect(pages.flat().length).toBe(40);
  });

  test("requests settled or opened between pages do not shift the cursor", () => {
    const state = fill(300);
    const first = inboxPage(state, () => true, undefined, 100);
    // Settle some already delivered and some not yet, then page on.
    for (const r of [...first.requests.slice(0, 10), ...Object.values(state.pending).slice(250)])
      delete state.pending[inboxKey(r.sessionId, r.permissionId)];
    const rest: PermissionRequest[] = [];
    let after = first.next ?? undefined;
    while (after !== undefined) {
      const page = inboxPage(state, () => true, after, 100);
      rest.push(...page.requests);
      after = page.next ?? undefined;
    }
    const seen = new Set(first.requests.map((r) => r.permissionId));
    const expected = Object.values(state.pending).filter((r) => !seen.has(r.permissionId));
    expect(rest.map((r) => r.permissionId).sort()).toEqual(
      expected.map((r) => r.permissionId).sort(),
    );
  });
});
