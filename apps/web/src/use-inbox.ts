import { useCallback, useEffect, useReducer, useRef, useState } from "preact/hooks";
import type { Viewer } from "./components/RequestCard.tsx";
import {
  describeFailure,
  type InboxApi,
  type InboxConfig,
  type PermissionReply,
  type PermissionRequest,
  type RespondOptions,
} from "./inbox-api.ts";
import { type Card, initialInbox, reduceInbox } from "./inbox-state.ts";
import { createNotifier } from "./notifier.ts";

/** How long a settled card stays, marked, before it is removed (ms). */
const LINGER_MS = { here: 2_500, elsewhere: 6_000, lostRace: 12_000 } as const;
const RETRY_MS = 2_000;
/** Clicks this soon after the list moved are ignored (ms). */
const SHIFT_GUARD_MS = 600;

function lingerOf(card: Card): number {
  if (card.lostRace) return LINGER_MS.lostRace;
  return card.settledHere ? LINGER_MS.here : LINGER_MS.elsewhere;
}

/** The live inbox: subscription, replies, a clock for countdowns, and removal of settled cards. */
export function useInbox(api: InboxApi, config: InboxConfig) {
  const { project } = config;
  const [state, dispatch] = useReducer(reduceInbox, initialInbox);
  const [fatal, setFatal] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const inFlight = useRef(new Set<string>());
  // Where the pointer is: over the list, and over which card. Removing a card moves only the cards
  // after it, so while the pointer is over the list only settled cards after the hovered one go.
  const pointer = useRef<{ inside: boolean; overId: string | null }>({
    inside: false,
    overId: null,
  });
  // When each card last moved up; a click on it right after may have been aimed at another card.
  const movedAt = useRef(new Map<string, number>());
  const viewer = useViewer(config);
  // Bumped whenever the project's history gained entries: the history view reads it again.
  const [historyVersion, historyAppended] = useReducer((n: number) => n + 1, 0);

  useEffect(() => {
    const notifier = createNotifier(project);
    let unsubscribe: (() => void) | undefined;
    let stopped = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const start = () => {
      api
        .subscribe({
          onRequest: (request) => {
            dispatch({ type: "request", request });
            notifier.notify(request);
          },
          onResolved: (event) => dispatch({ type: "resolved", event, now: Date.now() }),
          onStatus: (status) => dispatch({ type: "status", status }),
          onHistory: () => historyAppended(undefined),
        })
        .then(
          (off) => {
            if (stopped) off();
            else unsubscribe = off;
          },
          (error: unknown) => {
            if (stopped) return;
            const failure = describeFailure(error);
            if (failure.code === "unauthorized" || failure.code === "forbidden") {
              setFatal(failure.message);
              return;
            }
            dispatch({ type: "status", status: "reconnecting" });
            retry = setTimeout(start, RETRY_MS);
          },
        );
    };
    start();
    return () => {
      stopped = true;
      clearTimeout(retry);
      unsubscribe?.();
      notifier.dispose();
    };
  }, [api, project]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    const { inside, overId } = pointer.current;
    const over = inside ? state.cards.findIndex((c) => c.request.permissionId === overId) : -1;
    if (inside && over < 0) return;
    const due = state.cards
      .filter((c, index) => (!inside || index > over) && c.phase === "settled")
      .filter((c) => (c.settledAt ?? 0) + lingerOf(c) <= now)
      .map((c) => c.request.permissionId);
    if (due.length === 0) return;
    const first = state.cards.findIndex((c) => c.request.permissionId === due[0]);
    const moved = Date.now();
    for (const card of state.cards.slice(first + 1))
      movedAt.current.set(card.request.permissionId, moved);
    for (const id of due) movedAt.current.delete(id);
    dispatch({ type: "remove", permissionIds: due });
  }, [now, state.cards]);

  const reply = useCallback(
    async (request: PermissionRequest, kind: PermissionReply, options?: RespondOptions) => {
      const { sessionId, permissionId } = request;
      if (inFlight.current.has(permissionId)) return;
      if (Date.now() - (movedAt.current.get(permissionId) ?? 0) < SHIFT_GUARD_MS) {
        const message =
          "The list moved as you clicked: nothing was sent. Check the card, then click again.";
        dispatch({
          type: "failed",
          permissionId,
          failure: { code: "moved", message },
          now: Date.now(),
        });
        return;
      }
      inFlight.current.add(permissionId);
      dispatch({ type: "sending", permissionId });
      try {
        const result = await api.respond(sessionId, permissionId, kind, options);
        dispatch({ type: "replied", permissionId, resolution: result.resolution, now: Date.now() });
        viewer.sent(permissionId, result.resolution.decidedBy.id);
      } catch (error) {
        dispatch({
          type: "failed",
          permissionId,
          failure: describeFailure(error),
          now: Date.now(),
        });
      } finally {
        inFlight.current.delete(permissionId);
      }
    },
    [api, viewer.sent],
  );

  const trackPointer = useCallback((inside: boolean, overId: string | null) => {
    pointer.current = { inside, overId };
  }, []);

  return { state, now, fatal, reply, trackPointer, viewer: viewer.state, historyVersion };
}

/** A short fingerprint of the token, so tabs can tell they share one without passing it around. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16);
}

/**
 * Who this tab's approver is (learned from its own replies) and which requests other tabs of
 * this browser, signed in with the same token, answered: their cards then read "answered by you
 * in another tab", not by a stranger's name.
 */
function useViewer(config: InboxConfig) {
  const [state, setState] = useState<Viewer>(() => ({ answeredInOtherTab: new Set() }));
  const channel = useRef<BroadcastChannel | null>(null);
  const key = fingerprint(`${config.endpoint}\n${config.project}\n${config.token}`);
  useEffect(() => {
    if (typeof BroadcastChannel === "undefined") return;
    const bc = new BroadcastChannel(`warden.inbox.answers.${config.project}`);
    channel.current = bc;
    bc.onmessage = (event: MessageEvent) => {
      const data = event.data as { key?: unknown; permissionId?: unknown; me?: unknown };
      if (data.key !== key || typeof data.permissionId !== "string") return;
      const permissionId = data.permissionId;
      setState((current) => ({
        me: typeof data.me === "string" ? data.me : current.me,
        answeredInOtherTab: new Set([...current.answeredInOtherTab, permissionId]),
      }));
    };
    return () => {
      bc.close();
      channel.current = null;
    };
  }, [config.project, key]);
  const sent = useCallback(
    (permissionId: string, me: string | undefined) => {
      if (me !== undefined)
        setState((current) => (current.me === me ? current : { ...current, me }));
      channel.current?.postMessage({ key, permissionId, me });
    },
    [key],
  );
  return { state, sent };
}
