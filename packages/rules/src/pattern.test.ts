import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { PolicyError } from "./errors.ts";
import { type Pattern, parsePattern, printFieldPath, printPattern } from "./pattern.ts";

const strip = (pattern: Pattern): unknown =>
  JSON.parse(JSON.stringify(pattern, (key, value) => (key === "column" ? undefined : value)));

describe("parsePattern", () => {
  test.each([
    ["read_file", { tool: { kind: "exact", name: "read_file" }, args: { kind: "any" } }],
    ["file_*", { tool: { kind: "glob", glob: "file_*" }, args: { kind: "any" } }],
    ["Bash(*)", { tool: { kind: "exact", name: "Bash" }, args: { kind: "any" } }],
    [
      "Bash(npm *)",
      { tool: { kind: "exact", name: "Bash" }, args: { kind: "primary", glob: "npm *" } },
    ],
    [
      "/mcp__(gh|gl)__.*/",
      { tool: { kind: "regex", source: "mcp__(gh|gl)__.*" }, args: { kind: "any" } },
    ],
  ])("parses %s", (text, expected) => {
    expect(strip(parsePattern(text))).toEqual(expected);
  });

  test("parses named-field conditions with nested paths and every operator", () => {
    const pattern = parsePattern(
      'T(a.b[0].c ~ "x", d[*] = "y", *.e =~ "z", f !~ "1", g != "2", h !=~ "3")',
    );
    expect(pattern.args.kind).toBe("fields");
    if (pattern.args.kind !== "fields") return;
    expect(pattern.args.conditions.map((c) => c.op)).toEqual(["~", "=", "=~", "!~", "!=", "!=~"]);
    expect(pattern.args.conditions[0]!.path).toEqual([
      { kind: "key", name: "a" },
      { kind: "key", name: "b" },
      { kind: "index", index: 0 },
      { kind: "key", name: "c" },
    ]);
    expect(pattern.args.conditions[2]!.path[0]).toEqual({ kind: "any_key" });
  });

  test("keeps escaped quotes in values", () => {
    const pattern = parsePattern('T(a = "say \\"hi\\"")');
    expect(pattern.args.kind === "fields" && pattern.args.conditions[0]!.value).toBe('say "hi"');
  });

  test.each([
    ["", 1],
    ["Bash(npm *", 11],
    ['Edit(file_path ~ "src/**)', 18],
    ['Bash(command ?? "x")', 14],
    ["Bash()", 6],
    ["Bash(npm) trailing", 11],
    ["/unterminated", 1],
  ])("rejects %j with a column", (text, column) => {
    const codes = ["invalid_pattern", "unknown_operator"];
    let error: unknown;
    try {
      parsePattern(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect(codes).toContain((error as PolicyError).code);
    expect((error as PolicyError).location.patternColumn).toBe(column);
  });
});

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/);
const key = fc.stringMatching(/^[a-z_][a-z0-9_-]{0,6}$/);
const segment = fc.oneof(
  key.map((n) => ({ kind: "key" as const, name: n })),
  fc.nat(9).map((index) => ({ kind: "index" as const, index })),
  fc.constant({ kind: "any_index" as const }),
);
const fieldPath = fc
  .tuple(key, fc.array(segment, { maxLength: 3 }))
  .map(([head, rest]) => [{ kind: "key" as const, name: head }, ...rest]);
const condition = fc.record({
  path: fieldPath,
  op: fc.constantFrom("~", "=", "=~", "!~", "!=", "!=~") as fc.Arbitrary<"~">,
  value: fc.string({ maxLength: 12 }),
  column: fc.constant(0),
});
const patternArb: fc.Arbitrary<Pattern> = fc.record({
  tool: fc.oneof(
    name.map((n) => ({ kind: "exact" as const, name: n })),
    name.map((n) => ({ kind: "glob" as const, glob: `${n}*` })),
  ),
  args: fc.oneof(
    fc.constant({ kind: "any" as const }),
    fc
      .stringMatching(/^[a-z0-9 ./*-]{1,12}$/)
      .filter(
        (g) =>
          g.trim() !== "" && g.trim() !== "*" && g === g.trim() && !/^[a-z0-9_-]+\s*[=~]/.test(g),
      )
      .map((glob) => ({ kind: "primary" as const, glob, column: 0 })),
    fc
      .array(condition, { minLength: 1, maxLength: 3 })
      .map((conditions) => ({ kind: "fields" as const, conditions })),
  ),
});

test("parse(print(pattern)) == pattern", () => {
  fc.assert(
    fc.property(patternArb, (pattern) => {
      expect(strip(parsePattern(printPattern(pattern)))).toEqual(strip(pattern));
    }),
    { numRuns: 500 },
  );
});

describe("an argument list that reads as a condition is a condition or an error, never a glob", () => {
  const errorOf = (text: string): PolicyError => {
    try {
      parsePattern(text);
    } catch (error) {
      if (error instanceof PolicyError) return error;
      throw error;
    }
    throw new Error(`${text} parsed`);
  };

  test.each([
    [`Bash(command ~ 'rm *')`, 16, 'use double quotes: command ~ "rm *"'],
    [`Bash(command~'rm *')`, 14, 'command ~ "rm *"'],
    [`T(f = noquote)`, 7, 'f = "noquote"'],
    [`T(f=noquote)`, 5, 'f = "noquote"'],
    [`T(f ~noquote)`, 6, 'f ~ "noquote"'],
    [`Bash(command =~ (?i)rm)`, 17, 'command =~ "(?i)rm"'],
    [`Bash(command !~ rm)`, 17, 'command !~ "rm"'],
    [`Bash(items[x] = "1")`, 12, "inside '[ ]'"],
    [`Bash(items[] = "1")`, 12, "inside '[ ]'"],
    [`Bash(= "git status")`, 6, "needs a field before '='"],
    [`Bash(~ "x")`, 6, "needs a field before '~'"],
    [`Bash(!=~ "x")`, 6, "needs a field before '!=~'"],
    [`Bash(a/b = "x")`, 7, "'/' cannot appear in a field path"],
    [`Bash(a..b = "x")`, 8, "expected a field name"],
    [
      `Bash(FOO=bar npm test)`,
      10,
      "FOO = \"bar npm test\" (or, for a glob with a literal '=', escape it: \\=)",
    ],
    [`T(a ~ "x", b = 'y')`, 16, 'b = "y"'],
    [`T(a = )`, 7, "expected a value in double quotes after '='"],
  ])("%s is an error at column %i", (text, column, message) => {
    const error = errorOf(text);
    expect(error.location.patternColumn).toBe(column);
    expect(error.message).toContain(message);
  });

  test.each([
    [`Bash(command ?? "x")`, "unknown_operator"],
    [`Bash(command == "x")`, "unknown_operator"],
  ])("%s is an unknown operator", (text, code) => {
    expect(errorOf(text).code).toBe(code);
  });

  test.each([
    [`T(file-path ~ "x")`, "file-path"],
    [`T(* ~ "x")`, "*"],
    [`T(a.b[0].c~"x")`, "a.b[0].c"],
    [`T( command   !=~   "x" )`, "command"],
  ])("%s is a condition on %s", (text, field) => {
    const { args } = parsePattern(text);
    expect(args.kind).toBe("fields");
    if (args.kind === "fields") expect(printFieldPath(args.conditions[0]!.path)).toBe(field);
  });

  test.each([
    'Bash(git commit -m "a = b")',
    "Bash(npm --registry=https://x install)",
    "Read(~/.ssh/**)",
    "Read(~)",
    "Bash(ls ~)",
    "Bash(cat ~/notes.txt)",
    "Bash(FOO\\=bar npm test)",
    "Bash(echo hi!)",
    "Bash(git log --format=%H)",
    "WebFetch(https://api.github.com/search?q=*)",
    "Read(src/a=b.txt)",
  ])("%s stays a primary glob", (text) => {
    expect(parsePattern(text).args.kind).toBe("primary");
  });

  const fieldish = fc.stringMatching(/^[a-z_*][a-z0-9_.[\]*/-]{0,8}$/);
  const op = fc.constantFrom("~", "=", "=~", "!~", "!=", "!=~");
  const space = fc.constantFrom("", " ", "  ", "\t");
  const value = fc.oneof(
    fc.stringMatching(/^[a-z *./]{1,8}$/).map((v) => `'${v}'`),
    fc.stringMatching(/^[a-z*./]{1,8}$/),
    fc.stringMatching(/^[a-z *./]{0,8}$/).map((v) => `"${v}"`),
  );
  test("any `field OP value` list, however quoted or spaced, parses as conditions or fails", () => {
    fc.assert(
      fc.property(fieldish, space, op, space, value, (field, s1, o, s2, v) => {
        const text = `T(${field}${s1}${o}${s2}${v})`;
        let kind: string;
        try {
          kind = parsePattern(text).args.kind;
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyError);
          return;
        }
        // `~` glued to a value that starts with `/` is a home path: `ls ~/x`.
        if (o === "~" && s2 === "" && v.startsWith("/")) return;
        // A first word that cannot be a field path (`a/b`) needs a quoted value to read as one.
        if (field.includes("/") && !/^["']/.test(v)) return;
        expect(kind).toBe("fields");
      }),
      { numRuns: 3000 },
    );
  });
});
