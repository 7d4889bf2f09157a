import { stopStrayEngines } from "./engine-harness.ts";

export default function setup() {
  process.env.WARDEN_TEST_RUN_ID = `${process.pid}`;
  return stopStrayEngines;
}
