import { describe, expect, test } from "vitest";
import {
  ACCESS,
  MAX_ARG_DEPTH,
  mayCall,
  mayEnter,
  mayReceive,
  requirePlainArgs,
  requireWholeProject,
} from "./access.ts";
import type { Principal } from "./auth.ts";

const codeOf = (run: () => void) => {
  try {
    run();
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe("plain-data arguments", () => {
  const nested = (depth: number) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  };
  test.each([
    ["JSON values", [{ a: [1, "x", null, true, { b: {} }] }, undefined], "ok"],
    [`${MAX_ARG_DEPTH} levels`, [nested(MAX_ARG_DEPTH)], "ok"],
    [`${MAX_ARG_DEPTH + 1} levels`, [nested(MAX_ARG_DEPTH + 1)], "invalid_input"],
    ["10,000 levels", [nested(10_000)], "invalid_input"],
    ["an own __proto__ key", [JSON.parse('{"a":{"__proto__":{"x":1}}}')], "invalid_input"],
    ["a __proto_ key (cbor-x's rename of __proto__)", [{ a: [{ __proto_: 1 }] }], "invalid_input"],
    ["a constructor key", [{ input: { constructor: { prototype: {} } } }], "invalid_input"],
    ["a prototype key", [{ a: 1 }, { b: { prototype: 1 } }], "invalid_input"],
    ["a value that spells a reserved key", [{ a: "__proto__", b: ["constructor"] }], "ok"],
    ["an object with a prototype", [Object.create({ behavior: "allow" })], "invalid_input"],
    ["a null-prototype object", [Object.create(null)], "ok"],
    ["a non-finite number", [{ cost: Number.POSITIVE_INFINITY }], "invalid_input"],
    ["a function", [() => 1], "invalid_input"],
    ["a bigint", [1n], "invalid_input"],
  ])("%s", (_name, args, code) => {
    expect(codeOf(() => requirePlainArgs(args))).toBe(code);
  });
});

describe("the access table", () => {
  test("internal actions are the system's alone", () => {
    for (const action of ["expirePermission", "reloadProjectRules"])
      for (const role of ["agent", "approver", "admin"] as const)
        expect(mayCall("permissionSession", action, role)).toBe(false);
    expect(mayCall("wardenProject", "noteInbox", "admin")).toBe(false);
  });

  test("an action that is not in the table is refused to everyone", () => {
    expect(mayCall("permissionSession", "toString", "system")).toBe(false);
    expect(mayCall("permissionSession", "constructor", "admin")).toBe(false);
  });

  test("agents have no door into a project", () => {
    expect(mayEnter("wardenProject", "agent")).toBe(false);
    expect(mayEnter("wardenProject", "approver")).toBe(true);
    expect(Object.keys(ACCESS)).toEqual(["permissionSession", "wardenProject"]);
  });
});

describe("who receives an event's payload", () => {
  const agent: Principal = { id: "agent-1", role: "agent", projects: ["p1"], sessions: "*" };
  const approver: Principal = { id: "alice", role: "approver", projects: ["p1"], sessions: "*" };
  const narrow: Principal = { ...approver, sessions: ["s1"] };
  const state = { requests: [{ permissionId: "perm_1", requestedBy: "agent-1" }] };

  test("agents receive their own requests and resolutions only; approvers all", () => {
    const request = (requestedBy: string) => ({ sessionId: "s1", request: { requestedBy } });
    expect(
      mayReceive("permissionSession", "permissionRequest", agent, request("agent-1"), {}),
    ).toBe(true);
    expect(
      mayReceive("permissionSession", "permissionRequest", agent, request("agent-2"), {}),
    ).toBe(false);
    expect(
      mayReceive("permissionSession", "permissionRequest", approver, request("agent-2"), {}),
    ).toBe(true);
    const resolved = (permissionId: string) => ({ sessionId: "s1", permissionId, requestId: "r" });
    // The payload names its agent; the state is read only for payloads that do not.
    expect(
      mayReceive(
        "permissionSession",
        "permissionResolved",
        agent,
        { ...resolved("perm_9"), requestedBy: "agent-1" },
        state,
      ),
    ).toBe(true);
    expect(
      mayReceive(
        "permissionSession",
        "permissionResolved",
        agent,
        { ...resolved("perm_1"), requestedBy: "agent-2" },
        state,
      ),
    ).toBe(false);
    expect(
      mayReceive("permissionSession", "permissionResolved", agent, resolved("perm_1"), state),
    ).toBe(true);
    // Unknown owner: fail closed for agents.
    expect(
      mayReceive("permissionSession", "permissionResolved", agent, resolved("perm_2"), state),
    ).toBe(false);
    expect(
      mayReceive("permissionSession", "permissionResolved", approver, resolved("perm_2"), state),
    ).toBe(true);
  });

  test("inbox changes reach approvers for their sessions only, never agents", () => {
    const change = (sessionId: string) => ({ kind: "pending", sessionId, permissionId: "perm_1" });
    expect(mayReceive("wardenProject", "inboxChanged", narrow, change("s1"), {})).toBe(true);
    expect(mayReceive("wardenProject", "inboxChanged", narrow, change("s2"), {})).toBe(false);
    expect(mayReceive("wardenProject", "inboxChanged", agent, change("s1"), {})).toBe(false);
    expect(mayReceive("wardenProject", "unknownEvent", approver, change("s1"), {})).toBe(false);
  });
});

describe("project-wide calls need a token that reaches every session", () => {
  const wide: Principal = { id: "w", role: "admin", projects: ["p1"], sessions: "*" };
  const narrow: Principal = { id: "n", role: "admin", projects: ["p1"], sessions: ["s1"] };
  const always = (scope?: string) => ["s1", "perm_1", "always", scope ? { scope } : {}];
  test.each([
    [
      "an always reply of scope project",
      "permissionSession",
      "respondPermission",
      always("project"),
      "forbidden",
    ],
    [
      "an always reply of scope session",
      "permissionSession",
      "respondPermission",
      always("session"),
      "ok",
    ],
    [
      "a reply with no options",
      "permissionSession",
      "respondPermission",
      ["s1", "perm_1", "once"],
      "ok",
    ],
    ["adding project rules", "wardenProject", "addProjectRules", [[]], "forbidden"],
    ["removing a project rule", "wardenProject", "removeProjectRule", ["prule_1"], "forbidden"],
    ["reconciling the project's inbox", "wardenProject", "reconcileInbox", [], "forbidden"],
    ["a session rule (its own session)", "permissionSession", "addRule", [{}], "ok"],
  ] as const)("%s from a narrow token: %s", (_name, actor, action, args, code) => {
    expect(codeOf(() => requireWholeProject(actor, action, narrow, args))).toBe(code);
    expect(codeOf(() => requireWholeProject(actor, action, wide, args))).toBe("ok");
  });
});
