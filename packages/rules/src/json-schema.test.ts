import { readFileSync } from "node:fs";
import { expect, test } from "vitest";
import { policyJsonSchema } from "./json-schema.ts";

test("the committed policy.schema.json is generated from the zod schema (run `pnpm --filter @warden/rules schema`)", () => {
  const committed = JSON.parse(
    readFileSync(new URL("../policy.schema.json", import.meta.url), "utf8"),
  );
  expect(committed).toEqual(policyJsonSchema());
});

test("the schema describes rules and the extensions", () => {
  const schema = policyJsonSchema() as { properties: Record<string, unknown> };
  expect(Object.keys(schema.properties)).toEqual(
    expect.arrayContaining([
      "default_behavior",
      "rules",
      "precedence",
      "mode",
      "capabilities",
      "budgets",
      "ask",
    ]),
  );
});
