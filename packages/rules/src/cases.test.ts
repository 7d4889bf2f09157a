import { describe, expect, test } from "vitest";
import { MALFORMED_PATTERNS, POLICY_CASES } from "./cases.ts";
import { compilePolicy } from "./compile.ts";
import { PolicyError } from "./errors.ts";
import { evaluate } from "./evaluate.ts";
import { parsePolicyText } from "./load.ts";

describe("policy cases against the engine", () => {
  test.each(POLICY_CASES.map((c) => [c.name, c] as const))("%s", (_name, policyCase) => {
    const policy = compilePolicy({
      project: policyCase.policy,
      ...(policyCase.tiers?.global ? { global: policyCase.tiers.global } : {}),
      ...(policyCase.tiers?.session ? { session: policyCase.tiers.session } : {}),
    });
    const decision = evaluate(
      policy,
      { toolName: policyCase.tool, input: policyCase.input },
      policyCase.context ?? {},
    );
    const { expect: expected } = policyCase;
    expect(decision.decision).toBe(expected.decision);
    if (expected.rule !== undefined) expect(decision.rule?.pattern ?? null).toBe(expected.rule);
    if (expected.reason !== undefined) expect(decision.reason).toBe(expected.reason);
    if (expected.tier !== undefined) expect(decision.tier).toBe(expected.tier);
  });
});

describe("malformed patterns are load errors at file:line:col", () => {
  test.each(MALFORMED_PATTERNS.map((c) => [c.pattern, c] as const))("%s", (_name, malformed) => {
    // `  - tool: ` puts the pattern's first character at column 11 of line 3.
    const text = `default_behavior: allow\nrules:\n  - tool: ${malformed.pattern}\n    behavior: deny\n`;
    let error: unknown;
    try {
      compilePolicy({ project: parsePolicyText(text, { file: "warden.yaml" }) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    const { location, message } = error as PolicyError;
    expect(location).toMatchObject({ file: "warden.yaml", line: 3, column: 10 + malformed.column });
    expect(location.patternColumn).toBe(malformed.column);
    expect(message).toContain(malformed.message);
  });
});
