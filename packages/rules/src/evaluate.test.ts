import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";
import type { PolicyDocument, RuleEntry } from "./schema.ts";

const toolName = fc.constantFrom(
  "Bash",
  "Read",
  "Edit",
  "Write",
  "mcp__gh__x",
  "deploy",
  "file_rm",
);
const command = fc.oneof(
  fc.constantFrom(
    "npm test",
    "rm -rf /",
    "git status && rm x",
    "echo $(rm y)",
    "ls | xargs rm",
    "sudo rm z",
    "bash -c 'rm q'",
    "cat a > b",
    "find . -exec rm {} +",
    "eval rm",
  ),
  fc.string({ maxLength: 40 }),
);
const input = fc.oneof(
  command.map((c) => ({ command: c })),
  fc
    .constantFrom("src/a.ts", "../x", "/etc/passwd", ".env", "src/../.env")
    .map((p) => ({ file_path: p })),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
);
const pattern = fc.constantFrom(
  "Bash",
  "Bash(*)",
  "Bash(rm *)",
  "Bash(npm *)",
  "Bash(git *)",
  "Read",
  'Read(file_path ~ "**")',
  'Edit(file_path ~ "src/**")',
  "Write(*)",
  "mcp__*",
  "/.*/",
  "*",
  'Bash(command =~ "rm")',
  "file_*",
  'deploy(target ~ "*")',
  "Bash(cat *)",
  "Bash(ls *)",
);
const rule = fc.record({
  tool: pattern,
  behavior: fc.constantFrom("allow", "ask", "deny"),
}) as fc.Arbitrary<RuleEntry>;
const allowRule = fc.record({
  tool: pattern,
  behavior: fc.constant("allow"),
}) as fc.Arbitrary<RuleEntry>;
const documentArb = fc.record({
  default_behavior: fc.constantFrom("allow", "ask", "deny"),
  precedence: fc.constantFrom("deny-allow-ask", "deny-ask-allow"),
  rules: fc.array(rule, { maxLength: 8 }),
}) as fc.Arbitrary<PolicyDocument>;

test("adding allow rules never overrides a deny", () => {
  fc.assert(
    fc.property(
      documentArb,
      fc.array(allowRule, { minLength: 1, maxLength: 5 }),
      toolName,
      input,
      fc.constantFrom("project", "session", "global"),
      (document, extra, tool, callInput, tier) => {
        const before = evaluate(
          compilePolicy({ project: document }),
          { toolName: tool, input: callInput },
          { cwd: "/repo" },
        );
        if (before.decision !== "deny") return;
        const tiers =
          tier === "project"
            ? { project: { ...document, rules: [...(document.rules ?? []), ...extra] } }
            : { project: document, [tier]: { rules: extra } };
        const after = evaluate(
          compilePolicy(tiers),
          { toolName: tool, input: callInput },
          { cwd: "/repo" },
        );
        if (before.reason === "rule") expect(after.decision).toBe("deny");
      },
    ),
    { numRuns: 400 },
  );
});

test("no generated input throws out of evaluate, and every answer is a decision", () => {
  fc.assert(
    fc.property(documentArb, toolName, fc.anything(), (document, tool, anything) => {
      const policy = compilePolicy({ project: document });
      const decision = evaluate(
        policy,
        { toolName: tool, input: anything as Record<string, unknown> },
        { cwd: "/repo" },
      );
      expect(["allow", "ask", "deny"]).toContain(decision.decision);
    }),
    { numRuns: 300 },
  );
});

test("uncertainty never allows: constructs the parser cannot vouch for ask at most", () => {
  const policy = compilePolicy({
    project: { default_behavior: "allow", rules: [{ tool: "Bash", behavior: "allow" }] },
  });
  for (const cmd of [
    "echo $(id)",
    "eval ls",
    "sh -c ls",
    "ls | xargs echo",
    "find . -exec ls {} +",
    "sudo ls",
    "$CMD",
    'echo "open',
  ]) {
    expect(evaluate(policy, { toolName: "Bash", input: { command: cmd } }).decision, cmd).toBe(
      "ask",
    );
  }
});

test("huge inputs are decided, not hung", () => {
  const policy = compilePolicy({
    project: {
      rules: [
        { tool: 'Bash(command =~ "(a+)+$")', behavior: "deny" },
        { tool: "Bash(*a*a*a*a*b)", behavior: "allow" },
      ],
    },
  });
  const decision = evaluate(policy, {
    toolName: "Bash",
    input: { command: `echo ${"a".repeat(100_000)}` },
  });
  expect(decision.decision).toBe("deny");
});

test("huge values go through the rule index and the literal fast paths without hanging", () => {
  const policy = compilePolicy({
    project: {
      rules: [
        { tool: 'Edit(file_path ~ "a/**/*.json")', behavior: "deny" },
        { tool: 'Edit(file_path ~ "**/a/a")', behavior: "deny" },
        { tool: 'Bash(command =~ "(?i)danger")', behavior: "deny" },
        { tool: "Bash(a *)", behavior: "allow" },
        { tool: 'Edit(file_path ~ "a/**")', behavior: "allow" },
      ],
    },
  });
  const path = `${"a/".repeat(50_000)}x.jso`;
  const edit = evaluate(policy, { toolName: "Edit", input: { file_path: path } }, { cwd: "/r" });
  expect(edit.rule?.pattern).toBe('Edit(file_path ~ "a/**")');
  const command = `a ${"DANGE ".repeat(20_000)}`;
  expect(evaluate(policy, { toolName: "Bash", input: { command } }).decision).toBe("allow");
});

describe("decisions name their rule and tier", () => {
  test("a deny carries the rule's message", () => {
    const policy = compilePolicy({
      global: { rules: [{ tool: "Bash(rm *)", behavior: "deny", message: "No deleting." }] },
    });
    const decision = evaluate(policy, { toolName: "Bash", input: { command: "rm x" } });
    expect(decision).toMatchObject({
      decision: "deny",
      tier: "global",
      reason: "rule",
      message: "No deleting.",
    });
    expect(decision.rule).toMatchObject({ id: "global:0", pattern: "Bash(rm *)" });
  });

  test("a compound allow lists every rule that allowed a part", () => {
    const policy = compilePolicy({
      project: {
        rules: [
          { tool: "Bash(npm test)", behavior: "allow" },
          { tool: "Bash(git status)", behavior: "allow" },
        ],
      },
    });
    const decision = evaluate(policy, {
      toolName: "Bash",
      input: { command: "npm test && git status" },
    });
    expect(decision.rules?.map((r) => r.pattern)).toEqual(["Bash(npm test)", "Bash(git status)"]);
  });
});
