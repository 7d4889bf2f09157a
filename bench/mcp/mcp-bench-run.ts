// Child process of the `mcp` bench section (see bench/lib/child-run.ts).
import { measureInChild } from "../lib/child-run.ts";
import { measureMcp } from "./mcp-bench.ts";

await measureInChild(measureMcp);
