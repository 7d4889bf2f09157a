import { describe, expect, test } from "vitest";
import { editField, type FieldKey, type FieldState, fieldOf } from "../src/approve/field-edit.ts";

const NONE: FieldKey = {
  leftArrow: false,
  rightArrow: false,
  backspace: false,
  delete: false,
  return: false,
  upArrow: false,
  downArrow: false,
  tab: false,
  escape: false,
  ctrl: false,
  meta: false,
};

/** Applies events one after another, each to the field the previous one left. */
function run(start: string, events: readonly (string | Partial<FieldKey>)[]) {
  let state: FieldState = fieldOf(start);
  const submitted: string[] = [];
  for (const event of events) {
    const step =
      typeof event === "string"
        ? editField(state, event, NONE)
        : editField(state, "", { ...NONE, ...event });
    state = step.state;
    if (step.submitted !== undefined) submitted.push(step.submitted);
  }
  return { state, submitted };
}

describe("editField: each event acts on the value the previous one left", () => {
  test("40 backspaces erase 40 characters, however long the field", () => {
    const backspaces = Array.from({ length: 40 }, () => ({ backspace: true }));
    expect(run("Bash(make build)", [...backspaces, "Bash(make *)"]).state).toEqual({
      value: "Bash(make *)",
      cursor: 12,
    });
    expect(run("x".repeat(50), backspaces).state.value).toBe("x".repeat(10));
  });

  test("typed text and Enter in one event submit the text with everything before it", () => {
    expect(run("ab", ["cd\r"]).submitted).toEqual(["abcd"]);
    expect(run("", ["ok\r\nignored"])).toMatchObject({
      state: { value: "ok" },
      submitted: ["ok"],
    });
    expect(run("v", [{ return: true }]).submitted).toEqual(["v"]);
  });

  test("arrows move the cursor within the text; inserts and erasures happen at it", () => {
    const { state } = run("ls", [
      { leftArrow: true },
      { leftArrow: true },
      { leftArrow: true },
      "x",
      { rightArrow: true },
      { rightArrow: true },
      { rightArrow: true },
      { delete: true },
    ]);
    expect(state).toEqual({ value: "xl", cursor: 2 });
  });

  test("characters outside the BMP count as one; control characters are not typed in", () => {
    expect(run("a😀", [{ backspace: true }]).state).toEqual({ value: "a", cursor: 1 });
    expect(run("", ["a\tb\u0000c\u001bd\u009be"]).state.value).toBe("abcde");
  });

  test("navigation, escape and control keys change nothing", () => {
    for (const key of [
      { upArrow: true },
      { downArrow: true },
      { tab: true },
      { escape: true },
    ] as const) {
      expect(run("keep", [key])).toEqual({ state: fieldOf("keep"), submitted: [] });
    }
    expect(editField(fieldOf("keep"), "u", { ...NONE, ctrl: true }).state).toEqual(fieldOf("keep"));
  });
});
