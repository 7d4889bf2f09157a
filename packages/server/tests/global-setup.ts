import { stopStrayEngines, watchForStrays } from "./engine-harness.ts";

export default function setup() {
  process.env.WARDEN_TEST_RUN_ID = `${process.pid}`;
  // A run killed from outside never reaches the teardown below: the watchdog stops its engines.
  const watchdog = watchForStrays(process.pid);
  return async () => {
    await stopStrayEngines();
    watchdog.kill();
  };
}
