import { describe, expect, test } from "vitest";
import { ACCESS, MAX_ARG_DEPTH, mayCall, mayEnter, requirePlainArgs } from "./access.ts";

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
    for (const action of ["noteInbox", "syncInbox"])
      expect(mayCall("wardenProject", action, "admin")).toBe(false);
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
