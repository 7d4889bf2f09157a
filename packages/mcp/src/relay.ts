import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import {
  ErrorCode,
  InitializeResultSchema,
  type JSONRPCMessage,
  type JSONRPCRequest,
  ListToolsResultSchema,
  type ProgressToken,
  type RequestId,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { Gate, GateDecision } from "./gate.ts";
import { isError, isNotification, isRequest, isResult, readToolCall } from "./messages.ts";
import { normalizeServerName, toolNameProblem, wardenToolName } from "./names.ts";
import { idProblemMessage, RequestIdLedger } from "./request-ids.ts";
import { type RefusalReason, refusalResult } from "./results.ts";
import { argumentsProblem, argumentsTooLarge } from "./tool-arguments.ts";
import { annotateTools } from "./tool-list.ts";
import { ToolSchemas } from "./tool-schemas.ts";

/** How one client connection is relayed to one upstream MCP server. */
export interface RelayOptions {
  /** The client's side (the gateway acts as the server there). */
  readonly downstream: Transport;
  /** The real MCP server's side (the gateway acts as the client there). */
  readonly upstream: Transport;
  readonly gate: Gate;
  /** The server's name in Warden's tool names (`mcp__<server>__<tool>`); from the upstream's `serverInfo` when unset. */
  readonly serverName?: string | undefined;
  /**
   * The client request an upstream request or notification belongs to (over HTTP, the one whose
   * response stream it came on), so that it reaches the client on that request's stream.
   */
  readonly relatedRequest?: (message: JSONRPCMessage) => RequestId | undefined;
  /** Keep, per request sent to the server, when its answer began (for `sent`: HTTP only). */
  readonly trackSends?: boolean;
  /** Drop the tools the policy denies outright from tools/list. */
  readonly hideDenied?: boolean;
  /** While Warden decides, a progress notification this often (when the client sent a progress token). */
  readonly progressIntervalMs?: number;
  /**
   * The client's request ids are claimed before the transport sees them (HTTP: a reused id must
   * be refused before the SDK's transport maps it to a second stream); else the relay claims them.
   */
  readonly idsClaimedAtEdge?: boolean;
  /** Answer malformed client messages with a JSON-RPC error (stdio; the HTTP transport answers itself). */
  readonly answerMalformed?: boolean;
  /** Diagnostics, for stderr: never a header, a token or a tool's arguments. */
  readonly log: (line: string) => void;
  /** Called once, after the relay shut down because one side closed. */
  readonly onClose?: (side: "client" | "server") => void;
}

/** A tools/call the gateway holds while Warden decides, then relays. */
interface Call {
  readonly id: RequestId;
  /** Cancels the question in Warden; made only for a call that waits for Warden (most do not). */
  controller?: AbortController;
  readonly progressToken: ProgressToken | undefined;
  /** Progress notifications the gateway sent itself; upstream progress is shifted by this. */
  progressSent: number;
  forwarded: boolean;
}

const DEFAULT_PROGRESS_MS = 5_000;

/**
 * Relays MCP messages between a client and a server over the SDK's transports, unchanged except
 * for what Warden decides: every tools/call is held until Warden allows it (then forwarded,
 * with an approver's edited arguments) or refused with an `isError` result; tools/list is
 * annotated (and filtered with `hideDenied`). Everything else (resources, prompts, sampling,
 * elicitation, roots, logging, ping, completions, and methods this code never heard of) passes
 * through in both directions with its own id, so the two ends negotiate with each other.
 */
export class Relay {
  readonly #options: RelayOptions;
  #server: string | undefined;
  // Keyed by the ids themselves: a Map tells the number 1 from the string "1", as JSON-RPC does.
  /** Client requests forwarded upstream and not yet answered, by id: their method. */
  readonly #forwarded = new Map<RequestId, string>();
  readonly #calls = new Map<RequestId, Call>();
  readonly #byProgressToken = new Map<ProgressToken, Call>();
  /** Requests being sent to the server: settled once its HTTP answer's headers are in. */
  readonly #sending = new Map<RequestId, Promise<void>>();
  /** The request ids the client used in this session: none is taken twice (a replayed call). */
  readonly requestIds = new RequestIdLedger();
  /** The upstream tools' input schemas, to check an approver's edited arguments against. */
  readonly #schemas = new ToolSchemas();
  #upstreamClosed = false;
  #closed = false;
  #unwatch: Promise<() => void> | undefined;

  constructor(options: RelayOptions) {
    this.#options = options;
    this.#server = options.serverName ? normalizeServerName(options.serverName) : undefined;
  }

  /** The server's name in Warden's tool names, once known. */
  get serverName(): string | undefined {
    return this.#server;
  }

  /** Wires both sides and starts them, the server's first so that no client message waits on it. */
  async start(): Promise<void> {
    const { downstream, upstream, log } = this.#options;
    downstream.onmessage = (message) => this.#fromClient(message);
    upstream.onmessage = (message) => this.#fromServer(message);
    downstream.onerror = (error) => this.#clientError(error);
    upstream.onerror = (error) =>
      log(
        malformed(error)
          ? `the MCP server sent something that is not MCP: ${describe(error)}`
          : `the connection to the MCP server failed: ${describe(error)}`,
      );
    downstream.onclose = () => void this.close("client");
    upstream.onclose = () => this.#serverClosed();
    await upstream.start();
    await downstream.start();
  }

  /** Sends to the server; a request that cannot be delivered is answered, never left hanging. */
  #toServer(message: JSONRPCMessage): void {
    const sent = this.#options.upstream.send(message);
    if (this.#options.trackSends && isRequest(message)) {
      const key = message.id;
      const settled = sent.then(
        () => undefined,
        () => undefined,
      );
      this.#sending.set(key, settled);
      void settled.then(() => {
        if (this.#sending.get(key) === settled) this.#sending.delete(key);
      });
    }
    sent.catch((error: unknown) => {
      if (this.#closed) return;
      this.#options.log(`could not reach the MCP server: ${describe(error)}`);
      if (!isRequest(message)) return;
      this.#forwarded.delete(message.id);
      const call = this.#calls.get(message.id);
      if (call) this.#refuse(call, "upstream_unreachable", describe(error));
      else
        this.#toClient(
          errorResponse(
            message.id,
            ErrorCode.ConnectionClosed,
            `Could not reach the MCP server: ${describe(error)}`,
          ),
          message.id,
        );
    });
  }

  /**
   * Resolves once the server's answers to these requests have begun (over HTTP: their status is
   * known); at once for requests not sent to the server yet (a call still with Warden).
   */
  async sent(ids: readonly RequestId[]): Promise<void> {
    await Promise.all(ids.map((id) => this.#sending.get(id)));
  }

  #toClient(message: JSONRPCMessage, relatedRequestId?: RequestId): void {
    const options = relatedRequestId !== undefined ? { relatedRequestId } : undefined;
    this.#options.downstream.send(message, options).catch((error: unknown) => {
      if (this.#closed) return;
      // A server's message for a request the client already has its answer to: its stream is
      // gone, so it goes on the connection's own stream (a response never does).
      if (options && !isResult(message) && !isError(message)) {
        this.#toClient(message);
        return;
      }
      this.#options.log(`could not deliver a message to the client: ${describe(error)}`);
    });
  }

  #reply(id: RequestId, result: Record<string, unknown>): void {
    this.#toClient({ jsonrpc: "2.0", id, result }, id);
  }

  #clientError(error: Error): void {
    const { log, answerMalformed } = this.#options;
    if (!malformed(error)) {
      log(`the connection to the client failed: ${describe(error)}`);
      return;
    }
    log(`the client sent something that is not MCP: ${describe(error)}`);
    if (!answerMalformed) return;
    const syntax = error instanceof SyntaxError;
    this.#toClient({
      jsonrpc: "2.0",
      error: {
        code: syntax ? ErrorCode.ParseError : ErrorCode.InvalidRequest,
        message: `${syntax ? "Parse error" : "Invalid request"}: ${describe(error)}`,
      },
    } as JSONRPCMessage);
  }

  #fromClient(message: JSONRPCMessage): void {
    if (this.#closed) return;
    if (isRequest(message)) {
      const reused = this.#options.idsClaimedAtEdge
        ? undefined
        : this.requestIds.claim([message.id]);
      if (reused) {
        this.#options.log("the client reused a request id; refused, nothing forwarded");
        this.#toClient(
          errorResponse(message.id, ErrorCode.InvalidRequest, idProblemMessage(reused)),
        );
        return;
      }
      if (message.method === "tools/call") {
        // Whatever goes wrong deciding a call refuses that call: an unhandled rejection would end
        // the gateway, and every client's session with it.
        this.#onToolCall(message).catch((error: unknown) => {
          if (this.#closed) return;
          const call = this.#calls.get(message.id);
          if (call && !call.forwarded) this.#refuse(call, "warden_unavailable", describe(error));
          else if (!call)
            this.#reply(message.id, refusalResult("warden_unavailable", describe(error)));
        });
        return;
      }
      if (this.#upstreamClosed) {
        this.#toClient(closedError(message.id), message.id);
        return;
      }
      this.#forwarded.set(message.id, message.method);
    } else if (isNotification(message) && message.method === "notifications/cancelled") {
      const requestId = (message.params as { requestId?: RequestId } | undefined)?.requestId;
      const call = requestId !== undefined ? this.#calls.get(requestId) : undefined;
      if (call && !call.forwarded) {
        // The server never saw this call: cancel the question in Warden, forward nothing.
        call.controller?.abort();
        this.#forget(call);
        return;
      }
    }
    this.#toServer(message);
  }

  async #onToolCall(request: JSONRPCRequest): Promise<void> {
    const parsed = readToolCall(request);
    if (!parsed) {
      this.#toClient(
        errorResponse(
          request.id,
          ErrorCode.InvalidParams,
          "Invalid tools/call: expected params.name",
        ),
        request.id,
      );
      return;
    }
    const { name, input } = parsed;
    const call: Call = {
      id: request.id,
      progressToken: parsed.progressToken,
      progressSent: 0,
      forwarded: false,
    };
    this.#calls.set(call.id, call);
    if (call.progressToken !== undefined) this.#byProgressToken.set(call.progressToken, call);
    const server = this.#server;
    if (server === undefined) {
      this.#refuse(call, "rule", "the MCP server's name is not known yet (no initialize answered)");
      return;
    }
    const nameProblem = toolNameProblem(name);
    if (nameProblem) {
      this.#refuse(call, "invalid_tool_name", nameProblem);
      return;
    }
    const problem = argumentsProblem(input);
    if (problem) {
      this.#refuse(call, "invalid_arguments", problem);
      return;
    }
    const toolName = wardenToolName(server, name);
    const action = `Call ${name} on the ${server} MCP server`;
    // Settled by the rules: relayed in this same tick, as a bare relay would.
    const now = this.#options.gate.decideNow({ toolName, input, action });
    if (now) {
      this.#settleToolCall(call, request, parsed, now);
      return;
    }
    // Going to the Warden server: a round trip anyway, so the exact size check costs nothing here
    // (the fast path checked the size of what it decided for the audit log).
    const tooLarge = argumentsTooLarge(input);
    if (tooLarge) {
      this.#refuse(call, "invalid_arguments", tooLarge);
      return;
    }
    const controller = new AbortController();
    call.controller = controller;
    const waiting = this.#progressWhileWaiting(call, toolName);
    const decision = await this.#options.gate
      .decide({ toolName, input, action, signal: controller.signal })
      .finally(() => clearInterval(waiting));
    if (controller.signal.aborted || this.#closed) {
      this.#forget(call);
      return;
    }
    this.#settleToolCall(call, request, parsed, decision);
  }

  /**
   * Forwards an allowed call or answers a refused one. Unedited arguments (the fast path's are the
   * client's own object; Warden's answer carries a copy) go as the client's own message; edited
   * ones only when they fit the tool's input schema.
   */
  #settleToolCall(
    call: Call,
    request: JSONRPCRequest,
    asked: { readonly name: string; readonly input: Record<string, unknown> },
    decision: GateDecision,
  ): void {
    if (decision.behavior === "deny") {
      this.#refuse(call, decision.reason, decision.message);
      return;
    }
    const edited = decision.input !== asked.input && !sameJson(decision.input, asked.input);
    const editProblem = edited ? this.#schemas.editProblem(asked.name, decision.input) : undefined;
    if (editProblem) {
      this.#refuse(call, "invalid_edit", editProblem);
      return;
    }
    if (this.#upstreamClosed) {
      this.#refuse(call, "upstream_closed", "");
      return;
    }
    call.forwarded = true;
    this.#forwarded.set(call.id, "tools/call");
    this.#toServer(
      edited ? { ...request, params: { ...request.params, arguments: decision.input } } : request,
    );
  }

  #progressWhileWaiting(call: Call, toolName: string): NodeJS.Timeout | undefined {
    const token = call.progressToken;
    if (token === undefined) return undefined;
    return setInterval(() => {
      call.progressSent += 1;
      this.#toClient(
        {
          jsonrpc: "2.0",
          method: "notifications/progress",
          params: {
            progressToken: token,
            progress: call.progressSent,
            message: `Waiting for Warden to decide ${toolName}`,
          },
        },
        call.id,
      );
    }, this.#options.progressIntervalMs ?? DEFAULT_PROGRESS_MS);
  }

  #refuse(call: Call, reason: RefusalReason, message: string): void {
    this.#forget(call);
    this.#reply(call.id, refusalResult(reason, message));
  }

  #forget(call: Call): void {
    this.#calls.delete(call.id);
    if (call.progressToken !== undefined) this.#byProgressToken.delete(call.progressToken);
  }

  #fromServer(message: JSONRPCMessage): void {
    if (this.#closed) return;
    if (isResult(message) || isError(message)) {
      const id = message.id;
      if (id === undefined) {
        this.#toClient(message);
        return;
      }
      const method = this.#forwarded.get(id);
      if (method === undefined) {
        // Not an answer to anything the server was sent: a call still with Warden (the server
        // would be deciding for the human), one already answered, or a made-up id.
        this.#options.log("the MCP server answered a request it was never sent; dropped");
        return;
      }
      this.#forwarded.delete(id);
      const call = this.#calls.get(id);
      if (call) this.#forget(call);
      if (method === "initialize" && isResult(message)) {
        this.#initialized(message);
      } else if (method === "tools/list" && isResult(message)) {
        this.#schemas.learn(message.result);
        void this.#annotated(message.result).then((result) => this.#reply(id, result));
      } else {
        this.#toClient(message, id);
      }
      return;
    }
    if (isNotification(message) && message.method === "notifications/tools/list_changed")
      this.#schemas.forget();
    const related = this.#options.relatedRequest?.(message);
    if (isNotification(message) && message.method === "notifications/progress") {
      const params = message.params as {
        progressToken: ProgressToken;
        progress: number;
        total?: number;
      };
      const call = this.#byProgressToken.get(params.progressToken);
      if (call) {
        const shift = call.progressSent;
        const shifted = shift
          ? {
              ...params,
              progress: params.progress + shift,
              ...(params.total !== undefined ? { total: params.total + shift } : {}),
            }
          : params;
        this.#toClient({ ...message, params: shifted }, call.id);
        return;
      }
    }
    this.#toClient(message, related);
  }

  #initialized(message: JSONRPCMessage & { id: RequestId; result: Record<string, unknown> }): void {
    const parsed = InitializeResultSchema.safeParse(message.result);
    let result = message.result;
    if (parsed.success) {
      if (this.#server === undefined) {
        this.#server = normalizeServerName(parsed.data.serverInfo.name);
        // The server chose this name, and with it which rules apply to its tools.
        this.#options.log(
          `tools are mcp__${this.#server}__<tool>, a name the server gave itself; set --server to fix it`,
        );
      }
      this.#options.upstream.setProtocolVersion?.(parsed.data.protocolVersion);
      const capabilities = message.result.capabilities as Record<string, unknown> | undefined;
      const tools = capabilities?.tools as Record<string, unknown> | undefined;
      // The annotations follow Warden's policy: tell the client to list again when it changes.
      if (tools)
        result = {
          ...result,
          capabilities: { ...capabilities, tools: { ...tools, listChanged: true } },
        };
    } else {
      this.#options.log("the MCP server's initialize result is not valid MCP; relayed as it is");
    }
    this.#reply(message.id, result);
  }

  async #annotated(result: Record<string, unknown>): Promise<Record<string, unknown>> {
    const server = this.#server;
    if (!ListToolsResultSchema.safeParse(result).success || server === undefined) return result;
    this.#watchPolicy();
    const verdictOf = await this.#options.gate.verdicts();
    if (!verdictOf) {
      // Listing is cosmetic: calls are still decided one by one. Fail open here, never there.
      this.#options.log("could not read the policy from Warden; tools listed without annotations");
      return result;
    }
    const tools = annotateTools(
      result.tools as Tool[],
      // A tool the gateway refuses is listed as denied, whatever the rules say of its name.
      (tool) => (toolNameProblem(tool) ? "deny" : verdictOf(wardenToolName(server, tool))),
      { hideDenied: this.#options.hideDenied ?? false },
    );
    return { ...result, tools };
  }

  #watchPolicy(): void {
    this.#unwatch ??= this.#options.gate
      .watchPolicy(() =>
        this.#toClient({ jsonrpc: "2.0", method: "notifications/tools/list_changed" }),
      )
      .catch((error: unknown) => {
        this.#options.log(`could not watch the policy for changes: ${describe(error)}`);
        return () => undefined;
      });
  }

  /**
   * The server's answer to these requests can no longer come (its HTTP stream broke): answer
   * each one still unanswered with a clear error instead of leaving the client waiting.
   */
  abandon(ids: readonly RequestId[], why: string): void {
    if (this.#closed) return;
    for (const id of ids) {
      const method = this.#forwarded.get(id);
      if (method === undefined) continue;
      this.#forwarded.delete(id);
      this.#options.log(`the MCP server's answer to a ${method} request was lost: ${why}`);
      const call = this.#calls.get(id);
      if (call) this.#refuse(call, "upstream_closed", why);
      else this.#toClient(closedError(id), id);
    }
  }

  #serverClosed(): void {
    if (this.#upstreamClosed) return;
    this.#upstreamClosed = true;
    if (this.#closed) return;
    this.#options.log("the MCP server closed the connection (it exited or crashed)");
    for (const [id, method] of this.#forwarded) {
      if (method !== "tools/call") this.#toClient(closedError(id), id);
    }
    this.#forwarded.clear();
    // Every call, forwarded or still with Warden, gets a clear answer; none waits for a human.
    for (const call of [...this.#calls.values()]) {
      call.controller?.abort();
      this.#refuse(call, "upstream_closed", "it exited or crashed");
    }
    void this.close("server");
  }

  /** Shuts both sides down; calls still with Warden are cancelled there. */
  async close(side: "client" | "server" = "client"): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of this.#calls.values()) call.controller?.abort();
    this.#calls.clear();
    this.#byProgressToken.clear();
    const unwatch = await this.#unwatch;
    unwatch?.();
    await Promise.allSettled([this.#options.upstream.close(), this.#options.downstream.close()]);
    this.#options.onClose?.(side);
  }
}

function errorResponse(id: RequestId, code: number, message: string): JSONRPCMessage {
  return { jsonrpc: "2.0", id, error: { code, message } };
}

function closedError(id: RequestId): JSONRPCMessage {
  return errorResponse(
    id,
    ErrorCode.ConnectionClosed,
    "The MCP server closed the connection (it exited or crashed) before answering",
  );
}

/**
 * Whether two JSON values are the same (object keys in any order): Warden's answer carries a copy
 * of the arguments, which is not an edit when nothing in it changed.
 */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bRecord = b as Record<string, unknown>;
  if (aKeys.length !== Object.keys(b).length) return false;
  return aKeys.every(
    (key) =>
      Object.hasOwn(bRecord, key) && sameJson((a as Record<string, unknown>)[key], bRecord[key]),
  );
}

/** A message that could not be read: not JSON, or not JSON-RPC (the transports' two errors). */
const malformed = (error: Error) => error instanceof SyntaxError || error.name === "ZodError";

function describe(error: unknown): string {
  const status = (error as { code?: unknown } | undefined)?.code;
  // The SDK's StreamableHTTPError quotes the server's answer; a refusal of credentials says only that.
  if (status === 401 || status === 403)
    return `the MCP server refused the credentials or asked for them (HTTP ${status})`;
  if (error instanceof Error) {
    if (error.name === "ZodError") return "not a JSON-RPC 2.0 message";
    return error.message.split("\n")[0] ?? error.name;
  }
  return String(error);
}
