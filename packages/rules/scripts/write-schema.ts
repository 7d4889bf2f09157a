import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { policyJsonSchema } from "../src/json-schema.ts";

const target = fileURLToPath(new URL("../policy.schema.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
console.error(`wrote ${target}`);
