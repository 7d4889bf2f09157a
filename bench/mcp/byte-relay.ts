// The floor of a stdio gateway: the same extra process between client and server, forwarding
// bytes with no parsing at all (a pipe in, a pipe out). Only the bench runs it.
import { spawn } from "node:child_process";

const [command, ...args] = process.argv.slice(2);
const child = spawn(command!, args, { stdio: ["pipe", "pipe", "inherit"] });
process.stdin.pipe(child.stdin);
child.stdout.pipe(process.stdout);
child.once("exit", () => process.exit(0));
process.stdin.once("end", () => child.kill());
