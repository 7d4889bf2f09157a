import { describe, expect, test } from "vitest";
import { ToolSchemas } from "./tool-schemas.ts";

const note = {
  type: "object",
  properties: { path: { type: "string" } },
  required: ["path"],
  additionalProperties: false,
};

function learnt(tools: { name: string; inputSchema: Record<string, unknown> }[]): ToolSchemas {
  const schemas = new ToolSchemas();
  schemas.learn({ tools });
  return schemas;
}

describe("ToolSchemas", () => {
  test("an edit that fits the tool's schema passes; one that does not says why", () => {
    const schemas = learnt([{ name: "note", inputSchema: note }]);
    expect(schemas.editProblem("note", { path: "a" })).toBeUndefined();
    expect(schemas.editProblem("note", { path: 1 })).toContain("must be string");
    expect(schemas.editProblem("note", {})).toContain("required property 'path'");
    expect(schemas.editProblem("note", { path: "a", x: 1 })).toContain("additional properties");
  });

  test("a tool never listed, or listed before the tools changed, has no schema: refused", () => {
    const schemas = learnt([{ name: "note", inputSchema: note }]);
    expect(schemas.editProblem("other", { path: "a" })).toContain("no input schema");
    schemas.forget();
    expect(schemas.editProblem("note", { path: "a" })).toContain("no input schema");
  });

  test("a schema that cannot compile refuses every edit of its tool, and only of its tool", () => {
    const broken = {
      type: "object",
      properties: { path: { $ref: "#/definitions/missing" } },
    };
    const schemas = learnt([
      { name: "broken", inputSchema: broken },
      { name: "note", inputSchema: note },
    ]);
    expect(schemas.editProblem("broken", { path: "a" })).toContain("cannot be compiled");
    expect(schemas.editProblem("note", { path: "a" })).toBeUndefined();
  });

  test("two tools whose schemas share an $id: the second is not checked against the first's", () => {
    const schemas = learnt([
      { name: "first", inputSchema: { ...note, $id: "https://example.com/same.json" } },
      { name: "second", inputSchema: { type: "object", $id: "https://example.com/same.json" } },
    ]);
    expect(schemas.editProblem("first", { path: "a" })).toBeUndefined();
    expect(schemas.editProblem("second", { anything: 1 })).toContain("another tool's too");
  });

  test("a later list replaces a tool's schema; a result that is not a tool list teaches nothing", () => {
    const schemas = learnt([
      { name: "note", inputSchema: { ...note, $id: "https://example.com/note.json" } },
    ]);
    schemas.learn({
      tools: [
        { name: "note", inputSchema: { type: "object", $id: "https://example.com/note.json" } },
      ],
    });
    expect(schemas.editProblem("note", { other: 1 })).toBeUndefined();
    schemas.learn({ tools: "not a list" });
    expect(schemas.editProblem("note", { other: 1 })).toBeUndefined();
  });
});
