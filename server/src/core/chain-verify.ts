import type { EventStore, RecordedEvent } from '@harborguard/eventstore';
import type { VerifyResult } from '@harborguard/shared';
import { chainHash, linkOf } from './event-chain.js';

const VERIFY_PAGE = 5_000;

/** The newest event seen of a stream: the next one must follow its revision and chain to its hash. */
interface StreamHead {
  revision: bigint;
  /** Null while the stream's events carry no hash (written before the chain existed). */
  hash: string | null;
}

/**
 * Reads the whole log through the store port, in position order, and checks every stream's
 * hash chain: each event's hash matches its content, names its stream's previous hash, and
 * follows that event's revision. Reports the first position where that fails.
 */
export async function verifyChain(store: EventStore, onPage?: (checkedUpTo: bigint) => void): Promise<VerifyResult> {
  const heads = new Map<string, StreamHead>();
  let checkedUpTo: bigint | null = null;
  let from: bigint | 'start' = 'start';
  for (;;) {
    const page = await store.readAll({ fromPosition: from, maxCount: VERIFY_PAGE });
    for (const event of page) {
      const reason = breakAt(event, heads.get(event.streamName));
      if (reason !== null) return { intact: false, checkedUpTo: checkedUpTo?.toString() ?? null, firstBreak: { position: event.position.toString(), reason } };
      heads.set(event.streamName, { revision: event.revision, hash: linkOf(event.metadata)?.hash ?? null });
      checkedUpTo = event.position;
    }
    if (checkedUpTo !== null) onPage?.(checkedUpTo);
    if (page.length < VERIFY_PAGE) return { intact: true, checkedUpTo: checkedUpTo?.toString() ?? null };
    from = page.at(-1)!.position + 1n;
  }
}

/** Why an event does not continue its stream's chain, or null when it does. */
export function breakAt(event: RecordedEvent, head: StreamHead | undefined): string | null {
  const expectedRevision = head === undefined ? 0n : head.revision + 1n;
  if (event.revision !== expectedRevision) {
    return head === undefined
      ? `the stream starts at revision ${event.revision}: its earlier events are missing`
      : `revision ${event.revision} follows revision ${head.revision} of its stream: events are missing or out of order`;
  }
  const link = linkOf(event.metadata);
  if (link === undefined) return head?.hash ? 'the event carries no hash although its stream is chained: it was rewritten' : null;
  if (link.prev !== (head?.hash ?? null)) return "the event's previous-hash is not the hash of its stream's previous event: an event before it was changed or removed";
  if (chainHash(event, link.prev) !== link.hash) return "the event's content does not match its hash: it was edited";
  return null;
}
