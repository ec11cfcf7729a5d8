import type { Position } from '@eventstore/db-client';
import { EventStoreError } from '../errors.js';

/** The server writes ulong.MaxValue (-1 as int64) when it has no position for an event. */
const NO_POSITION = (1n << 64n) - 1n;

/*
 * Mapping EventStoreDB's `{commit, prepare}` onto the port's single bigint.
 *
 * Every append through the gRPC API is an implicit transaction: the server writes one
 * self-committed prepare record per event (flag IsCommitted) and reports each event in `$all`
 * at `commit = prepare = that record's own log position` (AllReader builds
 * `TFPos(prepare.LogPosition, prepare.LogPosition)` for such records). So the events of one
 * multi-event append do not share a commit position; only the legacy TCP API's explicit
 * transactions produced events sharing a commit position with `prepare < commit`, and the product
 * never writes those.
 *
 * Hence the port position is the commit position: unique per event and strictly increasing in
 * `$all` order. Resuming from it rebuilds `{commit: p, prepare: p}`, which is exactly the server's
 * own position of that event, so it is a valid read/subscription position. An event whose
 * positions differ (explicit transaction) or are missing is refused rather than mapped lossily.
 */
export function toPortPosition(position: Position | undefined, context: string): bigint {
  if (position === undefined || position.commit === NO_POSITION) {
    throw new EventStoreError(`EventStoreDB reported no $all position for ${context}`);
  }
  if (position.commit !== position.prepare) {
    throw new EventStoreError(
      `EventStoreDB reported ${context} at commit ${position.commit} / prepare ${position.prepare}: ` +
        'events written in explicit transactions cannot be addressed by a single position',
    );
  }
  return position.commit;
}

/** Rebuilds the server position of the event at port position `position`. */
export function toEsdbPosition(position: bigint): Position {
  if (position < 0n || position >= NO_POSITION) throw new EventStoreError(`Invalid $all position ${position}`);
  return { commit: position, prepare: position };
}

/**
 * The port position a filter checkpoint allows resuming after, or `null` when it reports no
 * position yet. The server reports either an event's own position or, catching up, the start of
 * the page it has just searched as `{commit: start, prepare: 0}`: a record starts there and the
 * page, that record included, has been considered, so resuming after `start` skips nothing unread.
 */
export function checkpointPosition(position: Position): bigint | null {
  return position.commit >= NO_POSITION ? null : position.commit;
}
