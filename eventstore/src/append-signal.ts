/**
 * Wakes the subscriptions of an in-process store when something is appended. A subscription
 * registers right after finding nothing new, synchronously, so no append slips in between.
 */
export class AppendSignal {
  readonly #waiters = new Set<() => void>();

  /** Resolves at the next append, `wakeAll` or abort. */
  next(signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.#waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
