import { compilePolicy, evaluate, policySource } from "@warden/rules";
import { describe, expect, test } from "vitest";
import { compileSnapshot, LocalPolicy, type PolicySnapshot } from "./fast-path.ts";

/** What the server's `getPolicy` answers for a compiled policy (the oracle here is `evaluate`). */
const snapshotOf = (policy: ReturnType<typeof compilePolicy>): PolicySnapshot => ({
  version: policy.version,
  documents: structuredClone(policy.documents),
  settings: structuredClone(policy.settings),
  context: { cwd: "/repo", home: "/home/dev" },
});

describe("compileSnapshot: the SDK decides with the server's policy or not at all", () => {
  const server = compilePolicy({
    project: policySource(
      { mode: "bypassPermissions", rules: [] },
      { file: "/etc/warden/project.yaml" },
    ),
  });
  const write = {
    toolName: "Write",
    input: { file_path: "/etc/warden/project.yaml", content: "" },
  };

  test("the server's own policy file stays protected locally (bypassPermissions asks)", () => {
    expect(evaluate(server, write, { cwd: "/repo" }).decision).toBe("ask");
    const local = new LocalPolicy("on");
    local.install(snapshotOf(server), local.epoch);
    expect(local.fresh).toBe(true);
    expect(local.decide(write.toolName, write.input)).toBeUndefined();
    // Everything else bypassPermissions allows is still decided locally.
    expect(
      local.decide("Write", { file_path: "/repo/a.txt", content: "" })?.decision.behavior,
    ).toBe("allow");
  });

  test("a snapshot whose documents do not hash to its version decides nothing", () => {
    const snapshot = snapshotOf(
      compilePolicy({ session: { rules: [{ tool: "Read", behavior: "allow" }] } }),
    );
    const tampered = { ...snapshot, version: "another" };
    expect(compileSnapshot(tampered)).toBeUndefined();
    const local = new LocalPolicy("on");
    local.install(tampered, local.epoch);
    expect(local.decide("Read", { file_path: "a" })).toBeUndefined();
  });

  test("settings the documents do not reproduce decide nothing", () => {
    const snapshot = snapshotOf(
      compilePolicy({ session: { rules: [{ tool: "Read", behavior: "allow" }] } }),
    );
    expect(compileSnapshot(snapshot)).toBeDefined();
    expect(
      compileSnapshot({ ...snapshot, settings: { ...snapshot.settings, mode: "plan" } }),
    ).toBeUndefined();
    const { settings: _, ...withoutSettings } = snapshot;
    expect(compileSnapshot(withoutSettings as PolicySnapshot)).toBeUndefined();
  });
});
