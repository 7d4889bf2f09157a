export { GATEWAY_BIN } from "./bin-path.ts";
export { type GatewayIo, runGateway } from "./cli.ts";
export { type Gate, type GateAsk, type GateDecision, wardenGate } from "./gate.ts";
export { type HttpGateway, startHttpGateway } from "./http.ts";
export { normalizeServerName, wardenToolName } from "./names.ts";
export {
  type GatewayOptions,
  type HttpOptions,
  readOptions,
  type StdioOptions,
  USAGE,
  UsageError,
} from "./options.ts";
export { Relay, type RelayOptions } from "./relay.ts";
export { type RefusalReason, refusalResult } from "./results.ts";
export { type StdioGateway, startStdioGateway } from "./stdio.ts";
export { annotateTools } from "./tool-list.ts";
export { type ToolVerdict, toolVerdict } from "./tool-verdicts.ts";
