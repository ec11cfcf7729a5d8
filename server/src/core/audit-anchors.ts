import { hash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { EventStore, RawRecordedEvent } from '@harborguard/eventstore';
import type { EventData } from '@harborguard/shared';
import type { Clock } from './clock.js';
import { chainHash, linkOf, storedLinkV2 } from './event-chain.js';
import type { EventWriter } from './event-writer.js';
import { rawLogPages } from './log-pages.js';

/** Each anchor is the only event of its own stream, named after the position it anchors. */
export const ANCHOR_STREAM_PREFIX = 'audit-anchor-';
export const ANCHOR_EVENT = 'AuditAnchor';
/** The digest before any event. */
export const EMPTY_DIGEST = '0'.repeat(64);
/**
 * Events read per turn of the event loop. An anchor reads everything stored since the last one
 * (a minute of a large fleet's contact checkpoints is megabytes of text), so it reads in short
 * steps that heartbeats and sensor timers can run between.
 */
const ANCHOR_PAGE = 250;

/** The running digest of the log up to a position. */
export interface LogDigest {
  upTo: bigint | null;
  events: number;
  digest: string;
}

/**
 * An event's own hash: its chain hash, or for an event written before chains, the (version 1)
 * hash of its content. Read from the stored text where the event carries a version 2 link;
 * throws when the stored JSON is unreadable.
 */
export function eventHash(event: RawRecordedEvent): string {
  const stored = storedLinkV2(event.metadata);
  if (stored) return stored.hash;
  const metadata = JSON.parse(event.metadata) as Record<string, unknown>;
  return linkOf(metadata)?.hash ?? chainHash({ ...event, data: JSON.parse(event.data), metadata }, null);
}

/** The digest after one more event's hash: commits to every event before it, in log order. */
export function foldDigest(digest: string, eventHash: string): string {
  return hash('sha256', digest + eventHash);
}

export const isAnchor = (event: { type: string; streamName: string }) => event.type === ANCHOR_EVENT && event.streamName.startsWith(ANCHOR_STREAM_PREFIX);

/**
 * Writes anchors: now and then (only when events other than anchors were stored since the
 * last), an `AuditAnchor` committing to the digest of the whole log up to the newest event it
 * read. Per-stream chains cannot show an event removed from the end of a stream, a whole stream
 * removed, or events of different streams swapped; an anchor can, for everything up to it.
 * Heartbeats append nothing, so between transitions there is nothing to anchor and nothing is written.
 */
export class AuditAnchors {
  private state: LogDigest | null = null;
  private timer: unknown;
  private stopped = false;

  constructor(
    private readonly store: EventStore,
    private readonly writer: EventWriter,
    private readonly clock: Clock,
    private readonly options: {
      intervalMs: number;
      /** Runs each anchoring in turn; the service passes its lock table, so `settled()` waits for anchors too. */
      serialize: (task: () => Promise<boolean>) => Promise<boolean>;
      log?: (line: string) => void;
    },
  ) {}

  start(): void {
    this.stopped = false;
    if (this.options.intervalMs > 0) this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
  }

  /** Anchors what is stored now, unless nothing but anchors was stored since the last one; true when it wrote one. */
  anchorNow(): Promise<boolean> {
    return this.options.serialize(() => this.anchor());
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      // Nothing new is stored while the store is away: the next anchor after it covers the gap.
      if (!this.writer.availability.available) return this.schedule();
      this.anchorNow()
        .catch((error: unknown) => this.options.log?.(`audit anchor not written: ${(error as Error).message}`))
        .finally(() => !this.stopped && this.schedule());
    }, this.options.intervalMs);
  }

  private async anchor(): Promise<boolean> {
    const state = this.state ?? (await this.lastAnchored());
    let fresh = false;
    let { upTo, events, digest } = state;
    for await (const page of rawLogPages(this.store, { after: upTo, pageSize: ANCHOR_PAGE })) {
      for (const event of page) {
        digest = foldDigest(digest, eventHash(event));
        events++;
        upTo = event.position;
        fresh ||= !isAnchor(event);
      }
      await nextTurn();
    }
    this.state = { upTo, events, digest };
    if (!fresh || upTo === null) return false;
    const data: EventData<'AuditAnchor'> = { upTo: upTo.toString(), events, digest };
    await this.writer.append(`${ANCHOR_STREAM_PREFIX}${upTo}`, [{ type: 'AuditAnchor', data }], { orgId: 'system', actor: { kind: 'system', id: 'audit-anchors' }, at: this.clock.now() });
    return true;
  }

  /** Where the newest anchor left the digest; the start of the log when there is none. */
  private async lastAnchored(): Promise<LogDigest> {
    const [last] = await this.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1, filter: { streamPrefixes: [ANCHOR_STREAM_PREFIX], eventTypes: [ANCHOR_EVENT] } });
    if (last === undefined) return { upTo: null, events: 0, digest: EMPTY_DIGEST };
    const data = last.data as EventData<'AuditAnchor'>;
    return { upTo: BigInt(data.upTo), events: data.events, digest: data.digest };
  }
}
