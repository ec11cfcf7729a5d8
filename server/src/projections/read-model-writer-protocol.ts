import type { MessagePort } from 'node:worker_threads';

/**
 * What the read-model store (read-model-store.ts) and its writer thread (read-model-writer.ts) say to
 * each other.
 *
 * A save reaches the writer as a stream of `rows` messages and then one `commit`. Each `rows` message
 * holds a flat list `kind, id, JSON(record), kind, id, JSON(record), ...`, with an empty text for a
 * deleted row (a record's JSON never is). Plain strings are the cheapest thing to hand between threads:
 * copied as they are, with nothing to encode or split on either side. The writer opens its transaction
 * at the first `rows` of a save and commits it, with the checkpoint, at `commit`: a save is stored whole
 * or not at all. It answers each save with one `done`.
 */
export type WriterMessage = { kind: 'rows'; rows: string[] } | { kind: 'commit'; position: string | null } | { kind: 'close' };

/** A save stored (`error` null) or dropped whole (`error` says why). */
export interface WriterReply {
  kind: 'done';
  error: string | null;
}

export interface WriterData {
  file: string;
  port: MessagePort;
  /** Set to 1 once this writer's connection is closed. */
  closed: Int32Array;
  /** The `closed` cell of the writer that last wrote the file in this process, if any: wait for it first. */
  after: Int32Array | null;
  /** Scheduling priority (nice value) of the writer thread. */
  nice: number;
}
