// The demo agent: scripted coding agents whose every tool call goes through Warden. No model and
// no API key: the calls are in ./script.ts. Run by `npm start` next to the server and the inbox.
import {
  type AgentDecision,
  createWardenClient,
  describeDecider,
  type WardenClient,
} from "@warden/client";
import { runMcpAgent } from "./mcp-agent.ts";
import { AGENTS, type Agent, PROJECT_DIR, type Step } from "./script.ts";

const endpoint = process.env.WARDEN_ENDPOINT ?? "http://127.0.0.1:6420";
const token = process.env.WARDEN_AGENT_TOKEN ?? "dev-agent-token";
const project = process.env.WARDEN_PROJECT ?? "demo";
const inboxBase = process.env.WARDEN_INBOX_URL ?? "http://127.0.0.1:5173/";
const approverToken = process.env.WARDEN_APPROVER_TOKEN ?? "dev-approver-token";
const pauseMs = Number(process.env.DEMO_PAUSE_MS ?? 1_500);
const rounds = Number(process.env.DEMO_ROUNDS ?? Number.POSITIVE_INFINITY);

const inboxUrl = `${inboxBase}#${new URLSearchParams({ token: approverToken, project })}`;
const color = Boolean(process.stdout.isTTY || process.env.FORCE_COLOR);
const paint = (code: number, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = (t: string) => paint(32, t);
const red = (t: string) => paint(31, t);
const yellow = (t: string) => paint(33, t);
const bold = (t: string) => paint(1, t);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Who or what decided, when the decision itself says so. */
const BY: Record<AgentDecision["reason"], string> = {
  rule: "a rule",
  hook: "the server hook",
  approved: "an approver",
  rejected: "an approver",
  timed_out: "the timeout (nobody answered in time)",
  budget_exceeded: "the session's budget",
  cancelled: "the agent",
};

/** The approver's view of the project, to name the person who answered (the agent is not told). */
let approverClient: WardenClient | undefined;

/** "alice", "demo-approver": the approver who settled a request, from the project's history. */
async function approverOf(sessionId: string, requestId: string): Promise<string | undefined> {
  approverClient ??= createWardenClient({ endpoint, token: approverToken, project });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const page = await approverClient.inbox().history({ sessionId, limit: 20 });
      const entry = page.entries.find((e) => e.requestId === requestId);
      if (entry?.resolution) return describeDecider(entry.resolution);
    } catch {
      return undefined;
    }
    await sleep(300);
  }
  return undefined;
}

function describe(decision: AgentDecision, approver: string | undefined): string {
  const by =
    (decision.reason === "approved" || decision.reason === "rejected") && approver
      ? approver
      : BY[decision.reason];
  if (decision.behavior === "allow") return green(`allowed by ${by}`);
  return red(`denied by ${by}: ${decision.message}`);
}

async function waitForServer(): Promise<void> {
  let told = false;
  for (;;) {
    try {
      const response = await fetch(`${endpoint}/health`);
      if (response.ok) return;
    } catch {}
    if (!told) console.log(`demo: waiting for the Warden server at ${endpoint}…`);
    told = true;
    await sleep(1_000);
  }
}

// Created once the server answers, so that the client does not log failed lookups meanwhile.
let warden: WardenClient | undefined;
/** Session ids are unique per run, so that a new run starts from fresh sessions. */
const runId = Date.now().toString(36).slice(-4);
let requests = 0;

async function runStep(sessionId: string, step: Step): Promise<void> {
  const tag = `[${sessionId}]`;
  console.log(`${tag} ${step.action}`);
  const started = Date.now();
  const waiting = setTimeout(
    () => console.log(yellow(`${tag}   waiting for a human: ${inboxUrl}`)),
    2_500,
  );
  try {
    warden ??= createWardenClient({ endpoint, token, project });
    const requestId = `${sessionId}-${++requests}`;
    const decision = await warden
      .session(sessionId, { cwd: PROJECT_DIR, home: "/home/dev" })
      .requestPermission({
        requestId,
        toolName: step.toolName,
        input: step.input,
        action: step.action,
        ...(step.details ? { details: step.details } : {}),
      });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const person =
      decision.reason === "approved" || decision.reason === "rejected"
        ? await approverOf(sessionId, requestId)
        : undefined;
    console.log(`${tag}   ${describe(decision, person)} ${paint(2, `(${seconds} s)`)}`);
    if (
      decision.behavior === "allow" &&
      JSON.stringify(decision.input) !== JSON.stringify(step.input)
    )
      console.log(`${tag}   runs the edited input: ${JSON.stringify(decision.input)}`);
  } catch (error) {
    console.log(red(`${tag}   failed: ${(error as Error).message}`));
  } finally {
    clearTimeout(waiting);
  }
}

async function runAgent(agent: Agent, round: number): Promise<void> {
  const sessionId = `${agent.name}-${runId}-${round}`;
  for (const step of agent.steps) {
    await runStep(sessionId, step);
    await sleep(pauseMs);
  }
  // Done with this session: close its connection so that its actor can go to sleep.
  await warden?.session(sessionId).dispose();
}

async function main() {
  await waitForServer();
  console.log(bold("\nWarden demo: two scripted agents are working in project demo."));
  console.log(`Rules decide most calls, the server hook rejects downloads piped into a shell,`);
  console.log(`and the rest wait for you. Open the inbox:\n\n  ${bold(inboxUrl)}\n`);
  for (let round = 1; round <= rounds; round++) {
    await Promise.all([
      ...AGENTS.map((agent, i) => sleep(i * 700).then(() => runAgent(agent, round))),
      runMcpAgent({ endpoint, token, project, round, runId, pauseMs }),
    ]);
    console.log(bold(`\ndemo: round ${round} done; the next starts new sessions in 10 s.\n`));
    await sleep(10_000);
  }
  await warden?.dispose();
  await approverClient?.dispose();
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void Promise.allSettled([warden?.dispose(), approverClient?.dispose()]).finally(() =>
      process.exit(0),
    );
  });
}

main().catch((error: unknown) => {
  console.error("demo:", error);
  process.exit(1);
});
