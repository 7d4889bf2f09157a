// Child process of the `client` bench section (see bench/lib/child-run.ts).
import { measureInChild } from "../lib/child-run.ts";
import { measureClient } from "./client-bench.ts";

await measureInChild(measureClient);
