import {
  alwaysWithoutEffect,
  describeDecider,
  describeOutcome,
  describeRulesAdded,
  revealName,
  revealText,
} from "@warden/client";
import { useEffect, useRef, useState } from "preact/hooks";
import { inputEdited } from "../describe.ts";
import type { PermissionReply, PermissionRequest, RespondOptions } from "../inbox-api.ts";
import type { Card } from "../inbox-state.ts";
import { AlwaysPanel } from "./AlwaysPanel.tsx";
import { CallLine, InputView, JsonDiff } from "./CallView.tsx";
import { Countdown } from "./Countdown.tsx";
import { EditPanel } from "./EditPanel.tsx";
import { Suggestions } from "./Suggestions.tsx";

export type ReplyHandler = (
  request: PermissionRequest,
  reply: PermissionReply,
  options?: RespondOptions,
) => void;

export type Panel = "always" | "reject" | "edit" | null;

/** A panel opened from the keyboard: `seq` changes with every key press. */
export interface PanelCommand {
  readonly panel: Exclude<Panel, null>;
  readonly seq: number;
}

/** Who this tab's approver is, as far as the page knows, and what other tabs of it sent. */
export interface Viewer {
  readonly me?: string;
  /** Requests another tab of this browser, signed in with the same token, answered. */
  readonly answeredInOtherTab: ReadonlySet<string>;
}

/**
 * One request. Its buttons close over this card's request, and the list keys cards by permission
 * id, so a button always acts on the request it is drawn on; they are disabled while a reply is in
 * flight and gone once the request is settled.
 */
export function RequestCard(props: {
  card: Card;
  now: number;
  onReply: ReplyHandler;
  selected?: boolean;
  command?: PanelCommand | null;
  viewer: Viewer;
}) {
  const { card, now, selected = false, command } = props;
  const { request } = card;
  const [panel, setPanel] = useState<Panel>(null);
  const [message, setMessage] = useState("");
  const element = useRef<HTMLElement>(null);
  const expired = now >= request.expiresAt;
  const open = card.phase === "open" && !expired;
  const reply = (kind: PermissionReply, options?: RespondOptions) => {
    if (open) props.onReply(request, kind, options);
  };
  const toggle = (next: Panel) => setPanel(panel === next ? null : next);
  const state = card.phase === "settled" ? settledState(card) : expired ? "expired" : card.phase;
  const noEffect = alwaysWithoutEffect(request);

  useEffect(() => {
    if (!command || !open) return;
    setPanel(command.panel);
    // Focus the panel's first field once it is drawn, so typing goes there, not to the keys.
    requestAnimationFrame(() => {
      const field = element.current?.querySelector<HTMLElement>(
        `.panel.${command.panel} textarea, .panel.${command.panel} input`,
      );
      field?.focus();
    });
  }, [command?.seq]);
  useEffect(() => {
    if (selected) element.current?.scrollIntoView({ block: "nearest" });
  }, [selected]);

  return (
    <article
      ref={element}
      class={`card ${state}${selected ? " selected" : ""}`}
      data-permission-id={request.permissionId}
      data-session-id={request.sessionId}
      data-request-id={request.requestId}
      data-state={state}
      data-selected={selected}
      aria-busy={card.phase === "sending"}
      aria-current={selected}
    >
      <header class="card-head">
        <span class="session" title={`session ${revealText(request.sessionId)}`}>
          {revealText(request.sessionId)}
        </span>
        <span class="tool">{revealName(request.toolName)}</span>
        {card.phase !== "settled" && <Countdown expiresAt={request.expiresAt} now={now} />}
      </header>
      <CallLine request={request} />
      {request.details && <p class="details">{revealText(request.details)}</p>}
      <p class="why">Asked because: {revealText(request.evaluation.message)}</p>

      {card.resolution && inputEdited(request.input, card.resolution) ? (
        <JsonDiff before={request.input} after={card.resolution.input} />
      ) : (
        <InputView toolName={request.toolName} input={request.input} />
      )}

      {panel !== "always" && <Suggestions suggestions={request.suggestions} />}
      {noEffect && card.phase !== "settled" && (
        <p class="no-effect" data-testid="always-no-effect">
          {noEffect}
        </p>
      )}

      {card.phase === "settled" ? (
        <Settled card={card} viewer={props.viewer} />
      ) : (
        <>
          <div class="actions">
            <button type="button" class="allow" disabled={!open} onClick={() => reply("once")}>
              Allow once
            </button>
            <button
              type="button"
              disabled={!open}
              aria-expanded={panel === "always"}
              onClick={() => toggle("always")}
            >
              Always…
            </button>
            <button
              type="button"
              disabled={!open}
              aria-expanded={panel === "edit"}
              onClick={() => toggle("edit")}
            >
              Edit input…
            </button>
            <button
              type="button"
              class="reject"
              disabled={!open}
              aria-expanded={panel === "reject"}
              onClick={() => toggle("reject")}
            >
              Reject…
            </button>
            {card.phase === "sending" && <span class="sending">sending…</span>}
            {expired && card.phase === "open" && (
              <span class="sending">time is up: the request is being rejected</span>
            )}
          </div>
          {card.error && (
            <p class="error" role="alert">
              {revealText(card.error)}
            </p>
          )}
          {panel === "always" && (
            <AlwaysPanel
              suggestions={request.suggestions}
              disabled={!open}
              noEffect={noEffect}
              onConfirm={(rule, scope) => reply("always", { rule, scope })}
            />
          )}
          {panel === "edit" && (
            <EditPanel
              input={request.input}
              disabled={!open}
              onConfirm={(updatedInput) => reply("once", { updatedInput })}
            />
          )}
          {panel === "reject" && (
            <form
              class="panel reject"
              onSubmit={(event) => {
                event.preventDefault();
                reply("reject", message.trim() ? { message: message.trim() } : {});
              }}
            >
              <label>
                Message to the agent (optional)
                <textarea
                  rows={2}
                  value={message}
                  placeholder="Why not, or what to do instead"
                  onInput={(event) => setMessage(event.currentTarget.value)}
                  onKeyDown={(event) => {
                    if (event.key === "Enter" && !event.shiftKey) {
                      event.preventDefault();
                      event.currentTarget.form?.requestSubmit();
                    }
                    if (event.key === "Escape") setPanel(null);
                  }}
                />
              </label>
              <button type="submit" class="reject" disabled={!open}>
                Reject
              </button>
            </form>
          )}
        </>
      )}
    </article>
  );
}

function settledState(card: Card): string {
  if (card.settledHere) return "answered";
  if (card.resolution?.reason === "timed_out") return "timed-out";
  return "answered-elsewhere";
}

/** What happened, in words that fit who decided: this tab, you in another tab, a person, the hook, a rule, the timeout. */
export function settledLine(card: Card, viewer: Viewer): string {
  const resolution = card.resolution;
  if (!resolution) return "Already answered elsewhere. Your reply was not applied.";
  const outcome = describeOutcome(resolution);
  const { kind, id } = resolution.decidedBy;
  const mine =
    kind === "approver" &&
    ((viewer.me !== undefined && id === viewer.me) ||
      viewer.answeredInOtherTab.has(card.request.permissionId));
  if (card.settledHere) return `${capitalise(outcome)} by you.`;
  if (resolution.reason === "timed_out") return "Timed out: nobody answered in time (rejected).";
  if (resolution.reason === "cancelled")
    return "Cancelled by the agent: nothing to decide any more.";
  const who = mine ? "you in another tab" : describeDecider(resolution);
  if (card.lostRace) return `Already answered by ${who}: ${outcome}. Your reply was not applied.`;
  return `${mine ? "Already answered" : "Answered elsewhere"} by ${who}: ${outcome}.`;
}

const capitalise = (text: string) => `${text[0]?.toUpperCase() ?? ""}${text.slice(1)}`;

function Settled(props: { card: Card; viewer: Viewer }) {
  const { card } = props;
  const resolution = card.resolution;
  const rules = resolution ? describeRulesAdded(resolution) : null;
  return (
    <div class="settled" role="status">
      <strong>{settledLine(card, props.viewer)}</strong>
      {rules && <span> Rule added: {rules}.</span>}
      {resolution?.message && <span class="message"> {revealText(resolution.message)}</span>}
    </div>
  );
}
