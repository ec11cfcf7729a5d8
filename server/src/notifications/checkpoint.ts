import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Where the notifier keeps the log position up to which everything is queued. */
export interface NotifierCheckpoint {
  load(): bigint | null;
  save(position: bigint): void;
}

/** A checkpoint in a small file, replaced atomically (write, then rename) so a crash leaves the old one or the new one. */
export class FileCheckpoint implements NotifierCheckpoint {
  constructor(private readonly file: string) {}

  load(): bigint | null {
    try {
      const text = readFileSync(this.file, 'utf8').trim();
      return /^\d+$/.test(text) ? BigInt(text) : null;
    } catch {
      return null;
    }
  }

  save(position: bigint): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, `${position}\n`);
    renameSync(`${this.file}.tmp`, this.file);
  }
}

/** A checkpoint kept in memory (tests, benchmarks): it survives a restart of the service object, not of the process. */
export class MemoryCheckpoint implements NotifierCheckpoint {
  position: bigint | null = null;
  load(): bigint | null {
    return this.position;
  }
  save(position: bigint): void {
    this.position = position;
  }
}
