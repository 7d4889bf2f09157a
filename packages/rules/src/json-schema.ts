import { z } from "zod";
import { PolicyDocumentSchema } from "./schema.ts";

/** The JSON Schema of policy documents, generated from the zod schema, for editors. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PolicyDocumentSchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://warden.dev/schemas/policy.schema.json",
    title: "Warden policy document",
    description:
      "Permission rules for AI agent tool calls: an awaken rules file plus Warden's extensions.",
  };
}
