import type { EventStore, RawRecordedEvent } from '@harborguard/eventstore';
import type { VerifyResult } from '@harborguard/shared';
import { chainHash, chainHashV2, linkOf, storedLinkV2, type ChainLink } from './event-chain.js';
import { EMPTY_DIGEST, foldDigest, isAnchor } from './audit-anchors.js';
import { rawLogPages } from './log-pages.js';

/** Events per page: small enough (under 1 MB of text) that a page dies in the young generation. */
const VERIFY_PAGE = 1_000;

/** The newest event seen of a stream: the next one must follow its revision and chain to its hash. */
interface StreamHead {
  revision: bigint;
  /** Null while the stream's events carry no hash (written before the chain existed). */
  hash: string | null;
}

/** Digests kept for the most recent positions: an anchor names a position read just before it was written. */
const RECENT_DIGESTS = 100_000;

/**
 * The running digest (and event count) at each of the last positions, in a ring, positions
 * increasing. Kept in typed arrays: a million events leave no million strings behind for the
 * garbage collector.
 */
class RecentDigests {
  private readonly positions = new BigUint64Array(RECENT_DIGESTS);
  private readonly counts = new Float64Array(RECENT_DIGESTS);
  /** Each digest's 64 hex characters, one byte each. */
  private readonly digests = Buffer.alloc(RECENT_DIGESTS * 64);
  private size = 0;
  private next = 0;

  push(position: bigint, events: number, digest: string): void {
    this.positions[this.next] = position;
    this.counts[this.next] = events;
    this.digests.write(digest, this.next * 64, 64, 'latin1');
    this.next = (this.next + 1) % RECENT_DIGESTS;
    this.size = Math.min(this.size + 1, RECENT_DIGESTS);
  }

  /** The oldest position kept, if any. */
  get oldest(): bigint | undefined {
    return this.size === 0 ? undefined : this.positions[(this.next - this.size + RECENT_DIGESTS) % RECENT_DIGESTS];
  }

  /** Binary search over the ring. */
  find(position: bigint): { events: number; digest: string } | undefined {
    let low = 0;
    let high = this.size - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const slot = (this.next - this.size + middle + RECENT_DIGESTS) % RECENT_DIGESTS;
      const here = this.positions[slot]!;
      if (here === position) return { events: this.counts[slot]!, digest: this.digests.toString('latin1', slot * 64, slot * 64 + 64) };
      if (here < position) low = middle + 1;
      else high = middle - 1;
    }
    return undefined;
  }
}

export interface ChainReport extends VerifyResult {
  /** The position the newest intact anchor commits to: events after it could be cut without trace. */
  anchoredUpTo: string | null;
}

/**
 * Reads the whole log through the store port, in position order, payloads as stored text, and
 * checks every stream's hash chain (each event's hash matches its content, names its stream's
 * previous hash, and follows that event's revision) and every anchor (the digest and count of
 * the log up to the position it names). Reports the first position where either fails.
 */
export async function verifyChain(store: EventStore, onPage?: (checkedUpTo: bigint) => void): Promise<ChainReport> {
  const heads = new Map<string, StreamHead>();
  const recent = new RecentDigests();
  let digest = EMPTY_DIGEST;
  let events = 0;
  let checkedUpTo: bigint | null = null;
  let anchoredUpTo: bigint | null = null;
  const broken = (event: RawRecordedEvent, reason: string): ChainReport => ({
    intact: false,
    checkedUpTo: checkedUpTo?.toString() ?? null,
    firstBreak: { position: event.position.toString(), reason },
    anchoredUpTo: anchoredUpTo?.toString() ?? null,
  });
  for await (const page of rawLogPages(store, { pageSize: VERIFY_PAGE })) {
    for (const event of page) {
      const head = heads.get(event.streamName);
      const checked = examine(event);
      const anchor = isAnchor(event);
      const reason = breakAt(event, checked, head) ?? (anchor ? anchorBreak(event, recent) : null);
      if (reason !== null) return broken(event, reason);
      if (anchor) anchoredUpTo = BigInt((JSON.parse(event.data) as { upTo: string }).upTo);
      if (head === undefined) heads.set(event.streamName, { revision: event.revision, hash: checked.link?.hash ?? null });
      else {
        head.revision = event.revision;
        head.hash = checked.link?.hash ?? null;
      }
      digest = foldDigest(digest, checked.hash!);
      recent.push(event.position, ++events, digest);
      checkedUpTo = event.position;
    }
    if (checkedUpTo !== null) onPage?.(checkedUpTo);
  }
  return { intact: true, checkedUpTo: checkedUpTo?.toString() ?? null, anchoredUpTo: anchoredUpTo?.toString() ?? null };
}

/** What the check found, as one line a person can act on. */
export function describeReport(report: ChainReport): string {
  if (!report.intact) {
    const before = report.checkedUpTo === null ? 'no event before it is intact' : `intact up to position ${report.checkedUpTo}`;
    return `BROKEN at position ${report.firstBreak!.position}: ${report.firstBreak!.reason} (${before})`;
  }
  if (report.checkedUpTo === null) return 'intact: the log is empty';
  const anchored = report.anchoredUpTo === null ? 'no anchor yet, so events removed from the end of a stream would not show' : `anchored up to position ${report.anchoredUpTo}`;
  return `intact up to position ${report.checkedUpTo} (${anchored})`;
}

/** Why an anchor does not match the log before it, or null when it does. */
function anchorBreak(event: RawRecordedEvent, recent: RecentDigests): string | null {
  const data = JSON.parse(event.data) as { upTo?: unknown; events?: unknown; digest?: unknown } | null;
  if (typeof data?.upTo !== 'string' || !/^\d+$/.test(data.upTo)) return 'the anchor names no position';
  const upTo = BigInt(data.upTo);
  const there = recent.find(upTo);
  if (there === undefined) {
    const oldest = recent.oldest;
    return oldest !== undefined && upTo < oldest
      ? `the anchor commits to position ${upTo}, too far behind it to check`
      : `the anchor commits to position ${upTo}, where the log has no event: events were removed`;
  }
  if (there.events !== data.events) return `the anchor counts ${String(data.events)} events up to position ${upTo}; the log has ${there.events}: events were removed or added`;
  if (there.digest !== data.digest) return `the log up to position ${upTo} does not match the anchor's digest: events were changed, removed or reordered`;
  return null;
}

/** What one stored event says about its place in its stream's chain. */
interface Examined {
  link: ChainLink | undefined;
  /** The event's own hash (its link's, or the version 1 hash of an event written before chains); null when its JSON is unreadable. */
  hash: string | null;
  /** Its content does not match its hash. */
  edited: boolean;
}

const UNREADABLE: Examined = { link: undefined, hash: null, edited: true };

/**
 * Checks an event's content against its hash. A version 2 link is read from the stored text and
 * the text hashed as read; anything else is parsed first.
 */
export function examine(event: RawRecordedEvent): Examined {
  const stored = storedLinkV2(event.metadata);
  if (stored) return { link: stored, hash: stored.hash, edited: chainHashV2(event, event.data, stored.head) !== stored.hash };
  let metadata: Record<string, unknown>;
  let data: unknown;
  try {
    metadata = JSON.parse(event.metadata) as Record<string, unknown>;
    data = JSON.parse(event.data) as unknown;
  } catch {
    return UNREADABLE;
  }
  if (metadata === null || typeof metadata !== 'object') return UNREADABLE;
  const link = linkOf(metadata);
  const content = { ...event, data, metadata };
  // A version 2 event's stored text no longer ends as written, so it cannot be what was hashed.
  if (link === undefined) return { link, hash: chainHash(content, null), edited: false };
  return { link, hash: link.hash, edited: link.version === 2 || chainHash(content, link.prev) !== link.hash };
}

/** Why an event does not continue its stream's chain, or null when it does. */
export function breakAt(event: RawRecordedEvent, checked: Examined, head: StreamHead | undefined): string | null {
  const expectedRevision = head === undefined ? 0n : head.revision + 1n;
  if (event.revision !== expectedRevision) {
    return head === undefined
      ? `the stream starts at revision ${event.revision}: its earlier events are missing`
      : `revision ${event.revision} follows revision ${head.revision} of its stream: events are missing or out of order`;
  }
  if (checked === UNREADABLE) return "the event's stored JSON is unreadable: it was edited";
  const link = checked.link;
  if (link === undefined) return head?.hash ? 'the event carries no hash although its stream is chained: it was rewritten' : null;
  if (link.prev !== (head?.hash ?? null)) return "the event's previous-hash is not the hash of its stream's previous event: an event before it was changed or removed";
  if (checked.edited) return "the event's content does not match its hash: it was edited";
  return null;
}
