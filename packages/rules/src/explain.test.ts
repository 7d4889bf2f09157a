import { expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { explain, formatExplanation, UNKNOWN_HOME_NOTE } from "./explain.ts";

const policy = compilePolicy({
  project: {
    default_behavior: "allow",
    rules: [
      { tool: 'Read(file_path ~ "~/.ssh/**")', behavior: "deny" },
      { tool: "Bash(npm test)", behavior: "allow" },
    ],
  },
});
const read = { toolName: "Read", input: { file_path: "/root/.ssh/id_rsa" } };

test("explain notes how ~ rules read when the session's home is unknown", () => {
  const explanation = explain(policy, read, { cwd: "/repo" });
  expect(explanation.decision.decision).toBe("deny");
  expect(explanation.notes).toEqual([UNKNOWN_HOME_NOTE]);
  expect(formatExplanation(explanation)).toContain(`note:     ${UNKNOWN_HOME_NOTE}`);
});

test("no note once the home is known, nor for a tool no ~ rule names", () => {
  const known = explain(policy, read, { cwd: "/repo", home: "/home/dev" });
  expect(known.notes).toEqual([]);
  expect(known.decision.decision).toBe("allow");
  expect(explain(policy, { toolName: "Bash", input: { command: "npm test" } }).notes).toEqual([]);
});
