import { hash } from 'node:crypto';

/**
 * Tamper evidence, kept above the store port so it works the same on every store: each event's
 * metadata carries `chain`, whose `hash` covers the event and whose `prev` is the `hash` of the
 * previous event of the same stream (null for a stream's first chained event). Chains are per
 * stream, so concurrent appends to different streams need no coordination, and writing them
 * costs nothing where nothing is appended (heartbeats).
 *
 * What `hash` covers has two versions, both checked:
 * - version 2 (written now), `chain = {v: 2, prev, hash}` as the metadata's last key: SHA-256 over
 *   the stream, revision, id and type (each length-prefixed), the data's JSON text and the
 *   metadata's JSON text up to `prev` (everything before `,"hash":`), exactly as stored. A check
 *   hashes the texts as read, without parsing or serialising anything.
 * - version 1, `chain = {prev, hash}`: SHA-256 over the canonical JSON of the stream, revision,
 *   id, type, data and metadata (with `prev`, without `hash`). A check parses and re-serialises.
 */
export interface ChainLink {
  prev: string | null;
  hash: string;
  /** Which content the hash covers: 1 or 2. */
  version: 1 | 2;
}

export interface ChainedContent {
  streamName: string;
  revision: bigint;
  id: string;
  type: string;
  data: unknown;
  /** The metadata as stored: `chain.hash` is left out of what is hashed. */
  metadata: Record<string, unknown>;
}

/** The version 1 hash of an event (see above). */
export function chainHash(event: ChainedContent, prev: string | null): string {
  const { chain: _chain, ...metadata } = event.metadata;
  return hash('sha256', canonicalJson([event.streamName, event.revision.toString(), event.id, event.type, event.data ?? null, { ...metadata, chain: { prev } }]));
}

/** What a version 2 hash covers: `metadataHead` is the metadata's text up to `prev` (see above). */
export function chainHashV2(event: { streamName: string; revision: bigint; id: string; type: string }, dataText: string, metadataHead: string): string {
  const { streamName, id, type } = event;
  return hash('sha256', `${streamName.length}:${streamName}${event.revision}\n${id.length}:${id}${type.length}:${type}${dataText.length}:${dataText}${metadataHead}`);
}

/**
 * The event as the writer appends it, chained (version 2) to `prev`: its metadata with `chain`
 * last, so that the stored text is the hashed text followed by the hash.
 */
export function chainEvent<M extends Record<string, unknown>>(event: ChainedContent & { metadata: M }, prev: string | null): { metadata: Omit<M, 'chain'> & { chain: ChainLinkV2 }; hash: string } {
  const { chain: _chain, ...rest } = event.metadata;
  const unhashed = JSON.stringify({ ...rest, chain: { v: 2, prev } });
  const hashed = chainHashV2(event, JSON.stringify(event.data ?? null), unhashed.slice(0, -2));
  return { metadata: { ...rest, chain: { v: 2, prev, hash: hashed } }, hash: hashed };
}

interface ChainLinkV2 {
  v: 2;
  prev: string | null;
  hash: string;
}

const HASH_TAIL = ',"hash":"'.length + 64 + '"}}'.length;
const V2_NULL_PREV = '"chain":{"v":2,"prev":null';
const V2_PREV = '"chain":{"v":2,"prev":"';

/**
 * A version 2 link read straight from the metadata's stored text, with the text it covers
 * (`head`); undefined when the text does not end the way the writer writes it. Its end can only
 * be JSON structure (inside a JSON string every quote is escaped), so what is read here is what
 * parsing the text would give.
 */
export function storedLinkV2(metadataText: string): (ChainLink & { head: string }) | undefined {
  const tail = metadataText.length - HASH_TAIL;
  if (tail <= 0 || !metadataText.startsWith(',"hash":"', tail) || !metadataText.endsWith('"}}')) return undefined;
  const head = metadataText.slice(0, tail);
  const hash = metadataText.slice(tail + 9, tail + 73);
  if (head.endsWith(V2_NULL_PREV)) return { prev: null, hash, version: 2, head };
  if (head.startsWith(V2_PREV, head.length - 65 - V2_PREV.length) && head.endsWith('"')) return { prev: head.slice(-65, -1), hash, version: 2, head };
  return undefined;
}

/**
 * JSON with object keys sorted (by UTF-16 code units) and no whitespace: for the JSON values
 * events hold (strings, finite numbers, booleans, null, arrays, objects) the same text as
 * RFC 8785, so the hash does not depend on how a store orders keys. Written here rather than
 * taken from a library because verification runs it once per event of the whole log.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (value[i] === undefined ? 'null' : canonicalJson(value[i]));
    return out + ']';
  }
  let out = '{';
  for (const key of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[key];
    if (field === undefined) continue;
    out += (out.length === 1 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(field);
  }
  return out + '}';
}

/** The chain link an event carries, when it carries a well-formed one. */
export function linkOf(metadata: Record<string, unknown>): ChainLink | undefined {
  const chain = metadata['chain'] as (Partial<ChainLink> & { v?: unknown }) | undefined;
  if (chain === null || typeof chain !== 'object' || typeof chain.hash !== 'string' || !(chain.prev === null || typeof chain.prev === 'string')) return undefined;
  return { prev: chain.prev, hash: chain.hash, version: chain.v === 2 ? 2 : 1 };
}
