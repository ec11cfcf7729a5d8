import { eventTypeFilter, excludeSystemEvents, streamNameFilter, type AllStreamSubscription, type Filter, type Position } from '@eventstore/db-client';
import type { AllFilter } from '../port.js';

/** Pushed into the driver's stream when the server reports a filter checkpoint. */
export interface CheckpointMarker {
  checkpoint: Position;
}

export function isCheckpointMarker(item: unknown): item is CheckpointMarker {
  return typeof item === 'object' && item !== null && 'checkpoint' in item;
}

/**
 * The part of the port's filter the server applies to a subscription, so events the consumer does
 * not want are skipped on the node rather than sent over the wire: the stream prefixes if any,
 * otherwise the event types (as prefixes; the exact match is checked on arrival), otherwise only
 * the server's own events are left out. A server filter takes one of the two, so with both the
 * event types are checked on arrival too.
 *
 * While the filter skips events, the server reports how far it has looked (a checkpoint every 32
 * events considered by default). The driver calls back in order with the events; the callback
 * puts a marker into the same stream, so the subscription sees it exactly between the events it
 * falls between.
 */
export function subscriptionFilter(filter: AllFilter | undefined): Filter {
  const checkpointReached = (subscription: AllStreamSubscription, position: Position) => {
    if (!subscription.destroyed) subscription.push({ checkpoint: position } satisfies CheckpointMarker);
  };
  if (filter?.streamPrefixes?.length) return streamNameFilter({ prefixes: filter.streamPrefixes, checkpointReached });
  if (filter?.eventTypes?.length) return eventTypeFilter({ prefixes: filter.eventTypes, checkpointReached });
  return excludeSystemEvents({ checkpointReached });
}
