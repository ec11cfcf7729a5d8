/**
 * The ids of rows one event changed, each once. Cleared before every event without allocating:
 * a rebuild clears it millions of times. Most events change one row or none, so a short array
 * scan checks for duplicates; an event that changes many (a registry's status, shown on every
 * bound sensor) switches to a Set for that check.
 */
export class ChangedIds implements Iterable<string> {
  private readonly ids: string[] = [];
  private count = 0;
  private many: Set<string> | null = null;

  get size(): number {
    return this.count;
  }

  add(id: string): void {
    if (this.has(id)) return;
    this.ids[this.count++] = id;
    if (this.many !== null) this.many.add(id);
    else if (this.count > 8) this.many = new Set(this.ids.slice(0, this.count));
  }

  has(id: string): boolean {
    if (this.many !== null) return this.many.has(id);
    for (let i = 0; i < this.count; i++) if (this.ids[i] === id) return true;
    return false;
  }

  clear(): void {
    if (this.count === 0) return;
    this.count = 0;
    this.many = null;
    // Drop references kept beyond the first few slots (after an event that changed many rows).
    if (this.ids.length > 8) this.ids.length = 8;
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.count; i++) yield this.ids[i]!;
  }
}
