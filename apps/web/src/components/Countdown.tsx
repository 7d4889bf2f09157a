import { formatRemaining } from "@warden/client";
import { formatDateTime } from "../describe.ts";

/** Time left until the request times out to a rejection. */
export function Countdown(props: { expiresAt: number; now: number }) {
  const left = props.expiresAt - props.now;
  const urgent = left < 30_000;
  return (
    <span
      class={`countdown${urgent ? " urgent" : ""}`}
      title={`Times out at ${formatDateTime(props.expiresAt)}`}
      data-testid="countdown"
    >
      {left > 0 ? `${formatRemaining(left)} left` : "time is up"}
    </span>
  );
}
