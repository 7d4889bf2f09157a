import { describe, expect, test } from "vitest";
import { editedInputProblem } from "./claude-tool-inputs.ts";

describe("editedInputProblem", () => {
  test("a well-formed edit of a built-in tool passes", () => {
    expect(
      editedInputProblem("Bash", { command: "ls" }, { command: "ls -la", timeout: 5000 }),
    ).toBe(undefined);
    expect(
      editedInputProblem(
        "Edit",
        { file_path: "a", old_string: "x", new_string: "y" },
        { file_path: "a", old_string: "x", new_string: "z", replace_all: true },
      ),
    ).toBe(undefined);
    expect(
      editedInputProblem("WebSearch", { query: "q" }, { query: "r", allowed_domains: ["a.com"] }),
    ).toBe(undefined);
    expect(editedInputProblem("Grep", { pattern: "a" }, { pattern: "b", "-i": true })).toBe(
      undefined,
    );
  });

  test.each([
    ["Bash", { command: "ls" }, { command: 1 }, "command must be a string"],
    ["Bash", { command: "ls" }, { cmd: "ls" }, "command is missing"],
    ["Bash", { command: "ls" }, { command: "ls", timeout: "5" }, "timeout must be a number"],
    ["Bash", { command: "ls" }, { command: "ls", shell: "zsh" }, "shell is not a field of Bash"],
    [
      "Edit",
      { file_path: "a", old_string: "x", new_string: "y" },
      { file_path: "a", old_string: "x", new_string: "y", replace_all: "false" },
      "replace_all must be a boolean",
    ],
    [
      "Edit",
      { file_path: "a", old_string: "x", new_string: "y" },
      { file_path: "a", new_string: "y" },
      "old_string is missing",
    ],
    [
      "Write",
      { file_path: "a", content: "" },
      { file_path: ["a"], content: "" },
      "file_path must be a string",
    ],
    ["Read", { file_path: "a" }, { file_path: "a", limit: Number.NaN }, "limit must be a number"],
    [
      "NotebookEdit",
      { notebook_path: "n", new_source: "" },
      { notebook_path: "n", new_source: "", edit_mode: "append" },
      'edit_mode must be one of "replace", "insert", "delete"',
    ],
    [
      "WebSearch",
      { query: "q" },
      { query: "q", blocked_domains: ["a", 1] },
      "blocked_domains must be a list of strings",
    ],
  ])("%s: %j edited to %j is refused: %s", (tool, original, edited, problem) => {
    expect(editedInputProblem(tool, original, edited)).toBe(problem);
  });

  test("a field the agent itself sent is kept even if this table does not know it", () => {
    expect(
      editedInputProblem(
        "Bash",
        { command: "ls", newer_field: 1 },
        { command: "pwd", newer_field: 1 },
      ),
    ).toBe(undefined);
  });

  test("tools Warden does not know, and names that are not own table entries, are not checked", () => {
    expect(editedInputProblem("mcp__github__merge", { a: 1 }, { a: "x", b: 2 })).toBe(undefined);
    expect(editedInputProblem("constructor", {}, { x: 1 })).toBe(undefined);
    expect(editedInputProblem("toString", {}, { x: 1 })).toBe(undefined);
  });
});
