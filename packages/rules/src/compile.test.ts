import { describe, expect, test } from "vitest";
import { PATH_PROBES } from "./breadth-paths.ts";
import { compilePolicy, DEFAULT_PROTECTED } from "./compile.ts";
import { PolicyError } from "./errors.ts";
import { evaluate } from "./evaluate.ts";
import { parsePolicyText } from "./load.ts";
import { compilePathGlob } from "./match.ts";
import { normalizePath } from "./path.ts";

function errorOf(run: () => unknown): PolicyError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error("expected a PolicyError");
}

describe("load errors name the file, the rule and the column", () => {
  test("a pattern that does not parse", () => {
    const text =
      'default_behavior: ask\nrules:\n  - tool: read_file\n    behavior: allow\n  - tool: "Bash(npm *"\n    behavior: allow\n';
    const error = errorOf(() =>
      compilePolicy({ project: parsePolicyText(text, { file: "p.yaml" }) }),
    );
    expect(error.code).toBe("invalid_pattern");
    expect(error.location).toMatchObject({ file: "p.yaml", rule: 1, line: 5, tier: "project" });
    expect(error.location.column).toBe(12 + 10);
    expect(error.message).toMatch(/^p\.yaml:5:22, rule 1, column 11: expected '\)'/);
  });

  test("an invalid regex", () => {
    const error = errorOf(() =>
      compilePolicy({
        project: { rules: [{ tool: 'Bash(command =~ "(oops")', behavior: "deny" }] },
      }),
    );
    expect(error.code).toBe("invalid_regex");
    expect(error.location.rule).toBe(0);
  });

  test("an unknown operator", () => {
    const error = errorOf(() =>
      compilePolicy({ project: { rules: [{ tool: 'Edit(file_path ~= "x")', behavior: "deny" }] } }),
    );
    expect(error.code).toBe("unknown_operator");
    expect(error.location.patternColumn).toBe(16);
  });

  test("a schema violation points at the value", () => {
    const text = '{\n  "rules": [\n    { "tool": "Bash", "behavior": "maybe" }\n  ]\n}\n';
    const error = errorOf(() => parsePolicyText(text, { file: "p.json" }));
    expect(error.code).toBe("invalid_document");
    expect(error.location).toMatchObject({
      file: "p.json",
      line: 3,
      rule: 0,
      path: "rules.0.behavior",
    });
  });

  test("unknown keys are rejected, not ignored", () => {
    const error = errorOf(() =>
      compilePolicy({ project: { rules: [], defualt_behavior: "allow" } as never }),
    );
    expect(error.code).toBe("invalid_document");
  });

  test("YAML syntax errors have a line", () => {
    const error = errorOf(() => parsePolicyText("rules: [\n  {tool: x", { file: "bad.yaml" }));
    expect(error.code).toBe("invalid_syntax");
    expect(error.location.line).toBeGreaterThan(0);
  });
});

describe("inline examples", () => {
  test("examples that hold load", () => {
    expect(() =>
      compilePolicy({
        project: {
          rules: [
            {
              tool: "Bash(npm *)",
              behavior: "allow",
              examples: {
                match: ["npm test"],
                not_match: ["npx foo", { input: { command: "npm test && rm -rf /" } }],
              },
            },
          ],
        },
      }),
    ).not.toThrow();
  });

  test("a failing example is a load error", () => {
    const error = errorOf(() =>
      compilePolicy({
        project: {
          rules: [{ tool: "Bash(npm *)", behavior: "allow", examples: { match: ["yarn test"] } }],
        },
      }),
    );
    expect(error.code).toBe("example_failed");
    expect(error.location.rule).toBe(0);
  });
});

describe("modes", () => {
  test("a higher tier can forbid the bypass mode", () => {
    const error = errorOf(() =>
      compilePolicy({
        global: { forbid_modes: ["bypassPermissions"] },
        session: { mode: "bypassPermissions" },
      }),
    );
    expect(error.code).toBe("mode_forbidden");
  });
});

describe("immutability", () => {
  test("a compiled policy is deeply frozen", () => {
    const policy = compilePolicy({ project: { rules: [{ tool: "Bash", behavior: "allow" }] } });
    expect(Object.isFrozen(policy)).toBe(true);
    expect(Object.isFrozen(policy.rules[0])).toBe(true);
    expect(Object.isFrozen(policy.settings.protectedPaths)).toBe(true);
    expect(() => {
      (policy.rules as unknown as unknown[]).push({});
    }).toThrow();
  });

  test("changing the source document afterwards changes nothing", () => {
    const document = { rules: [{ tool: "Bash", behavior: "allow" as const }] };
    const policy = compilePolicy({ project: document });
    document.rules[0]!.behavior = "deny" as never;
    expect(evaluate(policy, { toolName: "Bash", input: { command: "ls" } }).decision).toBe("allow");
  });

  test("equal documents have equal versions; different ones differ", () => {
    const a = compilePolicy({ project: { rules: [{ tool: "X", behavior: "allow" }] } });
    const b = compilePolicy({ project: { rules: [{ tool: "X", behavior: "allow" }] } });
    const c = compilePolicy({ project: { rules: [{ tool: "X", behavior: "deny" }] } });
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
  });
});

describe("capabilities compile to ordinary rules", () => {
  test("they are listed as rules with their origin", () => {
    const policy = compilePolicy({ project: { capabilities: { bash: false, file_write: "out" } } });
    const origins = new Set(policy.rules.map((r) => r.origin));
    expect(origins).toEqual(new Set(["capability"]));
    expect(policy.rules.some((r) => r.pattern.startsWith('Write(file_path ~ "out/**")'))).toBe(
      true,
    );
  });
});

describe("protected by default", () => {
  const context = { cwd: "/repo", home: "/home/dev" };
  const bypass = compilePolicy({ session: { mode: "bypassPermissions" } });
  const at = (probe: string) =>
    probe.startsWith("~/") ? `${context.home}${probe.slice(1)}` : probe;

  // The breadth probes name the files that make a later program run code; the skip mode's floor
  // must cover each of them, written by a file tool or by the shell.
  test.each(PATH_PROBES.filter(([, kind]) => kind === "startup").map(([probe]) => probe))(
    "%s asks in bypassPermissions",
    (probe) => {
      for (const call of [
        { toolName: "Write", input: { file_path: at(probe), content: "x" } },
        { toolName: "Bash", input: { command: `echo x >> ${probe}` } },
        // Programs whose job is placing files count as the shell's writes.
        { toolName: "Bash", input: { command: `cp -f x ${probe}` } },
        { toolName: "Bash", input: { command: `ln -s x ${probe}` } },
        { toolName: "Bash", input: { command: `ln -s ${probe} x` } },
      ]) {
        const decision = evaluate(bypass, call, context);
        expect(decision.decision, call.toolName).toBe("ask");
        expect(decision.reason).toBe("protected_path");
      }
    },
  );

  // One source, tied both ways: an entry that no startup probe needs would go unnoticed if it
  // were dropped, so each entry must be the only one covering some probe.
  test.each(DEFAULT_PROTECTED)("%s is the only entry covering a startup probe", (entry) => {
    const startup = PATH_PROBES.filter(([, kind]) => kind === "startup").map(([probe]) =>
      normalizePath(at(probe), context),
    );
    const others = DEFAULT_PROTECTED.filter((e) => e !== entry).map((e) => compilePathGlob(e));
    const own = compilePathGlob(entry);
    const alone = startup.filter((path) => own(path, true) && !others.some((m) => m(path, true)));
    expect(alone.map((p) => p.lexical)).not.toEqual([]);
  });

  // The shell's reads are not writes; a file tool's Read of a protected path asks in this mode as
  // it always did (touchedPaths does not tell reading from writing).
  test("reading the protected configuration through the shell is not a write", () => {
    for (const probe of ["~/.kube/config", "~/.aws/config", "~/.curlrc", "~/.psqlrc"]) {
      for (const command of [`cat ${probe}`, `grep -n server ${probe}`, `cp ${probe} /tmp/x`]) {
        const call = { toolName: "Bash", input: { command } };
        expect(evaluate(bypass, call, context).decision, command).toBe("allow");
      }
    }
  });

  test("ssh's directory and npm's user config are protected; other home files are not", () => {
    for (const path of ["~/.ssh/authorized_keys", "~/.ssh/config", "~/.npmrc"]) {
      expect(
        evaluate(bypass, { toolName: "Write", input: { file_path: at(path) } }, context).reason,
      ).toBe("protected_path");
    }
    expect(
      evaluate(bypass, { toolName: "Write", input: { file_path: at("~/notes.txt") } }, context)
        .decision,
    ).toBe("allow");
  });
});
