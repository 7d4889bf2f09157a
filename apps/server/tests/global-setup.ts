import { removeStrayWorkspaces } from "./server-process.ts";

export default function setup() {
  process.env.WARDEN_APP_TEST_RUN = `${process.pid}`;
  return removeStrayWorkspaces;
}
