import type { PermissionRequest } from "@warden/client";
import type { Resolution } from "./inbox.ts";

/** The connection's state, as the inbox reports it. */
export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

/** A request in the list; `answered` is set while an answered request is still shown. */
export interface InboxEntry {
  readonly key: string;
  readonly request: PermissionRequest;
  readonly answered?: { readonly resolution: Resolution; readonly byMe: boolean };
}

/** A line in the notes area. */
export interface Note {
  readonly id: number;
  readonly tone: "info" | "success" | "error";
  readonly text: string;
}

/**
 * What the approver shows. The selection is a request's key, never a position: requests that
 * arrive or leave never move it to another request. Decision keys act only while `armed`, which
 * an automatic selection change clears until the new request has been on screen a moment.
 */
export interface InboxState {
  readonly entries: readonly InboxEntry[];
  readonly selected: string | null;
  readonly armed: boolean;
  readonly notes: readonly Note[];
  readonly status: ConnectionStatus;
  readonly nextNoteId: number;
}

const MAX_NOTES = 4;

/** The key of a request: permission ids are unique within a session. */
export const requestKey = (sessionId: string, permissionId: string) =>
  `${sessionId}/${permissionId}`;

export const initialInboxState: InboxState = {
  entries: [],
  selected: null,
  armed: false,
  notes: [],
  status: "connecting",
  nextNoteId: 1,
};

/** The selected entry, if any. */
export function selectedEntry(state: InboxState): InboxEntry | undefined {
  return state.entries.find((entry) => entry.key === state.selected);
}

/** Adds a note, keeping the newest few. */
export function addNote(state: InboxState, tone: Note["tone"], text: string): InboxState {
  const note = { id: state.nextNoteId, tone, text };
  return {
    ...state,
    notes: [...state.notes, note].slice(-MAX_NOTES),
    nextNoteId: state.nextNoteId + 1,
  };
}

/** A new pending request joins the list in order of creation; an empty selection takes it, unarmed. */
export function addRequest(state: InboxState, request: PermissionRequest): InboxState {
  const key = requestKey(request.sessionId, request.permissionId);
  if (state.entries.some((entry) => entry.key === key)) return state;
  const entries = [...state.entries];
  const at = entries.findIndex((entry) => entry.request.createdAt > request.createdAt);
  entries.splice(at === -1 ? entries.length : at, 0, { key, request });
  if (state.selected !== null) return { ...state, entries };
  return { ...state, entries, selected: key, armed: false };
}

/**
 * A request was resolved. Another's answer leaves the selected request on screen, marked, until
 * the approver moves on; any other request leaves the list. One's own answer moves the selection
 * to the neighbour, unarmed.
 */
export function resolveRequest(
  state: InboxState,
  key: string,
  resolution: Resolution,
  byMe: boolean,
  note: string,
): InboxState {
  const index = state.entries.findIndex((entry) => entry.key === key);
  if (index === -1 || state.entries[index]!.answered) return state;
  const noted = addNote(state, byMe ? "success" : "info", note);
  if (key !== state.selected) {
    return { ...noted, entries: state.entries.filter((entry) => entry.key !== key) };
  }
  if (!byMe) {
    const entries = state.entries.map((entry) =>
      entry.key === key ? { ...entry, answered: { resolution, byMe } } : entry,
    );
    return { ...noted, entries };
  }
  const entries = state.entries.filter((entry) => entry.key !== key);
  const neighbour = entries[Math.min(index, entries.length - 1)];
  return { ...noted, entries, selected: neighbour?.key ?? null, armed: false };
}

/** The approver moves the selection; answered requests left behind leave the list. */
export function moveSelection(state: InboxState, delta: number): InboxState {
  if (state.entries.length === 0) return state;
  const index = state.entries.findIndex((entry) => entry.key === state.selected);
  const target = index === -1 ? 0 : Math.max(0, Math.min(state.entries.length - 1, index + delta));
  const landed = state.entries[target]!;
  if (landed.answered) {
    // Moving off an answered request at the end of the list: it leaves, nothing else is chosen.
    const entries = state.entries.filter((entry) => !entry.answered);
    return { ...state, entries, selected: null, armed: true };
  }
  const selected = landed.key;
  const entries = state.entries.filter((entry) => !entry.answered || entry.key === selected);
  if (selected === state.selected && entries.length === state.entries.length)
    return { ...state, armed: true };
  return { ...state, entries, selected, armed: true };
}

/** The selected request has been on screen long enough for decision keys to act on it. */
export function arm(state: InboxState, key: string): InboxState {
  return state.selected === key && !state.armed ? { ...state, armed: true } : state;
}

export function setStatus(state: InboxState, status: ConnectionStatus): InboxState {
  return state.status === status ? state : { ...state, status };
}
