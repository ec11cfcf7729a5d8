/** Streams.Append of the EventStoreDB stand-in (a test double; see index.ts). */
import { status, type sendUnaryData, type ServerReadableStream } from '@grpc/grpc-js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';
import type { AppendReq, AppendResp } from '@eventstore/db-client/generated/streams_pb.js';
import type { Expected, ProposedEvent, StandInLog } from './log.js';
import { empty } from './messages.js';

const { AppendReq: AppendReqMessage, AppendResp: AppendRespMessage } = streamsPb;
const decoder = new TextDecoder();

/** Client-streaming: the options message first, then one proposed message per event. */
export function appendHandler(log: StandInLog) {
  return (call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>) => {
    let options: AppendReq.Options | undefined;
    const proposed: ProposedEvent[] = [];
    let failed = false;
    const fail = (code: status, details: string) => {
      if (failed) return;
      failed = true;
      callback({ code, details });
    };
    call.on('data', (request: AppendReq) => {
      if (request.getContentCase() === AppendReqMessage.ContentCase.OPTIONS) {
        options = request.getOptions();
        return;
      }
      const message = request.getProposedMessage();
      if (!options || !message) return fail(status.INVALID_ARGUMENT, 'Append must start with options');
      const metadata = message.getMetadataMap();
      const type = metadata.get('type');
      const contentType = metadata.get('content-type');
      if (type === undefined || contentType === undefined) return fail(status.INVALID_ARGUMENT, 'Required metadata property missing: type, content-type');
      proposed.push({
        id: message.getId()?.getString() || crypto.randomUUID(),
        type,
        contentType,
        data: message.getData_asU8(),
        metadata: message.getCustomMetadata_asU8(),
      });
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (failed) return;
      if (!options) return fail(status.INVALID_ARGUMENT, 'Append without options');
      const streamName = decoder.decode(options.getStreamIdentifier()?.getStreamName_asU8() ?? new Uint8Array());
      const expected = toExpected(options);
      const outcome = log.append(streamName, expected, proposed);
      const response = new AppendRespMessage();
      if (outcome.ok) {
        const success = new AppendRespMessage.Success();
        if (outcome.currentRevision === null) success.setNoStream(empty());
        else success.setCurrentRevision(outcome.currentRevision.toString());
        if (outcome.position === null) success.setNoPosition(empty());
        else {
          const position = new AppendRespMessage.Position();
          position.setCommitPosition(outcome.position.toString());
          position.setPreparePosition(outcome.position.toString());
          success.setPosition(position);
        }
        response.setSuccess(success);
      } else {
        response.setWrongExpectedVersion(wrongExpectedVersion(expected, outcome.currentRevision));
      }
      callback(null, response);
    });
  };
}

function toExpected(options: AppendReq.Options): Expected {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReqMessage.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case AppendReqMessage.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    case AppendReqMessage.Options.ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    default:
      return { kind: 'any' };
  }
}

/** Carries the current revision (or no-stream) and echoes the expectation, as the server does. */
function wrongExpectedVersion(expected: Expected, current: bigint | null): AppendResp.WrongExpectedVersion {
  const wrong = new AppendRespMessage.WrongExpectedVersion();
  if (current === null) wrong.setCurrentNoStream(empty());
  else wrong.setCurrentRevision(current.toString());
  if (expected.kind === 'revision') wrong.setExpectedRevision(expected.revision.toString());
  else if (expected.kind === 'no_stream') wrong.setExpectedNoStream(empty());
  else if (expected.kind === 'stream_exists') wrong.setExpectedStreamExists(empty());
  else wrong.setExpectedAny(empty());
  return wrong;
}
