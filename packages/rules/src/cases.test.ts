import { describe, expect, test } from "vitest";
import { POLICY_CASES } from "./cases.ts";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";

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
