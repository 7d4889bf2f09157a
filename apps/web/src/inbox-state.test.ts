import type { PermissionRequest, Resolution } from "@warden/server";
import { describe, expect, test } from "vitest";
import { type InboxState, initialInbox, reduceInbox } from "./inbox-state.ts";

const request = (permissionId: string, createdAt = 1): PermissionRequest => ({
  permissionId,
  requestId: `req-${permissionId}`,
  projectId: "p",
  sessionId: "s",
  toolName: "Bash",
  input: { command: "make" },
  action: "Run command: make",
  description: "Run command: make",
  params: { command: "make" },
  createdAt,
  expiresAt: createdAt + 60_000,
  requestedBy: "agent",
  suggestions: [],
  evaluation: { decision: "ask", reason: "default", message: "", rule: null, tier: null },
});

const approvedBy = (id: string): Resolution => ({
  outcome: "allow",
  reason: "approved",
  message: `Approved by ${id}.`,
  input: { command: "make" },
  reply: "once",
  decidedBy: { kind: "approver", id },
  resolvedAt: 2,
});

const withCards = (...ids: string[]): InboxState =>
  ids.reduce(
    (state, id) => reduceInbox(state, { type: "request", request: request(id) }),
    initialInbox,
  );

const ids = (state: InboxState) => state.cards.map((c) => c.request.permissionId);

describe("the inbox state", () => {
  test("new requests go to the end and a known one is not added twice", () => {
    const state = reduceInbox(withCards("a", "b"), { type: "request", request: request("a") });
    expect(ids(reduceInbox(state, { type: "request", request: request("c") }))).toEqual([
      "a",
      "b",
      "c",
    ]);
  });

  test("a resolution made elsewhere marks the card in place, without moving the others", () => {
    const event = {
      sessionId: "s",
      permissionId: "a",
      requestId: "req-a",
      resolution: approvedBy("bob"),
    };
    const state = reduceInbox(withCards("a", "b"), { type: "resolved", event, now: 5 });
    expect(ids(state)).toEqual(["a", "b"]);
    expect(state.cards[0]).toMatchObject({ phase: "settled", settledHere: false, settledAt: 5 });
    expect(state.cards[1]?.phase).toBe("open");
  });

  test("while a reply is in flight a resolution waits for the reply's answer to say who won", () => {
    let state = reduceInbox(withCards("a"), { type: "sending", permissionId: "a" });
    const event = {
      sessionId: "s",
      permissionId: "a",
      requestId: "req-a",
      resolution: approvedBy("alice"),
    };
    state = reduceInbox(state, { type: "resolved", event, now: 5 });
    expect(state.cards[0]?.phase).toBe("sending");
    state = reduceInbox(state, {
      type: "replied",
      permissionId: "a",
      resolution: approvedBy("alice"),
      now: 6,
    });
    expect(state.cards[0]).toMatchObject({ phase: "settled", settledHere: true });
  });

  test("a reply that lost the race says so and keeps the winner's resolution", () => {
    const state = reduceInbox(reduceInbox(withCards("a"), { type: "sending", permissionId: "a" }), {
      type: "failed",
      permissionId: "a",
      failure: {
        code: "already_resolved",
        message: "already resolved",
        resolution: approvedBy("bob"),
      },
      now: 7,
    });
    expect(state.cards[0]).toMatchObject({ phase: "settled", settledHere: false, lostRace: true });
    expect(state.cards[0]?.resolution?.decidedBy.id).toBe("bob");
  });

  test("any other failure opens the card again with the message", () => {
    const state = reduceInbox(reduceInbox(withCards("a"), { type: "sending", permissionId: "a" }), {
      type: "failed",
      permissionId: "a",
      failure: { code: "invalid_rule", message: "the rule does not parse" },
      now: 7,
    });
    expect(state.cards[0]).toMatchObject({ phase: "open", error: "the rule does not parse" });
  });

  test("a second sending event for a card already in flight changes nothing", () => {
    const sending = reduceInbox(withCards("a"), { type: "sending", permissionId: "a" });
    expect(reduceInbox(sending, { type: "sending", permissionId: "a" })).toEqual(sending);
  });
});
