import fc from "fast-check";
import { expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";
import { compileGlob, compileRegex } from "./glob.ts";
import { valueText } from "./match.ts";
import { parsePattern } from "./pattern.ts";

/**
 * awaken's reading of a rule, as its source documents it (crates/awaken-tool-pattern): globs where
 * `*` crosses `/`, matched against the raw value; the primary value is the only key's value, else
 * the whole input as JSON; a condition holds when any resolved value satisfies it.
 */
function awakenMatches(pattern: string, input: Record<string, unknown>): boolean {
  const { args } = parsePattern(pattern);
  if (args.kind === "any") return true;
  const glob = (g: string, v: string) => compileGlob(g, "text")(v);
  if (args.kind === "primary") {
    const keys = Object.keys(input);
    const value = keys.length === 1 ? valueText(input[keys[0]!]) : JSON.stringify(input);
    return glob(args.glob, value);
  }
  return args.conditions.every((condition) => {
    const key = condition.path[0];
    if (condition.path.length !== 1 || key?.kind !== "key" || !Object.hasOwn(input, key.name))
      return false;
    const value = valueText(input[key.name]);
    switch (condition.op) {
      case "~":
        return glob(condition.value, value);
      case "=":
        return value === condition.value;
      case "=~":
        return compileRegex(condition.value)(value);
      default:
        return false;
    }
  });
}

const segment = fc.constantFrom("src", "secrets", "a", ".", "..", "~", ".ssh", "x.pem", "");
const pathValue = fc
  .tuple(fc.constantFrom("", "/", "./", "~/", "/home/u/"), fc.array(segment, { maxLength: 4 }))
  .map(([start, parts]) => start + parts.join("/"));
const globValue = fc
  .tuple(
    fc.constantFrom("", "/", "~/", "**/", "*", "./"),
    fc.array(fc.constantFrom("src", "secrets", "*", "**", ".ssh", "*.pem", "a", "rm *", "*rm*"), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([start, parts]) => start + parts.join("/"));
const tool = fc.constantFrom("Read", "Edit", "Bash", "custom_tool");
const field = fc.constantFrom("file_path", "command", "path", "note");
const rule = fc.oneof(
  fc.tuple(tool, globValue).map(([t, g]) => `${t}(${g})`),
  fc
    .tuple(tool, field, fc.constantFrom("~", "=", "=~"), globValue)
    .map(([t, f, op, g]) => `${t}(${f} ${op} "${op === "=~" ? g.replaceAll("*", ".*") : g}")`),
);
const commandValue = fc.constantFrom(
  "rm -rf /",
  "ls; rm -rf src",
  "echo 'rm -rf /'",
  "git push --force",
  "cat ~/.ssh/id_rsa",
  "FOO=1 rm x",
);
const input = fc.dictionary(field, fc.oneof(pathValue, commandValue), { minKeys: 1, maxKeys: 3 });

test("a deny rule matches every call awaken's reading of it matches (toward safety)", () => {
  fc.assert(
    fc.property(
      rule,
      tool,
      input,
      fc.constantFrom({}, { cwd: "/repo" }, { cwd: "/home/u", home: "/home/u" }),
      (pattern, toolName, callInput, context) => {
        let policy: ReturnType<typeof compilePolicy>;
        try {
          policy = compilePolicy({
            project: { default_behavior: "allow", rules: [{ tool: pattern, behavior: "deny" }] },
          });
        } catch {
          return; // a rule Warden rejects at load never silently allows
        }
        const name = parsePattern(pattern).tool;
        if (name.kind === "exact" && name.name !== toolName) return;
        if (!awakenMatches(pattern, callInput)) return;
        const decision = evaluate(policy, { toolName, input: callInput }, context);
        expect(decision.decision, `${pattern} on ${JSON.stringify(callInput)}`).toBe("deny");
      },
    ),
    { numRuns: 6000 },
  );
});
