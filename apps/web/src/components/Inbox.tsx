import { formatRemaining, revealText } from "@warden/client";
import { useEffect, useRef, useState } from "preact/hooks";
import type { InboxApi, InboxConfig, InboxStatus } from "../inbox-api.ts";
import { isTextTarget, KEYS, keyAction } from "../keyboard.ts";
import { setSoundEnabled, soundEnabled } from "../sound.ts";
import { useInbox } from "../use-inbox.ts";
import { HistoryView } from "./HistoryView.tsx";
import { type PanelCommand, RequestCard } from "./RequestCard.tsx";

type View = "pending" | "history";

/** A deadline this close is announced at the top of the page and in the tab's title. */
const DEADLINE_WARNING_MS = 60_000;

function Banner(props: { status: InboxStatus }) {
  if (props.status === "open") return null;
  const text =
    props.status === "connecting"
      ? "Connecting to Warden…"
      : props.status === "reconnecting"
        ? "Connection lost. Reconnecting…"
        : "Disconnected.";
  return (
    <div class={`banner ${props.status}`} role="alert" data-testid="connection-banner">
      {text}
    </div>
  );
}

function NotificationButton() {
  const supported = typeof Notification !== "undefined";
  const [permission, setPermission] = useState(supported ? Notification.permission : "denied");
  if (!supported || permission !== "default") return null;
  return (
    <button
      type="button"
      class="quiet"
      onClick={() => void Notification.requestPermission().then(setPermission)}
    >
      Enable notifications
    </button>
  );
}

function SoundButton() {
  const [on, setOn] = useState(soundEnabled);
  return (
    <button
      type="button"
      class="quiet"
      aria-pressed={on}
      title="Play a short sound when a new request arrives"
      onClick={() => {
        setSoundEnabled(!on);
        setOn(!on);
      }}
    >
      Sound {on ? "on" : "off"}
    </button>
  );
}

function Help(props: { onClose: () => void }) {
  return (
    <section class="help" aria-label="Keyboard shortcuts" data-testid="key-help">
      <h2>Keys</h2>
      <dl>
        {KEYS.map(([key, what]) => (
          <div key={key}>
            <dt>
              <kbd>{key}</kbd>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <p class="hint">
        Keys never act while you type in a field, nor on a request that is no longer open.
      </p>
      <button type="button" class="quiet" onClick={props.onClose}>
        Close
      </button>
    </section>
  );
}

/** The tab's icon: the number of pending requests, red when a deadline is near. */
function faviconOf(count: number, urgent: boolean): string {
  if (count === 0) return "data:,";
  const label = count > 99 ? "99+" : String(count);
  const fill = urgent ? "#b91c1c" : "#2563eb";
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="16" fill="${fill}"/><text x="16" y="22" font-size="${label.length > 2 ? 12 : 18}" font-family="sans-serif" font-weight="bold" text-anchor="middle" fill="#fff">${label}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** The signed-in page: pending requests live, the history, the connection banner, the keys. */
export function Inbox(props: {
  api: InboxApi;
  config: InboxConfig;
  onSignOut: (error?: string) => void;
}) {
  const { state, now, fatal, reply, trackPointer, viewer, historyVersion } = useInbox(
    props.api,
    props.config,
  );
  const [view, setView] = useState<View>("pending");
  const [selected, setSelected] = useState<string | null>(null);
  const [command, setCommand] = useState<(PanelCommand & { id: string }) | null>(null);
  const [help, setHelp] = useState(false);
  const [keyNote, setKeyNote] = useState<string | null>(null);
  const openCards = state.cards.filter((c) => c.phase !== "settled");
  const open = openCards.length;
  const soonest = Math.min(...openCards.map((c) => c.request.expiresAt - now));
  const urgent = open > 0 && soonest < DEADLINE_WARNING_MS;
  const { onSignOut } = props;

  useEffect(() => {
    if (fatal) onSignOut(fatal);
  }, [fatal, onSignOut]);
  useEffect(() => {
    document.title = open > 0 ? `${urgent ? "⚠ " : ""}(${open}) Warden inbox` : "Warden inbox";
    const icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
    if (icon) icon.href = faviconOf(open, urgent);
  }, [open, urgent]);

  // The latest list and selection, for the key handler registered once.
  const latest = useRef({ cards: state.cards, selected, view });
  latest.current = { cards: state.cards, selected, view };
  useEffect(() => {
    let seq = 0;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (isTextTarget(event.target)) return;
      const { cards, selected, view } = latest.current;
      if (view !== "pending" && event.key !== "?") return;
      const action = keyAction(event.key, cards, selected);
      if (!action) return;
      event.preventDefault();
      setKeyNote(null);
      switch (action.kind) {
        case "help":
          setHelp((shown) => !shown);
          return;
        case "close":
          setHelp(false);
          return;
        case "note":
          setKeyNote(action.text);
          return;
        case "select":
          setSelected(action.permissionId);
          return;
        case "once": {
          const card = cards.find((c) => c.request.permissionId === action.permissionId);
          if (card) reply(card.request, "once");
          return;
        }
        default:
          setCommand({ id: action.permissionId, panel: action.kind, seq: ++seq });
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [reply]);

  return (
    <div class="app">
      <Banner status={state.status} />
      {urgent && (
        <div class="deadline" role="alert" data-testid="deadline-warning">
          A request times out in {formatRemaining(soonest)}: unanswered, it is rejected.
        </div>
      )}
      <header class="top">
        <h1>Warden</h1>
        <span class="project">project {revealText(props.config.project)}</span>
        <nav>
          <button
            type="button"
            aria-pressed={view === "pending"}
            onClick={() => setView("pending")}
          >
            Pending{" "}
            <span class="count" data-testid="pending-count">
              {open}
            </span>
          </button>
          <button
            type="button"
            aria-pressed={view === "history"}
            onClick={() => setView("history")}
          >
            History
          </button>
        </nav>
        <div class="tools">
          <NotificationButton />
          <SoundButton />
          <button
            type="button"
            class="quiet"
            aria-pressed={help}
            title="Keyboard shortcuts"
            onClick={() => setHelp(!help)}
          >
            Keys ?
          </button>
          <button type="button" class="quiet" onClick={() => onSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      {help && <Help onClose={() => setHelp(false)} />}
      {keyNote && (
        <p class="key-note" role="status" data-testid="key-note">
          {keyNote}
        </p>
      )}
      {view === "pending" ? (
        <section
          class="cards"
          aria-label="Pending requests"
          onPointerMove={(event) => {
            const card = (event.target as Element).closest("article.card");
            trackPointer(true, card?.getAttribute("data-permission-id") ?? null);
          }}
          onPointerLeave={() => trackPointer(false, null)}
        >
          {state.cards.length === 0 && (
            <p class="empty">
              No request is waiting. New ones appear here as agents ask. Press <kbd>?</kbd> for the
              keys.
            </p>
          )}
          {state.cards.map((card) => {
            const id = card.request.permissionId;
            return (
              <RequestCard
                key={id}
                card={card}
                now={now}
                onReply={reply}
                selected={id === selected}
                command={command?.id === id ? command : null}
                viewer={viewer}
              />
            );
          })}
        </section>
      ) : (
        <HistoryView api={props.api} refreshKey={historyVersion} />
      )}
    </div>
  );
}
