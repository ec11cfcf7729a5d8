/** Catch-up subscriptions to `$all` of the EventStoreDB stand-in (a test double; see index.ts). */
import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { StandInLog, StoredEvent } from './log.js';
import { caughtUpResponse, checkpointResponse, confirmationResponse, eventResponse } from './messages.js';

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

/** The server's page size for catch-up reads, and its default filter search window. */
const READ_BATCH_SIZE = 32;
/** `ulong.MaxValue`: how the server writes "no position" (a checkpoint before any event). */
const NO_POSITION = (1n << 64n) - 1n;

/** Live subscriptions, so a test can drop them, and where each one asked to start. */
export class Subscriptions {
  readonly #drops = new Set<() => void>();
  /** The start position of every subscription opened, in order (`null` for the start of the log). */
  readonly starts: Array<bigint | null> = [];

  add(drop: () => void): () => void {
    this.#drops.add(drop);
    return () => this.#drops.delete(drop);
  }

  dropAll(): void {
    for (const drop of [...this.#drops]) drop();
  }
}

type Position = { commit: bigint; prepare: bigint };
const after = (a: Position, b: Position) => a.commit > b.commit || (a.commit === b.commit && a.prepare > b.prepare);

/**
 * Confirmation, the events after the start position (exclusive), the caught-up message, then live
 * events. Catch-up and registration for live events happen in one synchronous step, so no append
 * can fall between them. A start inside the log that is not where a record starts is refused after
 * the confirmation, as a node does; a start at or past the end just waits for newer events.
 *
 * Filtered subscriptions report checkpoints as 24.10 does, so a client can record progress while
 * the filter skips long stretches: catching up, after each page of `window` events once
 * `multiplier × window` events were considered since the last one, at the later of the last event
 * sent and the page's start (written `{commit: start, prepare: 0}`, as the server does); once more
 * when catch-up ends; live, at every `multiplier × window`-th event, at that event.
 */
export function subscribeToAll(log: StandInLog, subscriptions: Subscriptions, call: ReadCall, keep: (event: StoredEvent) => boolean): void {
  const options = call.request.getOptions()!;
  const all = options.getAll()!;
  const from = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? log.lastPosition() : null;
  subscriptions.starts.push(from);
  call.write(confirmationResponse(randomUUID()));
  if (from !== null && !log.isReadablePosition(from)) {
    call.emit('error', { code: status.INVALID_ARGUMENT, details: 'Trying to read from an invalid position.' });
    return;
  }
  const filter = options.hasFilter() ? options.getFilter() : undefined;
  const window = filter?.hasMax() ? filter.getMax() : READ_BATCH_SIZE;
  const interval = filter ? Math.max(1, filter.getCheckpointintervalmultiplier()) * window : Infinity;
  // Live events at or before a start past the end are not wanted either.
  const send = (event: StoredEvent) => event.position > (from ?? -1n) && keep(event) && call.write(eventResponse(event));

  let checkpoint: Position = from === null ? { commit: NO_POSITION, prepare: NO_POSITION } : { commit: from, prepare: from };
  let considered = 0;
  const backlog = log.after(from);
  for (let start = 0; start < backlog.length; start += window) {
    const page = backlog.slice(start, start + window);
    for (const event of page) if (send(event)) checkpoint = { commit: event.position, prepare: event.position };
    considered += page.length;
    const pageStart = start === 0 ? { commit: from ?? 0n, prepare: from ?? 0n } : { commit: page[0]!.position, prepare: 0n };
    if (filter && start + window < backlog.length && considered >= interval) {
      considered %= interval;
      if (checkpoint.commit === NO_POSITION || after(pageStart, checkpoint)) checkpoint = pageStart;
      call.write(checkpointResponse(checkpoint.commit, checkpoint.prepare));
    }
  }
  if (filter) call.write(checkpointResponse(checkpoint.commit, checkpoint.prepare));
  call.write(caughtUpResponse());
  followLive(log, subscriptions, call, send, interval);
}

function followLive(log: StandInLog, subscriptions: Subscriptions, call: ReadCall, send: (event: StoredEvent) => boolean, interval: number): void {
  let considered = 0;
  const stopListening = log.onAppend((events) => {
    for (const event of events) {
      send(event);
      if (++considered < interval) continue;
      considered = 0;
      call.write(checkpointResponse(event.position, event.position));
    }
  });
  const forget = subscriptions.add(() => {
    end();
    // What a client sees when the node goes away under a subscription.
    call.emit('error', { code: status.UNAVAILABLE, details: 'Subscription dropped by the server' });
  });
  const end = () => {
    stopListening();
    forget();
  };
  call.on('cancelled', end);
  call.on('close', end);
}
