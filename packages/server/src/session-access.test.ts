// The project-rules read of a session: one read at a time, and never an older answer over a newer.
// The project link is Warden's own seam (registry.ts gives the real one); the holder is the part
// of an actor context these functions touch: state, vars and the actor's client.
import { describe, expect, test } from "vitest";
import { ensureProjectRules, forgetProjectRules } from "./session-access.ts";
import type { ProjectLink, SessionContext } from "./session-effects.ts";
import { initialState } from "./session-state.ts";
import type { SessionRule } from "./types.ts";

const rule = (tool: string): SessionRule => ({
  id: `r-${tool}`,
  tool,
  behavior: "allow",
  addedBy: "root",
  addedAt: 0,
  source: "project",
});

/** A project whose answers the test releases one by one, in any order. */
function controlledProject() {
  const reads: { resolve(rules: SessionRule[]): void; reject(error: Error): void }[] = [];
  const link: ProjectLink = {
    loadRules: () =>
      new Promise<SessionRule[]>((resolve, reject) => reads.push({ resolve, reject })),
    addRules: async () => {},
    noteInbox: async () => {},
  };
  return { link, reads };
}

function holder() {
  const c = {
    state: initialState("p1", "s1", 0),
    vars: { rulesRead: undefined, saved: undefined, live: undefined },
    client: () => undefined,
  };
  return c as unknown as SessionContext;
}

describe("ensureProjectRules", () => {
  test("concurrent callers share one read", async () => {
    const { link, reads } = controlledProject();
    const c = holder();
    const both = Promise.all([ensureProjectRules(c, link), ensureProjectRules(c, link)]);
    expect(reads).toHaveLength(1);
    reads[0]!.resolve([rule("Bash(make)")]);
    await both;
    expect(c.state.projectRulesLoaded).toBe(true);
    expect(c.state.projectRules.map((r) => r.tool)).toEqual(["Bash(make)"]);
    await ensureProjectRules(c, link);
    expect(reads).toHaveLength(1);
  });

  test("a read started before the rules changed never lands after the newer read", async () => {
    for (const order of ["old first", "new first"] as const) {
      const { link, reads } = controlledProject();
      const c = holder();
      const early = ensureProjectRules(c, link);
      // The project's rules change while the early read is on its way.
      forgetProjectRules(c);
      const reload = ensureProjectRules(c, link);
      expect(reads).toHaveLength(2);
      if (order === "old first") {
        reads[0]!.resolve([rule("Bash(old)")]);
        reads[1]!.resolve([rule("Bash(new)")]);
      } else {
        reads[1]!.resolve([rule("Bash(new)")]);
        reads[0]!.resolve([rule("Bash(old)")]);
      }
      await Promise.all([early, reload]);
      expect(
        c.state.projectRules.map((r) => r.tool),
        order,
      ).toEqual(["Bash(new)"]);
      expect(c.state.projectRulesLoaded).toBe(true);
    }
  });

  test("a failed read fails its callers and leaves the rules unread: the next call reads again", async () => {
    const { link, reads } = controlledProject();
    const c = holder();
    const first = ensureProjectRules(c, link);
    reads[0]!.reject(new Error("project unreachable"));
    await expect(first).rejects.toThrow("project unreachable");
    expect(c.state.projectRulesLoaded).toBe(false);
    const second = ensureProjectRules(c, link);
    expect(reads).toHaveLength(2);
    reads[1]!.resolve([]);
    await second;
    expect(c.state.projectRulesLoaded).toBe(true);
  });
});
