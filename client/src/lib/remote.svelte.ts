import { errorMessage } from './api/errors';

/** Something a page loads from the server: its last value, or why it could not be loaded. */
export class Remote<T> {
  value = $state.raw<T | null>(null);
  error = $state<string | null>(null);

  constructor(private readonly fetch: () => Promise<T>) {}

  readonly load = async (): Promise<void> => {
    try {
      this.value = await this.fetch();
      this.error = null;
    } catch (e) {
      this.error = errorMessage(e);
    }
  };
}

/** A change a person asks for: busy while it runs, and why it failed when it did. */
export class Action {
  busy = $state(false);
  error = $state<string | null>(null);

  /** Runs `work`; true when it succeeded (its failure is kept in `error`). */
  async run(work: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (e) {
      this.error = errorMessage(e);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
