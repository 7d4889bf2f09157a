// Usage: node stray-watchdog.mjs <parent pid> <storage prefix>
//
// Outlives a `vitest run` only to stop what it leaves behind. RivetKit orphans the engine it spawns
// on purpose, and a test run killed from outside (turbo ending a failed CI run kills vitest, not
// its children) skips the global teardown that stops it: those engines then held their ports and
// CPU until someone noticed. This process polls the parent's pid; once it is gone it SIGKILLs, in
// every <tmpdir>/<prefix>* dir, the server processes tests recorded there (packages/server's
// `runners/<pid>`, apps/server's `server.pid`) and the engines RivetKit recorded (in the dir itself
// or in its `storage/`), then deletes the dir. Used by both packages' global setups. Plain JavaScript with no imports but Node's: it must start in milliseconds
// and never load RivetKit. The normal teardown (engine-harness.ts `stopStrayEngines`) kills it.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [parentArg, prefix] = process.argv.slice(2);
const parent = Number(parentArg);
if (!Number.isInteger(parent) || parent <= 0 || !prefix) {
  console.error("usage: stray-watchdog.mjs <parent pid> <storage prefix>");
  process.exit(2);
}

/** A live process (a zombie, already dead, still answers kill(pid, 0)). */
function running(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat[stat.lastIndexOf(")") + 2] !== "Z";
  } catch {
    return false;
  }
}

/** SIGKILLs `pid` if its command line still contains `marker` (a recorded pid may be reused). */
function killIf(pid, marker) {
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) return;
    process.kill(pid, "SIGKILL");
  } catch {}
}

function sweep() {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(prefix)) continue;
    const dir = join(tmpdir(), name);
    try {
      for (const pid of readdirSync(join(dir, "runners"))) killIf(Number(pid), "tests/fixtures/");
    } catch {}
    try {
      killIf(Number(readFileSync(join(dir, "server.pid"), "utf8")), "apps/server/src/main.ts");
    } catch {}
    for (const storage of [dir, join(dir, "storage")]) {
      try {
        const stamp = join(storage, ".rivetkit/var/engine/runtime.json");
        killIf(JSON.parse(readFileSync(stamp, "utf8")).pid, "rivet-engine");
      } catch {}
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const timer = setInterval(() => {
  if (running(parent)) return;
  clearInterval(timer);
  sweep();
}, 500);
