import { describe, expect, test } from "vitest";
import { compilePolicy, evaluate } from "../../packages/rules/src/index.ts";
import { evaluateNaive, type Outcome, prepareCedar, wardenOutcome } from "./engines.ts";
import { toCedarPolicies, toNaiveRules, toWardenDocument } from "./policy-forms.ts";
import { BENCH_CWD, generateCalls, generatePolicy, PROBE_CALL } from "./policy-gen.ts";

describe("policy generator", () => {
  test("the same seed gives the same policy and calls", () => {
    expect(generatePolicy(100, 7)).toEqual(generatePolicy(100, 7));
    expect(generateCalls(50, 100, 3)).toEqual(generateCalls(50, 100, 3));
    expect(generatePolicy(100, 7)).not.toEqual(generatePolicy(100, 8));
  });

  test("a policy has the requested size and every kind of rule", () => {
    const patterns = toWardenDocument(generatePolicy(1000)).rules!.map((rule) => rule.tool);
    expect(patterns).toHaveLength(1000);
    for (const shape of [
      /^tool_\d+$/,
      /^svc_\d+_\*$/,
      /^mcp__server\d+__\*$/,
      /^\/mcp__\(gh\|gl\)\d+__\.\*\/$/,
      /^Bash\(cmd\d+ \*\)$/,
      /^Bash\(command =~ "\(\?i\)danger\d+"\)$/,
      /^Edit\(file_path ~ "pkg\d+\//,
      /^Read\(file_path ~ "dir\d+\//,
      /^mcp__server\d+__deploy\(env = "\w+"\)$/,
    ]) {
      expect(patterns.some((pattern) => shape.test(pattern))).toBe(true);
    }
  });
});

describe.each([10, 100, 1000])("Warden, the naive loop and Cedar at %i rules", (size) => {
  const rules = generatePolicy(size);
  const warden = compilePolicy({ project: toWardenDocument(rules) });
  const naive = toNaiveRules(rules);
  const naiveMatcher = toNaiveRules(rules, "matcher");
  const cedar = prepareCedar(`test-${size}`, toCedarPolicies(rules));
  const calls = [PROBE_CALL, ...generateCalls(200, size)];

  test("decide every generated call alike", () => {
    const outcomes = new Set<Outcome>();
    for (const call of calls) {
      const expected = wardenOutcome(evaluate(warden, call, { cwd: BENCH_CWD }));
      const answer = cedar.evaluate(call);
      const label = `${call.toolName} ${JSON.stringify(call.input)}`;
      expect({ label, naive: evaluateNaive(naive, call) }).toEqual({ label, naive: expected });
      expect({ label, matcher: evaluateNaive(naiveMatcher, call) }).toEqual({
        label,
        matcher: expected,
      });
      expect({ label, cedar: answer.outcome, errors: answer.errors }).toEqual({
        label,
        cedar: expected,
        errors: 0,
      });
      outcomes.add(expected);
    }
    if (size >= 100) expect([...outcomes].sort()).toEqual(["allow", "ask", "default", "deny"]);
  });
});
