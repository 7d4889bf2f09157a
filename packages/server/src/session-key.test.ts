// Where a session runs (cwd, home) is set once, by an agent; an agent elsewhere is refused.
import { describe, expect, test } from "vitest";
import type { Principal } from "./auth.ts";
import { placeFromConnection, type SessionPlace } from "./session-key.ts";

const agent: Principal = { id: "agent-1", role: "agent", projects: ["p"], sessions: "*" };
const approver: Principal = { id: "alice", role: "approver", projects: ["p"], sessions: "*" };

const refusal = (place: SessionPlace, principal: Principal, params: object) => {
  try {
    placeFromConnection(place, principal, params);
    return "ok";
  } catch (error) {
    const { code, metadata, message } = error as {
      code: string;
      metadata: unknown;
      message: string;
    };
    return { code, metadata, message };
  }
};

describe("placeFromConnection", () => {
  test("the first agent sets cwd and home; other roles set nothing", () => {
    const place: SessionPlace = { cwd: null, home: null };
    placeFromConnection(place, approver, { token: "t", cwd: "/", home: "/" });
    expect(place).toEqual({ cwd: null, home: null });
    placeFromConnection(place, agent, { token: "t", cwd: "/repo", home: "/home/a" });
    expect(place).toEqual({ cwd: "/repo", home: "/home/a" });
  });

  test.each([
    ["cwd", { cwd: "/elsewhere", home: "/home/a" }],
    ["home", { cwd: "/repo", home: "/root" }],
    ["cwd", { cwd: "/repo/" }],
  ])("an agent reporting another %s is refused, and nothing changes", (field, params) => {
    const place: SessionPlace = { cwd: "/repo", home: "/home/a" };
    const answer = refusal(place, agent, { token: "t", ...params });
    expect(answer).toMatchObject({ code: "conflict", metadata: { field } });
    // The refusal names the field, never the session's value.
    expect(JSON.stringify(answer)).not.toMatch(/\/repo|\/home\/a/);
    expect(place).toEqual({ cwd: "/repo", home: "/home/a" });
  });

  test("a refused connection fills in nothing, even a field still unset", () => {
    const place: SessionPlace = { cwd: "/repo", home: null };
    expect(refusal(place, agent, { token: "t", cwd: "/x", home: "/home/b" })).toMatchObject({
      code: "conflict",
    });
    expect(place).toEqual({ cwd: "/repo", home: null });
  });

  test("an agent in the same place, or one reporting none, is let in and changes nothing", () => {
    const place: SessionPlace = { cwd: "/repo", home: "/home/a" };
    expect(refusal(place, agent, { token: "t", cwd: "/repo", home: "/home/a" })).toBe("ok");
    expect(refusal(place, agent, { token: "t" })).toBe("ok");
    expect(refusal(place, approver, { token: "t", cwd: "/x" })).toBe("ok");
    expect(place).toEqual({ cwd: "/repo", home: "/home/a" });
  });
});
