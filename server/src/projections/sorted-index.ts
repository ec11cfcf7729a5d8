/**
 * Ids kept in order of a sort key, updated in place as keys change, so a page can be read
 * without sorting the whole set on every request.
 */
export class SortedIndex<K> {
  private ids: string[] = [];
  private readonly keys = new Map<string, K>();
  /**
   * Until the first read, changes only record keys and the order is sorted once at that read:
   * applying many changes before anyone reads (a rebuild, a load) costs one sort in all.
   */
  private stale = true;

  constructor(private readonly compare: (a: K, b: K) => number) {}

  set(id: string, key: K): void {
    if (this.stale) {
      this.keys.set(id, key);
      return;
    }
    const previous = this.keys.get(id);
    if (previous !== undefined) {
      if (this.compare(previous, key) === 0) {
        this.keys.set(id, key);
        return;
      }
      this.ids.splice(this.lowerBound(previous), 1);
    }
    this.keys.set(id, key);
    this.ids.splice(this.lowerBound(key), 0, id);
  }

  delete(id: string): void {
    const previous = this.keys.get(id);
    if (previous === undefined) return;
    if (this.stale) {
      this.keys.delete(id);
      return;
    }
    this.ids.splice(this.lowerBound(previous), 1);
    this.keys.delete(id);
  }

  /** All ids in order (read-only view), and where the ids after `after` start. */
  ordered(after?: K): { ids: readonly string[]; start: number } {
    this.sort();
    return { ids: this.ids, start: after === undefined ? 0 : this.upperBound(after) };
  }

  private sort(): void {
    if (!this.stale) return;
    this.ids = [...this.keys.keys()].sort((a, b) => this.compare(this.keys.get(a)!, this.keys.get(b)!));
    this.stale = false;
  }

  /** First index whose key is >= key. */
  private lowerBound(key: K): number {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.keys.get(this.ids[mid]!)!, key) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** First index whose key is > key. */
  private upperBound(key: K): number {
    let low = 0;
    let high = this.ids.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.compare(this.keys.get(this.ids[mid]!)!, key) <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}
