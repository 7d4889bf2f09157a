// Creates sessions one after another and times each first call (docs/rivetkit-findings.md).
import { startWarden } from "../../packages/server/tests/warden-harness.ts";

const warden = await startWarden({});
const t0 = Date.now();
for (let i = 0; i < 40; i++) {
  const t = Date.now();
  try {
    await warden.session("approver", `many-${i}`).listPending();
    console.log(i, "ok", Date.now() - t, "ms");
  } catch (e) {
    console.log(i, "ERR", (e as Error).message, Date.now() - t, "ms");
  }
}
console.log("total", Date.now() - t0);
await warden.stop();
process.exit(0);
