/**
 * Shares one flush among concurrent callers: a caller gets a promise of the first flush that
 * starts after its call, so whatever it wrote before calling is covered; callers that arrive
 * while a flush runs share the next one. One storage write for many reports, none acknowledged
 * before it is durable. A failed flush fails every caller of its round (they resend).
 */
export function groupCommit(flush: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = async (previous: Promise<void> | null) => {
    await previous?.catch(() => undefined);
    // From here on a new caller waits for the round after this one.
    running = next;
    next = null;
    try {
      await flush();
    } finally {
      running = null;
    }
  };
  return () => {
    next ??= start(running);
    return next;
  };
}
