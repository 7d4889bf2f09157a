// Child process of the `client` bench section: measures, prints one JSON line, exits.
import { measureClient } from "./client-bench.ts";

const result = await measureClient({ log: (line) => process.stderr.write(`${line}\n`) });
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
