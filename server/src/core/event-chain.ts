import { hash } from 'node:crypto';
import type { EventStore } from '@harborguard/eventstore';

/**
 * Tamper evidence, kept above the store port so it works the same on every store: each event's
 * metadata carries `chain: { prev, hash }`, where `hash` is SHA-256 over the event's stream,
 * revision, id, type, data and metadata (with `prev`, without `hash`), in canonical JSON, and
 * `prev` is the `hash` of the previous event of the same stream (null for a stream's first
 * chained event). Chains are per stream, so concurrent appends to different streams need no
 * coordination, and writing them costs nothing where nothing is appended (heartbeats).
 */
export interface ChainLink {
  prev: string | null;
  hash: string;
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

export function chainHash(event: ChainedContent, prev: string | null): string {
  const { chain: _chain, ...metadata } = event.metadata;
  return hash('sha256', canonicalJson([event.streamName, event.revision.toString(), event.id, event.type, event.data ?? null, { ...metadata, chain: { prev } }]));
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
  const chain = metadata['chain'] as Partial<ChainLink> | undefined;
  if (chain === null || typeof chain !== 'object' || typeof chain.hash !== 'string' || !(chain.prev === null || typeof chain.prev === 'string')) return undefined;
  return { prev: chain.prev, hash: chain.hash };
}

/** Heads kept in memory; a stream not among them is looked up in the store (its last event). */
const MAX_HEADS = 100_000;

/**
 * The hash of each stream's newest event, for the writer to chain the next one to. Callers
 * hold the stream's turn (appends to one stream are serialized), so a head never races.
 */
export class ChainHeads {
  private readonly heads = new Map<string, string | null>();

  constructor(private readonly store: EventStore) {}

  async head(streamName: string): Promise<string | null> {
    const known = this.heads.get(streamName);
    if (known !== undefined) return known;
    const [last] = await this.store.readStream(streamName, { direction: 'backwards', fromRevision: 'end', maxCount: 1 });
    const head = last ? (linkOf(last.metadata)?.hash ?? null) : null;
    this.remember(streamName, head);
    return head;
  }

  remember(streamName: string, head: string | null): void {
    this.heads.delete(streamName);
    this.heads.set(streamName, head);
    // Oldest first out: a Map iterates in insertion order.
    if (this.heads.size > MAX_HEADS) this.heads.delete(this.heads.keys().next().value!);
  }

  /** After a failed or conflicting append, the store is asked again. */
  forget(streamName: string): void {
    this.heads.delete(streamName);
  }
}
