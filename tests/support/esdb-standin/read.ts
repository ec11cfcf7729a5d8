/** Streams.Read of the EventStoreDB stand-in (a test double; see index.ts). */
import { status, type ServerWritableStream } from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { StandInLog, StoredEvent } from './log.js';
import { eventResponse, streamNotFoundResponse } from './messages.js';
import { subscribeToAll, type Subscriptions } from './subscribe-all.js';

const { Options } = streamsPb.ReadReq;
const decoder = new TextDecoder();

type ReadCall = ServerWritableStream<ReadReq, ReadResp>;

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
    if (subscription) return subscribeToAll(log, subscriptions, call, keep);
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
  // The node's read enumerator reports a refused position as an unexpected read result.
  if (typeof from === 'bigint' && !log.isReadablePosition(from)) return fail(call, status.UNKNOWN, 'Unexpected ReadAllResult: InvalidPosition');
  for (const event of log.readAll(from, isForwards(options), BigInt(options.getCount()), keep)) call.write(eventResponse(event));
  call.end();
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
