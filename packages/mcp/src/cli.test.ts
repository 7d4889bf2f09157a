import { expect, test } from "vitest";
import { tokenOnCommandLine } from "./cli.ts";

test("a token given as a flag is noticed (ps shows it to every user), one after -- is the server's", () => {
  expect(tokenOnCommandLine(["-p", "x", "--token", "t", "--", "srv"])).toBe(true);
  expect(tokenOnCommandLine(["--token=t", "--listen", "1", "--upstream", "http://u"])).toBe(true);
  expect(tokenOnCommandLine(["-p", "x", "--", "srv", "--token", "t"])).toBe(false);
  expect(tokenOnCommandLine(["-p", "x", "--", "srv"])).toBe(false);
});
