/** Names kept at most; the oldest go first (they are asked for again when needed). */
const MAX_NAMES = 2_000;
/** Ids asked for within this time go in one request. */
const BATCH_DELAY_MS = 30;
/** The most ids one request names (what the server admits). */
const BATCH_SIZE = 500;

/**
 * Names of the sensors a page mentions, fetched by id as they are asked for (in batches) and
 * kept in a bounded cache: the dashboard never loads the whole fleet's names.
 */
export class SensorNames {
  #names = $state.raw(new Map<string, string>());
  /** Ids asked for (answered or not): each is fetched once while it is remembered. */
  #asked = new Set<string>();
  #wanted: string[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly fetchNames: (ids: string[]) => Promise<{ id: string; name: string }[]>) {}

  /** The name, when known; otherwise null now, and the name shows once fetched. */
  get(id: string): string | null {
    const name = this.#names.get(id);
    if (name !== undefined) return name;
    if (!this.#asked.has(id)) {
      this.#asked.add(id);
      this.#wanted.push(id);
      this.#timer ??= setTimeout(() => void this.#fetch(), BATCH_DELAY_MS);
    }
    return null;
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #fetch(): Promise<void> {
    this.#timer = null;
    const ids = this.#wanted.splice(0, BATCH_SIZE);
    if (this.#wanted.length > 0) this.#timer = setTimeout(() => void this.#fetch(), BATCH_DELAY_MS);
    let found: { id: string; name: string }[];
    try {
      found = await this.fetchNames(ids);
    } catch {
      // Asked again next time they are needed.
      for (const id of ids) this.#asked.delete(id);
      return;
    }
    const names = new Map(this.#names);
    for (const { id, name } of found) names.set(id, name);
    for (const id of names.keys()) {
      if (names.size <= MAX_NAMES) break;
      names.delete(id);
      this.#asked.delete(id);
    }
    if (this.#asked.size > MAX_NAMES * 2) this.#asked = new Set(names.keys());
    this.#names = names;
  }
}
