// The edits of a one-line text field, as a pure function of the field and one input event.
// The field applies each event to the value left by the previous one (never to the last rendered
// value), so keys that arrive in one read (a paste, a loaded machine) all count.

/** A field's text and its cursor, counted in code points. */
export interface FieldState {
  readonly value: string;
  readonly cursor: number;
}

/** The keys of an input event that the field acts on (a subset of ink's `Key`). */
export interface FieldKey {
  readonly leftArrow: boolean;
  readonly rightArrow: boolean;
  readonly backspace: boolean;
  readonly delete: boolean;
  readonly return: boolean;
  readonly upArrow: boolean;
  readonly downArrow: boolean;
  readonly tab: boolean;
  readonly escape: boolean;
  readonly ctrl: boolean;
  readonly meta: boolean;
}

/** The field after an event, and the value submitted by an Enter in it, if any. */
export interface FieldStep {
  readonly state: FieldState;
  readonly submitted?: string;
}

/** A field holding `value`, the cursor at its end. */
export function fieldOf(value: string): FieldState {
  return { value, cursor: [...value].length };
}

function insert(state: FieldState, text: string): FieldState {
  // Control characters (C0, DEL, C1) are invisible on the line or drive the terminal: they are not
  // typed in. Enter never reaches here.
  const chars = [...text.replace(/\p{Cc}/gu, "")];
  if (chars.length === 0) return state;
  const value = [...state.value];
  value.splice(state.cursor, 0, ...chars);
  return { value: value.join(""), cursor: state.cursor + chars.length };
}

/**
 * Applies one input event. A text event may carry several keys (typed text followed by Enter in
 * the same read arrives as "text\r"): the text before the first Enter is typed, then the value is
 * submitted; what follows that Enter in the same event is dropped, as it belongs to no field.
 */
export function editField(state: FieldState, input: string, key: FieldKey): FieldStep {
  if (key.upArrow || key.downArrow || key.tab || key.escape || key.ctrl || key.meta) {
    return { state };
  }
  if (key.return) return { state, submitted: state.value };
  const length = [...state.value].length;
  if (key.leftArrow) return { state: { ...state, cursor: Math.max(0, state.cursor - 1) } };
  if (key.rightArrow) return { state: { ...state, cursor: Math.min(length, state.cursor + 1) } };
  if (key.backspace || key.delete) {
    // Both erase the character before the cursor, as terminals send DEL for the backspace key.
    if (state.cursor === 0) return { state };
    const value = [...state.value];
    value.splice(state.cursor - 1, 1);
    return { state: { value: value.join(""), cursor: state.cursor - 1 } };
  }
  const enter = input.search(/[\r\n]/);
  if (enter === -1) return { state: insert(state, input) };
  const typed = insert(state, input.slice(0, enter));
  return { state: typed, submitted: typed.value };
}
