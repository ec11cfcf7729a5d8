/** Streams.Read of the EventStoreDB stand-in (a test double; see index.ts). */
import { randomUUID } from 'node:crypto';
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { StandInLog, StoredEvent } from './log.js';
import { caughtUpResponse, confirmationResponse, eventResponse, streamNotFoundResponse } from './messages.js';

const { Options } = streamsPb.ReadReq;
const decoder = new TextDecoder();

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

/** Live subscriptions, so a test can drop them. */
export class Subscriptions {
  readonly #drops = new Set<() => void>();
  started = 0;

  add(drop: () => void): () => void {
    this.started += 1;
    this.#drops.add(drop);
    return () => this.#drops.delete(drop);
  }

  dropAll(): void {
    for (const drop of [...this.#drops]) drop();
  }
}

export function readHandler(log: StandInLog, subscriptions: Subscriptions) {
  return (call: ReadCall) => {
    const options = call.request.getOptions();
    if (!options) return fail(call, status.INVALID_ARGUMENT, 'Read without options');
    const subscription = options.getCountOptionCase() === Options.CountOptionCase.SUBSCRIPTION;
    if (options.hasStream()) {
      if (subscription) return fail(call, status.UNIMPLEMENTED, 'Stream subscriptions are not part of the stand-in');
      return readStream(log, call, options);
    }
    if (!options.hasAll()) return fail(call, status.INVALID_ARGUMENT, 'Read needs a stream or $all');
    const keep = toPredicate(options);
    if (subscription) return subscribeToAll(log, subscriptions, call, options, keep);
    return readAll(log, call, options, keep);
  };
}

function readStream(log: StandInLog, call: ReadCall, options: ReadReq.Options): void {
  const stream = options.getStream()!;
  const streamName = decoder.decode(stream.getStreamIdentifier()?.getStreamName_asU8() ?? new Uint8Array());
  const from = stream.hasRevision() ? BigInt(stream.getRevision()) : stream.hasEnd() ? 'end' : 'start';
  const events = log.readStream(streamName, from, isForwards(options), BigInt(options.getCount()));
  if (events === null) call.write(streamNotFoundResponse(streamName));
  else for (const event of events) call.write(eventResponse(event));
  call.end();
}

function readAll(log: StandInLog, call: ReadCall, options: ReadReq.Options, keep: (event: StoredEvent) => boolean): void {
  const all = options.getAll()!;
  const from = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? 'end' : 'start';
  for (const event of log.readAll(from, isForwards(options), BigInt(options.getCount()), keep)) call.write(eventResponse(event));
  call.end();
}

/**
 * Catch-up subscription: confirmation, the events after the start position (exclusive), the
 * caught-up message, then live events. Catch-up and registration for live events happen in one
 * synchronous step, so no append can fall between them.
 */
function subscribeToAll(
  log: StandInLog,
  subscriptions: Subscriptions,
  call: ReadCall,
  options: ReadReq.Options,
  keep: (event: StoredEvent) => boolean,
): void {
  const all = options.getAll()!;
  const after = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? log.lastPosition() : null;
  call.write(confirmationResponse(randomUUID()));
  const send = (events: StoredEvent[]) => {
    for (const event of events) if (keep(event)) call.write(eventResponse(event));
  };
  send(log.after(after));
  call.write(caughtUpResponse());
  const stopListening = log.onAppend(send);
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

function toPredicate(options: ReadReq.Options): (event: StoredEvent) => boolean {
  const filter = options.getFilter();
  if (!options.hasFilter() || !filter) return () => true;
  const byStream = filter.hasStreamIdentifier();
  const expression = byStream ? filter.getStreamIdentifier() : filter.getEventType();
  const regex = expression?.getRegex() ? new RegExp(expression.getRegex()) : null;
  const prefixes = expression?.getPrefixList() ?? [];
  return (event) => {
    const value = byStream ? event.streamName : event.type;
    return regex ? regex.test(value) : prefixes.some((prefix) => value.startsWith(prefix));
  };
}

function isForwards(options: ReadReq.Options): boolean {
  return options.getReadDirection() === Options.ReadDirection.FORWARDS;
}

function fail(call: ReadCall, code: status, details: string): void {
  call.emit('error', { code, details });
}
