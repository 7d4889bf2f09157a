// Throwaway actor the probes in this folder use to measure RivetKit 2.3.19 itself (not Warden).
import { actor, event, setup, UserError } from "rivetkit";

export interface ProbeConnParams {
  token?: string;
}

export const counter = actor({
  state: { count: 0 },
  events: {
    countChanged: event<{ count: number; by: string }>(),
  },
  onBeforeConnect: (_c, params: ProbeConnParams | undefined) => {
    if (params?.token !== "letmein") {
      throw new UserError("token rejected", {
        code: "unauthorized",
        metadata: { got: params?.token ?? null },
      });
    }
  },
  createConnState: (_c: unknown, params: ProbeConnParams | undefined) => ({
    caller: `token:${params?.token ?? "none"}`,
  }),
  actions: {
    increment: async (c, amount: number) => {
      c.state.count += amount;
      await c.saveState({ immediate: true });
      c.broadcast("countChanged", {
        count: c.state.count,
        by: c.conn ? c.conn.state.caller : "schedule",
      });
      return c.state.count;
    },
    incrementUnsaved: (c, amount: number) => {
      c.state.count += amount;
      return c.state.count;
    },
    getCount: (c) => c.state.count,
    ping: () => "pong",
    refuse: () => {
      throw new UserError("not allowed here", { code: "denied_by_rule", metadata: { rule: 3 } });
    },
    crash: () => {
      throw new Error("secret internal detail");
    },
    incrementLater: async (c, delayMs: number, amount: number) =>
      c.schedule.after(delayMs, "increment", amount),
  },
});

export const registry = setup({ use: { counter } });

export type ProbeRegistry = typeof registry;
