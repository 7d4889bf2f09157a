// Replies addressed by the session actor's id (issue 12): the inbox carries each session's actor
// id, a reply by id settles the request like one by key, and an id is only an address: a reply
// by id that reaches another project's session, another session, a project actor or nothing is
// refused, and nothing changes anywhere. Real engine, real actors, stateless HTTP calls as the
// SDK's inbox makes them.
import { policySource } from "@warden/rules";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import type { InboxRequest } from "../src/index.ts";
import { isActorGone } from "../src/protocol.ts";
import { type RunningWarden, startWarden, type TokenName } from "./warden-harness.ts";

let warden: RunningWarden;

beforeAll(async () => {
  warden = await startWarden({
    policy: {
      defaultProject: policySource({ default_behavior: "ask", ask: { timeout_seconds: 600 } }),
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

const POLL = { timeout: 45_000, interval: 100 };

type Call = (...args: unknown[]) => Promise<unknown>;
/** A session addressed by actor id, with a token: what a hostile caller can send. */
const byId = (token: TokenName, actorId: string) =>
  warden.client.permissionSession.getForId(actorId, { params: { token } }) as unknown as Record<
    "respondPermission" | "getRequest" | "listPending",
    Call
  >;
const project = (token: TokenName, projectId: string) =>
  warden.client.wardenProject.getOrCreate([projectId], { params: { token } });

/** Opens an ask in `projectId/sessionId` and returns it as the project's inbox lists it. */
async function askInInbox(projectId: string, sessionId: string): Promise<InboxRequest> {
  const asker: TokenName = projectId === "p1" ? "agent" : "admin";
  const pending = (await warden.session(asker, sessionId, projectId).requestPermission({
    requestId: `r-${sessionId}-${Math.random()}`,
    toolName: "Bash",
    input: { command: `deploy ${sessionId}` },
    waitMs: 0,
  })) as { status: string; permissionId: string };
  expect(pending.status).toBe("pending");
  let found: InboxRequest | undefined;
  await vi.waitFor(async () => {
    const page = await project("admin", projectId).listInbox({});
    found = page.requests.find((r) => r.permissionId === pending.permissionId);
    expect(found?.sessionActorId).toBeTypeOf("string");
  }, POLL);
  return found!;
}

/** What a refused reply must leave as it was: the request pending, the inbox unchanged. */
async function snapshot(projectId: string, sessionId: string, permissionId: string) {
  const record = (await warden.session("admin", sessionId, projectId).getRequest(permissionId)) as {
    status: string;
  };
  const inbox = await project("admin", projectId).listInbox({});
  return {
    status: record.status,
    inbox: inbox.requests.map((r) => `${r.sessionId}/${r.permissionId}`).sort(),
    rules: await project("admin", projectId).listProjectRules(),
  };
}

async function expectRefused(call: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const error = await call().then(
    () => expect.unreachable("the call was accepted"),
    (e: unknown) => e as Record<string, unknown>,
  );
  return error;
}

describe("replies by the session actor's id", () => {
  test("the inbox carries the session's actor id, and a reply by id settles the request", async () => {
    const request = await askInInbox("p1", "by-id-ok");
    // The id the inbox carries is the session actor's own.
    const resolved = await warden.client.permissionSession
      .getOrCreate(["p1", "by-id-ok"], { params: { token: "admin" } })
      .resolve();
    expect(request.sessionActorId).toBe(resolved);
    const answer = (await byId("approver", request.sessionActorId!).respondPermission(
      "by-id-ok",
      request.permissionId,
      "once",
    )) as { resolution: { outcome: string; decidedBy: { id: string } } };
    expect(answer.resolution).toMatchObject({ outcome: "allow", decidedBy: { id: "alice" } });
    await vi.waitFor(async () => {
      const page = await project("admin", "p1").listInbox({});
      expect(page.requests.some((r) => r.permissionId === request.permissionId)).toBe(false);
    }, POLL);
  });

  test("an approver of another project is refused by id, learns nothing, and nothing changes", async () => {
    const victim = await askInInbox("p1", "by-id-victim");
    const before = await snapshot("p1", "by-id-victim", victim.permissionId);
    const error = await expectRefused(() =>
      byId("otherProject", victim.sessionActorId!).respondPermission(
        "by-id-victim",
        victim.permissionId,
        "once",
      ),
    );
    expect(error).toMatchObject({ group: "user", code: "forbidden" });
    // The refusal names neither the session nor its project: the caller sent only an id.
    expect(String(error.message)).not.toContain("by-id-victim");
    expect(String(error.message)).not.toMatch(/\bp1\b/);
    await expectRefused(() =>
      byId("otherProject", victim.sessionActorId!).getRequest(victim.permissionId),
    );
    expect(await snapshot("p1", "by-id-victim", victim.permissionId)).toEqual(before);
  });

  test("an approver addressing another project's session by id is refused and nothing changes", async () => {
    const foreign = await askInInbox("p2", "by-id-foreign");
    const before = await snapshot("p2", "by-id-foreign", foreign.permissionId);
    // Its own session's name, another project's actor: the actor's key decides, not the name sent.
    for (const sessionId of ["by-id-foreign", "by-id-ok"]) {
      const error = await expectRefused(() =>
        byId("approver", foreign.sessionActorId!).respondPermission(
          sessionId,
          foreign.permissionId,
          "once",
        ),
      );
      expect(error).toMatchObject({ group: "user", code: "forbidden" });
    }
    expect(await snapshot("p2", "by-id-foreign", foreign.permissionId)).toEqual(before);
  });

  test("a reply by id to another session of the project is wrong_session and changes neither", async () => {
    const one = await askInInbox("p1", "by-id-one");
    const two = await askInInbox("p1", "by-id-two");
    const before = [
      await snapshot("p1", "by-id-one", one.permissionId),
      await snapshot("p1", "by-id-two", two.permissionId),
    ];
    for (const permissionId of [one.permissionId, two.permissionId]) {
      const error = await expectRefused(() =>
        byId("approver", two.sessionActorId!).respondPermission("by-id-one", permissionId, "once"),
      );
      expect(error).toMatchObject({ group: "user", code: "wrong_session" });
    }
    // A narrow approver may not reach that session by id either; an agent may not reply at all.
    for (const token of ["narrowApprover", "agent"] as const) {
      const error = await expectRefused(() =>
        byId(token, one.sessionActorId!).respondPermission("by-id-one", one.permissionId, "once"),
      );
      expect(error).toMatchObject({ group: "user", code: "forbidden" });
    }
    expect([
      await snapshot("p1", "by-id-one", one.permissionId),
      await snapshot("p1", "by-id-two", two.permissionId),
    ]).toEqual(before);
  });

  test("a reply by a project actor's id, or by an id of nothing, is refused and changes nothing", async () => {
    const request = await askInInbox("p1", "by-id-project");
    const before = await snapshot("p1", "by-id-project", request.permissionId);
    const projectId = await project("admin", "p1").resolve();
    for (const token of ["approver", "admin"] as const) {
      const error = await expectRefused(() =>
        byId(token, projectId).respondPermission("by-id-project", request.permissionId, "once"),
      );
      expect(error).toMatchObject({ group: "actor", code: "action_not_found" });
    }
    // An id of no actor (another node of the id, so the same datacenter) and a malformed one.
    const id = request.sessionActorId!;
    const missing = await expectRefused(() =>
      byId("approver", `${id.slice(0, 10)}zzzz${id.slice(14)}`).respondPermission(
        "by-id-project",
        request.permissionId,
        "once",
      ),
    );
    expect(missing).toMatchObject({ group: "actor", code: "not_found" });
    // What the client's inbox and the runner read as "the id missed: go by key".
    expect(isActorGone(missing)).toBe(true);
    expect(
      isActorGone(await expectRefused(() => byId("approver", projectId).getRequest("x"))),
    ).toBe(false);
    await expectRefused(() =>
      byId("approver", "not-an-actor-id").respondPermission(
        "by-id-project",
        request.permissionId,
        "once",
      ),
    );
    expect(await snapshot("p1", "by-id-project", request.permissionId)).toEqual(before);
  });
});
