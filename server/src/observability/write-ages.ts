import { performance } from 'node:perf_hooks';

/**
 * When this process's writes were stored, until the read models include them: the age of the
 * oldest one still missing is the projection lag an operator feels (a read that waits for its
 * own write). Entries the projection has passed are dropped as new ones arrive, so memory
 * stays in proportion to what is actually behind.
 */
export class WriteAges {
  private positions: bigint[] = [];
  private times: number[] = [];
  private head = 0;

  constructor(
    private readonly projected: () => bigint | null,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A write stored at `position` (the last event of the append). */
  written(position: bigint | null): void {
    if (position === null) return;
    this.dropProjected();
    this.positions.push(position);
    this.times.push(this.now());
  }

  oldestUnprojectedSeconds(): number {
    this.dropProjected();
    return this.head < this.positions.length ? (this.now() - this.times[this.head]!) / 1000 : 0;
  }

  private dropProjected(): void {
    const projected = this.projected();
    if (projected !== null) while (this.head < this.positions.length && this.positions[this.head]! <= projected) this.head++;
    if (this.head > 1024 && this.head * 2 > this.positions.length) {
      this.positions = this.positions.slice(this.head);
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
}
