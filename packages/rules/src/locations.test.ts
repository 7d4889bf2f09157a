import { describe, expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { PolicyError } from "./errors.ts";
import { parsePolicyText } from "./load.ts";
import { policySource } from "./source.ts";

function errorOf(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error("expected a PolicyError");
}

/** The 1-based line and column of the first occurrence of `needle` in `text`. */
function positionOf(text: string, needle: string, from = 0) {
  const offset = text.indexOf(needle, from);
  if (offset < 0) throw new Error(`${needle} not in the text`);
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

const compileText = (text: string, file = "p.yaml") =>
  errorOf(() => compilePolicy({ project: parsePolicyText(text, { file }) }));

describe("pattern columns follow the file's escapes", () => {
  test("in a JSON string with escaped quotes", () => {
    const text =
      '{ "rules": [\n  { "tool": "Bash(command ~ \\"x\\", cwd ?? \\"y\\")", "behavior": "deny" }\n] }\n';
    const error = compileText(text, "p.json");
    expect(error.code).toBe("unknown_operator");
    expect(error.location).toMatchObject(positionOf(text, "??"));
  });

  test("in a double-quoted YAML scalar with escapes of every width", () => {
    const text =
      'rules:\n  - tool: "Edit(file_path ~ \\"\\x41\\u00e9\\U0001F600\\\\\\\\\\", mode ?? \\"x\\")"\n    behavior: deny\n';
    const error = compileText(text);
    expect(error.code).toBe("unknown_operator");
    expect(error.location).toMatchObject(positionOf(text, "??"));
  });

  test("in a single-quoted YAML scalar", () => {
    const text =
      "rules:\n  - tool: 'Edit(file_path ~ \"it''s\", mode ?? \"x\")'\n    behavior: deny\n";
    const error = compileText(text);
    expect(error.location).toMatchObject(positionOf(text, "??"));
  });

  test("in a plain YAML scalar", () => {
    const text = 'rules:\n  - tool: Edit(file_path ~ "x", mode ?? "y")\n    behavior: deny\n';
    expect(compileText(text).location).toMatchObject(positionOf(text, "??"));
  });

  test("a multi-line scalar falls back to the scalar's start", () => {
    const text =
      'rules:\n  - tool: "Edit(file_path ~ \\"x\\",\n      mode ?? \\"y\\")"\n    behavior: deny\n';
    const error = compileText(text);
    expect(error.code).toBe("unknown_operator");
    expect(error.location).toMatchObject(positionOf(text, "Edit("));
  });
});

describe("glob and regex faults point inside the pattern", () => {
  const patternColumnOf = (tool: string) =>
    errorOf(() => compilePolicy({ project: { rules: [{ tool, behavior: "deny" }] } })).location
      .patternColumn;

  test.each([
    ['Edit(file_path ~ "src/[abc")', "[", "invalid_glob"],
    ['Edit(file_path ~ "a\\"b{c")', "{", "invalid_glob"],
    ["Bash(npm {x *)", "{", "invalid_glob"],
    ["mcp__{gh", "{", "invalid_glob"],
    ['Bash(command =~ "ab[z-a]")', "z-a", "invalid_regex"],
    ['Bash(command =~ "x\\\\d**")', "**", "invalid_regex"],
    ["/a\\/b**/", "**", "invalid_regex"],
  ])("%s at its %s", (tool, fault, code) => {
    const error = errorOf(() =>
      compilePolicy({ project: { rules: [{ tool, behavior: "deny" }] } }),
    );
    expect(error.code).toBe(code);
    expect(patternColumnOf(tool)).toBe(tool.indexOf(fault) + 1);
  });

  test("and in the file", () => {
    const text = 'rules:\n  - tool: "Bash(command =~ \\"\\\\\\\\d[z-a]\\")"\n    behavior: deny\n';
    const error = compileText(text);
    expect(error.code).toBe("invalid_regex");
    expect(error.location).toMatchObject(positionOf(text, "z-a"));
  });
});

describe("document faults are located by their path", () => {
  test("a forbidden mode points at the mode", () => {
    const session = parsePolicyText("rules: []\nmode: bypassPermissions\n", { file: "s.yaml" });
    const error = errorOf(() =>
      compilePolicy({ global: { forbid_modes: ["bypassPermissions"] }, session }),
    );
    expect(error.code).toBe("mode_forbidden");
    expect(error.location).toMatchObject({ file: "s.yaml", line: 2, column: 7 });
  });

  test("a failing example points at the example", () => {
    const text =
      "rules:\n  - tool: Bash(npm *)\n    behavior: allow\n    examples:\n      match:\n        - npm test\n        - yarn test\n";
    const error = compileText(text);
    expect(error.code).toBe("example_failed");
    expect(error.location).toMatchObject({
      ...positionOf(text, "yarn test"),
      path: "rules.0.examples.match.1",
    });
  });

  test("an example that does not name its tool points at the example", () => {
    const text =
      "rules:\n  - tool: mcp__*\n    behavior: deny\n    examples:\n      not_match:\n        - { input: {} }\n";
    const error = compileText(text);
    expect(error.code).toBe("invalid_document");
    expect(error.message).toMatch(/must name its tool/);
    expect(error.location).toMatchObject(positionOf(text, "{ input"));
  });

  test("an invalid document lists every issue, each located", () => {
    const text =
      "rules:\n  - tool: Bash\n    behavior: maybe\n  - tool: Read\n    behavior: allow\nmode: nope\n";
    const error = errorOf(() => parsePolicyText(text, { file: "p.yaml" }));
    expect(error.code).toBe("invalid_document");
    const issues = error.issues?.map(({ path, line, column }) => ({ path, line, column }));
    expect(issues).toHaveLength(2);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: ["rules", 0, "behavior"], ...positionOf(text, "maybe") },
        { path: ["mode"], ...positionOf(text, "nope") },
      ]),
    );
    // The error itself is the first issue.
    expect(error.location).toMatchObject({
      path: issues![0]!.path.join("."),
      line: issues![0]!.line,
      column: issues![0]!.column,
    });
  });
});

describe("sources are explicit", () => {
  test("a plain object is a document, and `document` is not one of its keys", () => {
    const error = errorOf(() =>
      compilePolicy({ project: { document: { rules: [] }, file: "x.yaml" } as never }),
    );
    expect(error.code).toBe("invalid_document");
    expect(error.message).toMatch(/policySource/);
  });

  test("policySource names the file in errors and decisions", () => {
    const source = policySource(
      { rules: [{ tool: "Bash(", behavior: "allow" }] },
      { file: "w.yaml" },
    );
    const error = errorOf(() => compilePolicy({ project: source }));
    expect(error.location).toMatchObject({ file: "w.yaml", rule: 0 });
    const policy = compilePolicy({
      project: policySource({ rules: [{ tool: "Read", behavior: "allow" }] }, { file: "w.yaml" }),
    });
    expect(policy.rules[0]?.file).toBe("w.yaml");
  });

  test("a source spread with a new document stays a source", () => {
    const source = parsePolicyText("rules: []\n", { file: "w.yaml" });
    const policy = compilePolicy({
      project: { ...source, document: { rules: [{ tool: "Read", behavior: "allow" }] } },
    });
    expect(policy.rules[0]?.file).toBe("w.yaml");
  });
});
