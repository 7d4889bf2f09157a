import { describe, expect, test } from "vitest";
import { isEdited, parseArguments, sameJson, toInput, toRequestId } from "./decisions.ts";

describe("request ids from tool-call ids", () => {
  test("an id Warden accepts is kept", async () => {
    await expect(toRequestId("toolu_01AbC")).resolves.toBe("toolu_01AbC");
    await expect(toRequestId("call_x.y:z@w/v-1")).resolves.toBe("call_x.y:z@w/v-1");
  });

  test("other ids are encoded, and distinct ids stay distinct", async () => {
    await expect(toRequestId("a b")).resolves.toBe("hex:612062");
    const long = "x".repeat(300);
    const a = await toRequestId(`${long} a`);
    const b = await toRequestId(`${long} b`);
    expect(a).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(a).not.toBe(b);
    expect((await toRequestId("é".repeat(200))).length).toBeLessThanOrEqual(200);
  });
});

describe("tool inputs", () => {
  test("JSON arguments become the input object; anything else is wrapped", () => {
    expect(parseArguments('{"command":"ls"}')).toEqual({ command: "ls" });
    expect(parseArguments("[1,2]")).toEqual({ value: [1, 2] });
    expect(parseArguments("not json")).toEqual({ arguments: "not json" });
    expect(parseArguments(undefined)).toEqual({});
    expect(toInput("x")).toEqual({ value: "x" });
    expect(toInput({ a: 1 })).toEqual({ a: 1 });
  });
});

describe("edited inputs", () => {
  const allow = (input: Record<string, unknown>) =>
    ({ behavior: "allow", input, reason: "approved", message: "ok" }) as const;

  test("an allow with another input is an edit, whatever the key order", () => {
    expect(isEdited(allow({ a: 1, b: [1, { c: 2 }] }), { b: [1, { c: 2 }], a: 1 })).toBe(false);
    expect(isEdited(allow({ command: "ls -la" }), { command: "ls" })).toBe(true);
    expect(isEdited(allow({ command: "ls", extra: null }), { command: "ls" })).toBe(true);
    expect(isEdited(allow({ a: [1, 2] }), { a: [2, 1] })).toBe(true);
    expect(isEdited(allow({ a: "1" }), { a: 1 })).toBe(true);
    expect(
      isEdited({ behavior: "deny", reason: "rejected", message: "no" }, { command: "ls" }),
    ).toBe(false);
  });

  test("sameJson compares JSON values deeply", () => {
    expect(sameJson({ a: { b: [null] } }, { a: { b: [null] } })).toBe(true);
    expect(sameJson({ a: undefined }, { b: undefined })).toBe(false);
    expect(sameJson([], {})).toBe(false);
  });
});
