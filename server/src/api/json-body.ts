import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSONParser } from '@streamparser/json';
import { AppError } from '../domain/errors.js';

/** The body limit of every route but the results upload. */
export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The client went away before its request was read: nobody is left to answer, and it is
 * not a failure of the service.
 */
export class ClientGoneError extends Error {
  constructor() {
    super('Client closed the connection');
    this.name = 'ClientGoneError';
  }
}

const tooLarge = (limit: number) => new AppError('payload_too_large', `Request body is larger than ${describeBytes(limit)}`);

function describeBytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/** Told once how reading a body ended: its size, or why it failed. */
export type BodyDone = (error: Error | null, size: number) => void;

/**
 * Feeds the body to `onChunk` as it arrives, refusing it (413) once it passes `limit`, and
 * failing with ClientGoneError if the connection closes first; `done` is called exactly once.
 * Plain stream events and a callback: this runs for every heartbeat, where promises and
 * once-wrappers cost more than the parse.
 */
function consumeBodyThen(req: IncomingMessage, limit: number, onChunk: (chunk: Buffer) => void, done: BodyDone): void {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return done(tooLarge(limit), 0);
  let size = 0;
  let settled = false;
  const finish = (error: Error | null) => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    if (error) req.resume();
    done(error, size);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) return finish(tooLarge(limit));
    try {
      onChunk(chunk);
    } catch (error) {
      finish(error as Error);
    }
  };
  // `finish` settles once, so plain listeners do where `once` would wrap each in another closure.
  // No 'error' listener: a request emits 'error' only to listeners it has, and 'close' follows
  // every way a request ends, so a connection lost mid-body is told there.
  req.on('data', onData);
  req.on('end', () => finish(null));
  req.on('close', () => finish(req.complete ? null : new ClientGoneError()));
}

function consumeBody(req: IncomingMessage, limit: number, onChunk: (chunk: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => consumeBodyThen(req, limit, onChunk, (error, size) => (error ? reject(error) : resolve(size))));
}

const notJson = () => new AppError('bad_request', 'Request body is not valid JSON');

/**
 * Reads a JSON body of at most `limit` bytes; an empty body reads as `{}`. Calls `done`
 * once, with the parsed value or the refusal.
 */
export function readJsonBodyThen(req: IncomingMessage, limit: number, done: (error: Error | null, value?: unknown) => void): void {
  let first: Buffer | undefined;
  let chunks: Buffer[] | undefined;
  const keep = (chunk: Buffer) => {
    if (first === undefined) first = chunk;
    else (chunks ??= [first]).push(chunk);
  };
  consumeBodyThen(req, limit, keep, (error, size) => {
    if (error) return done(error);
    if (size === 0) return done(null, {});
    let value: unknown;
    try {
      value = JSON.parse((chunks ? Buffer.concat(chunks, size) : first!).toString('utf8'));
    } catch {
      return done(notJson());
    }
    done(null, value);
  });
}

/** Reads a JSON body of at most `limit` bytes (1 MiB by default); an empty body reads as `{}`. */
export function readJsonBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => readJsonBodyThen(req, limit, (error, value) => (error ? reject(error) : resolve(value))));
}

/**
 * Reads only the named top-level fields of a JSON object body of at most `limit` bytes. The
 * body is parsed as it streams in and everything else is dropped on the way, so a body of
 * many MiB costs the service the fields kept, never a copy of the whole.
 */
export async function readJsonFields(req: IncomingMessage, fields: readonly string[], limit: number): Promise<Record<string, unknown>> {
  const kept: Record<string, unknown> = {};
  const parser = new JSONParser({ paths: fields.map((field) => `$.${field}`), keepStack: false });
  let failed = false;
  parser.onValue = ({ value, key }) => {
    if (typeof key === 'string') kept[key] = value;
  };
  parser.onError = () => void (failed = true);
  // Only an object has fields: the first significant byte must open one.
  let opened: boolean | null = null;
  const size = await consumeBody(req, limit, (chunk) => {
    opened ??= firstSignificantByte(chunk, (byte) => byte === 0x7b);
    if (opened === false) throw new AppError('bad_request', 'Request body must be a JSON object');
    // After the object closes, only white space may follow (e.g. the newline of Go's json.Encoder).
    if (!parser.isEnded) parser.write(chunk);
    else if (firstSignificantByte(chunk, () => true) !== null) failed = true;
    if (failed) throw notJson();
  });
  if (size === 0) return {};
  if (!parser.isEnded) parser.end();
  if (failed || opened !== true) throw notJson();
  return kept;
}

/** Applies `test` to the first byte that is not JSON white space, or null when there is none. */
function firstSignificantByte(chunk: Buffer, test: (byte: number) => boolean): boolean | null {
  for (const byte of chunk) if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return test(byte);
  return null;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(payload) });
  res.end(payload);
}
