/** @jsxRuntime automatic @jsxImportSource react */
// (The pragma keeps the JSX runtime when tsx runs this file from a directory without this package's tsconfig.)

import { revealText } from "@warden/client";
import { Text, useInput } from "ink";
import { useRef, useState } from "react";
import { editField, type FieldState, fieldOf } from "./field-edit.ts";

/** Props of a one-line text field. */
export interface TextFieldProps {
  /** The text the field starts with; the field owns its value from then on. */
  readonly initial: string;
  /** Called with every new value. */
  readonly onChange?: (value: string) => void;
  /** Called on Enter with the value including every key before the Enter. */
  readonly onSubmit: (value: string) => void;
}

/**
 * A one-line text field with a cursor. Its value lives in a ref updated synchronously per input
 * event, so several events handled before React renders again each act on the latest value.
 */
export function TextField(props: TextFieldProps) {
  const { initial, onChange, onSubmit } = props;
  const field = useRef<FieldState>(fieldOf(initial));
  const [shown, setShown] = useState<FieldState>(field.current);

  useInput((input, key) => {
    const before = field.current;
    const step = editField(before, input, key);
    field.current = step.state;
    setShown(step.state);
    if (step.state.value !== before.value) onChange?.(step.state.value);
    if (step.submitted !== undefined) onSubmit(step.submitted);
  });

  // Each character drawn as itself or, if hidden (bidi, zero-width: a paste may bring them), as
  // its marker, so the field shows what it holds and the cursor still moves one character a step.
  const chars = [...shown.value].map((char) => (char === " " ? char : revealText(char)));
  // The cursor is an inverse cell: on a character, or on a space after the text.
  return (
    <Text>
      {chars.slice(0, shown.cursor).join("")}
      <Text inverse>{chars[shown.cursor] ?? " "}</Text>
      {chars.slice(shown.cursor + 1).join("")}
    </Text>
  );
}
