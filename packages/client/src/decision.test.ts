import { describe, expect, test } from "vitest";
import { checkedDecision } from "./decision.ts";

describe("checkedDecision: only a well-formed allow lets a call run", () => {
  test("the server's decisions pass as they are", () => {
    const allow = {
      behavior: "allow",
      input: { command: "ls" },
      reason: "approved",
      message: "ok",
    };
    const deny = { behavior: "deny", reason: "rejected", message: "no" };
    expect(checkedDecision(allow)).toBe(allow);
    expect(checkedDecision(deny)).toBe(deny);
  });

  test.each([
    ["nothing", undefined],
    ["null", null],
    ["an unknown behavior", { behavior: "ask", message: "?", reason: "rule" }],
    ["a capitalised behavior", { behavior: "Allow", input: {}, message: "", reason: "rule" }],
    ["an allow without its input", { behavior: "allow", reason: "rule", message: "" }],
    ["an allow with an array input", { behavior: "allow", input: [], reason: "rule", message: "" }],
    [
      "an allow with a string input",
      { behavior: "allow", input: "rm -rf /", reason: "rule", message: "" },
    ],
    [
      "an allow with an unknown reason",
      { behavior: "allow", input: {}, reason: "trust me", message: "" },
    ],
    ["a deny without a message", { behavior: "deny", reason: "rule" }],
    ["an outcome instead of a decision", { status: "decided", decision: { behavior: "allow" } }],
  ])("%s is an invalid_answer, never a permission", (_, value) => {
    expect(() => checkedDecision(value)).toThrow(
      expect.objectContaining({ code: "invalid_answer" }),
    );
  });
});
