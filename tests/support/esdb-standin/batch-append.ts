/** Streams.BatchAppend of the EventStoreDB stand-in (a test double; see index.ts). */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import anyPb from 'google-protobuf/google/protobuf/any_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import statusPb from '@eventstore/db-client/generated/status_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { BatchAppendReq, BatchAppendResp } from '@eventstore/db-client/generated/streams_pb.js';
import { CONNECTION_DROPPED, type AppendFaults } from './faults.js';
import { appendSize, MAX_APPEND_SIZE, type Expected, type ProposedEvent, type StandInLog } from './log.js';
import { empty, streamIdentifier } from './messages.js';

const { BatchAppendReq: Req, BatchAppendResp: Resp } = streamsPb;
const decoder = new TextDecoder();

interface PendingWrite {
  streamName: string;
  expected: Expected;
  proposed: ProposedEvent[];
}

/**
 * Bidirectional: each request carries a correlation id; the first of an append carries its options,
 * the last is marked final; one response per append, with the same correlation id. As on the
 * server, an append is refused once its events exceed the maximum append size, and a refusal or a
 * failure is a response carrying a `google.rpc.Status`, not the end of the call.
 */
export function batchAppendHandler(log: StandInLog, faults: AppendFaults) {
  return (call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>) => {
    const pending = new Map<string, PendingWrite>();
    let dropped = false;
    const reply = (correlation: sharedPb.UUID | undefined, streamName: string, fill: (response: BatchAppendResp) => void) => {
      if (dropped) return;
      const response = new Resp();
      if (correlation) response.setCorrelationId(correlation);
      response.setStreamIdentifier(streamIdentifier(streamName));
      fill(response);
      call.write(response);
    };
    const drop = () => {
      dropped = true;
      call.emit('error', CONNECTION_DROPPED);
    };
    call.on('data', (request: BatchAppendReq) => {
      const correlation = request.getCorrelationId();
      const key = correlation?.getString() ?? '';
      const options = request.getOptions();
      if (options) pending.set(key, { streamName: streamNameOf(options), expected: toExpected(options), proposed: [] });
      const write = pending.get(key);
      if (!write) return;
      write.proposed.push(...request.getProposedMessagesList().map(toProposed));
      if (appendSize(write.proposed) > MAX_APPEND_SIZE) {
        pending.delete(key);
        return reply(correlation, write.streamName, (r) => r.setError(maximumAppendSizeExceeded()));
      }
      if (!request.getIsFinal()) return;
      pending.delete(key);
      const fault = faults.next();
      if (fault === 'drop') return drop();
      if (fault === 'not-ready' || fault === 'busy') {
        return reply(correlation, write.streamName, (r) => r.setError(notHandled(fault === 'busy' ? 'Server Is Busy' : 'Server Is Not Ready')));
      }
      const outcome = log.append(write.streamName, write.expected, write.proposed);
      if (fault === 'commit-then-drop') return drop();
      reply(correlation, write.streamName, (r) => {
        if (outcome.ok) r.setSuccess(success(outcome.currentRevision, outcome.position));
        else r.setError(wrongExpectedVersion(write.expected, outcome.currentRevision));
      });
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (!dropped) call.end();
    });
  };
}

function streamNameOf(options: BatchAppendReq.Options): string {
  return decoder.decode(options.getStreamIdentifier()?.getStreamName_asU8() ?? new Uint8Array());
}

function toExpected(options: BatchAppendReq.Options): Expected {
  switch (options.getExpectedStreamPositionCase()) {
    case Req.Options.ExpectedStreamPositionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case Req.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    case Req.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    default:
      return { kind: 'any' };
  }
}

function toProposed(message: BatchAppendReq.ProposedMessage): ProposedEvent {
  const metadata = message.getMetadataMap();
  return {
    id: message.getId()?.getString() || crypto.randomUUID(),
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? 'application/octet-stream',
    data: message.getData_asU8(),
    metadata: message.getCustomMetadata_asU8(),
  };
}

function success(revision: bigint | null, position: bigint | null): BatchAppendResp.Success {
  const result = new Resp.Success();
  if (revision === null) result.setNoStream(empty());
  else result.setCurrentRevision(revision.toString());
  if (position === null) result.setNoPosition(empty());
  else {
    const at = new sharedPb.AllStreamPosition();
    at.setCommitPosition(position.toString());
    at.setPreparePosition(position.toString());
    result.setPosition(at);
  }
  return result;
}

/** `google.rpc.Status` with a packed detail, as the server builds its batch-append errors. */
function status(code: number, message: string, detail: { serializeBinary(): Uint8Array }, typeName: string): statusPb.Status {
  const details = new anyPb.Any();
  details.pack(detail.serializeBinary(), typeName);
  const result = new statusPb.Status();
  result.setCode(code);
  result.setMessage(message);
  result.setDetails(details);
  return result;
}

/** A node that cannot take the write: the server packs an empty detail and says why in the message. */
function notHandled(message: string): statusPb.Status {
  return status(0, message, empty(), 'google.protobuf.Empty');
}

function maximumAppendSizeExceeded(): statusPb.Status {
  const detail = new sharedPb.MaximumAppendSizeExceeded();
  detail.setMaxappendsize(MAX_APPEND_SIZE);
  return status(3 /* INVALID_ARGUMENT */, 'MaximumAppendSizeExceeded', detail, 'event_store.client.MaximumAppendSizeExceeded');
}

function wrongExpectedVersion(expected: Expected, current: bigint | null): statusPb.Status {
  const detail = new sharedPb.WrongExpectedVersion();
  if (current === null) detail.setCurrentNoStream(empty());
  else detail.setCurrentStreamRevision(current.toString());
  if (expected.kind === 'revision') detail.setExpectedStreamPosition(expected.revision.toString());
  else if (expected.kind === 'no_stream') detail.setExpectedNoStream(empty());
  else if (expected.kind === 'stream_exists') detail.setExpectedStreamExists(empty());
  else detail.setExpectedAny(empty());
  return status(6 /* ALREADY_EXISTS */, 'WrongExpectedVersion', detail, 'event_store.client.WrongExpectedVersion');
}
