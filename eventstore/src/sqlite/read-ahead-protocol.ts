import type { MessagePort } from 'node:worker_threads';

/**
 * What the event store's caller and its read-ahead worker (read-ahead-worker.ts) share: the cells of
 * their control array (an Int32Array over a SharedArrayBuffer), the commands the caller sends and the
 * replies the worker posts. See read-ahead.ts for how a scan is read ahead.
 */

/** Bumped by the caller after each command it posts, so that a sleeping worker wakes up to read it. */
export const COMMANDS = 0;
/** Chunks (and chunk errors) the worker has posted. */
export const POSTED = 1;
/** Chunks the caller has taken (used or discarded). */
export const TAKEN = 2;
/** The scan the worker should be fetching; chunks of any other are abandoned. */
export const GENERATION = 3;
export const CONTROL_CELLS = 4;

export interface ReadCommand {
  kind: 'read';
  generation: number;
  /** WHERE clause with one placeholder for the start position first, then `params`. */
  where: string;
  params: unknown[];
  from: number;
  limit: number;
}

/** `close` ends the worker's connection (it answers `closed`); `exit` ends the thread. */
export type Command = ReadCommand | { kind: 'close' } | { kind: 'exit' };

/**
 * Up to `limit` events as one JSON text `[position, stream, revision, id, type, data, metadata,
 * recordedAt, ...]`; `count < limit` means the worker reached the head it saw.
 */
export interface ChunkReply {
  kind: 'chunk';
  generation: number;
  limit: number;
  count: number;
  last: number | null;
  text: string | null;
}

export type Reply = ChunkReply | { kind: 'error'; generation: number; error: string } | { kind: 'closed' };

export interface ReadAheadWorkerData {
  file: string;
  port: MessagePort;
  control: Int32Array;
  /** The columns every read selects, in order. */
  columns: string;
  /** Chunk text size aimed for. */
  chunkBytes: number;
  minChunk: number;
  maxChunk: number;
  /** Chunks the worker may fetch before the caller takes them. */
  ahead: number;
}
