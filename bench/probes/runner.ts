// Hosts the probe registry in its own process (started by runner-process.ts for crash.ts and schedule-restart.ts).
import { registry } from "./probe-actor.ts";

registry.config.noWelcome = true;
await registry.startAndWait();
console.log("READY");
