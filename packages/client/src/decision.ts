// The agent's decision and its reasons are defined once, in the protocol shared with the server.
export type { AgentDecision, AllowReason, DenyReason } from "@warden/server/protocol";
