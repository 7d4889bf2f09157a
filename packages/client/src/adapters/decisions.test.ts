import { describe, expect, test } from "vitest";
import { parseArguments, toInput, toRequestId } from "./decisions.ts";

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
