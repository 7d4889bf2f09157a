// Child process of the `mcp` bench section: measures, prints one JSON line, exits.
import { measureMcp } from "./mcp-bench.ts";

const result = await measureMcp({ log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
