import { START, type AllStreamResolvedEvent, type AllStreamSubscription, type EventStoreDBClient } from '@eventstore/db-client';
import { StoreUnavailable, SubscriptionFailed } from '../errors.js';
import type { AllFilter, SubscribeToAllOptions, SubscriptionMessage } from '../port.js';
import { isSystemEvent, matchesFilter, toRecordedEvent } from './convert.js';
import { checkpointPosition, toEsdbPosition, toPortPosition } from './positions.js';
import { attemptsExhausted, backoffDelay, sleep, type RetryOptions } from './retry.js';
import { isCheckpointMarker, subscriptionFilter } from './subscription-filter.js';
import { isTransientSubscriptionError, translateError } from './translate-error.js';

export interface FollowContext {
  client: EventStoreDBClient;
  retry: RetryOptions;
  log: (line: string) => void;
  /** Aborted when the store closes. */
  closed: AbortSignal;
}

/** Pushed into the driver's stream when the server reports the subscription caught up. */
const CAUGHT_UP = Object.freeze({ caughtUp: true });

/** How far a subscription got: the position to resume after, and whether `caughtUp` was sent. */
interface Progress {
  checkpoint: bigint | null;
  caughtUpSent: boolean;
  /** Consecutive failed attempts; a confirmed subscription resets it. */
  failures: number;
}

/**
 * Follows `$all` from a checkpoint: catches up, reports `caughtUp` once, then follows live. A
 * dropped subscription is re-established after the last event or filter checkpoint seen (the
 * server's start position is exclusive, so nothing is delivered twice), with back-off between
 * attempts. A refusal that would repeat on every attempt (a position where no event starts, access
 * denied, an event the port cannot represent) ends the iteration with SubscriptionFailed; running
 * out of `retry.maxAttempts` ends it with StoreUnavailable.
 */
export async function* followAll(ctx: FollowContext, options: SubscribeToAllOptions): AsyncGenerator<SubscriptionMessage> {
  const signal = options.signal ? AbortSignal.any([options.signal, ctx.closed]) : ctx.closed;
  const from = options.fromPosition;
  const progress: Progress = { checkpoint: from === undefined || from === 'start' ? null : from, caughtUpSent: false, failures: 0 };

  while (!signal.aborted) {
    const startedAt = progress.checkpoint;
    let failure: unknown;
    try {
      yield* followOnce(ctx, options.filter, signal, progress);
      if (signal.aborted) return;
      failure = new StoreUnavailable('EventStoreDB ended the subscription to $all');
    } catch (error) {
      failure = error;
    }
    if (signal.aborted) return;
    if (!isTransientSubscriptionError(failure)) {
      const cause = translateError(failure, 'subscription to $all', startedAt ?? undefined);
      throw new SubscriptionFailed(`EventStoreDB subscription to $all failed for good: ${cause.message}`, { cause });
    }
    progress.failures += 1;
    const reason = failure instanceof Error ? failure.message : String(failure);
    if (attemptsExhausted(ctx.retry, progress.failures)) {
      throw new StoreUnavailable(`EventStoreDB subscription to $all failed ${progress.failures} times: ${reason}`, { cause: failure });
    }
    const delay = backoffDelay(ctx.retry, progress.failures);
    ctx.log(`EventStoreDB subscription to $all dropped (${reason}); resubscribing after ${progress.checkpoint ?? 'start'} in ${delay} ms`);
    await sleep(delay, signal);
  }
}

/**
 * One subscription, from `progress.checkpoint`, until it fails (throws) or the signal aborts. System
 * events and the rest of the port's filter are checked on arrival; every event and filter
 * checkpoint moves `progress.checkpoint`, matching or not, so resuming and `caughtUp` reflect how
 * far the log was read, not just the last match.
 */
async function* followOnce(ctx: FollowContext, filter: AllFilter | undefined, signal: AbortSignal, progress: Progress): AsyncGenerator<SubscriptionMessage> {
  const subscription = ctx.client.subscribeToAll({
    fromPosition: progress.checkpoint === null ? START : toEsdbPosition(progress.checkpoint),
    filter: subscriptionFilter(filter),
  });
  const stop = () => subscription.destroy();
  signal.addEventListener('abort', stop, { once: true });
  // The driver may still emit an error after the iteration ended (a drop racing an abort);
  // without a listener that would crash the process. The iteration sees errors regardless.
  subscription.on('error', () => undefined);
  markCaughtUp(subscription);
  subscription.on('confirmation', () => (progress.failures = 0));
  try {
    for await (const item of subscription as AsyncIterable<unknown>) {
      // An abort takes effect before the next message, even one already buffered.
      if (signal.aborted) return;
      if (item === CAUGHT_UP) {
        if (progress.caughtUpSent) continue;
        progress.caughtUpSent = true;
        yield { kind: 'caughtUp', position: progress.checkpoint };
      } else if (isCheckpointMarker(item)) {
        const position = checkpointPosition(item.checkpoint);
        if (position !== null && (progress.checkpoint === null || position > progress.checkpoint)) progress.checkpoint = position;
      } else {
        const resolved = item as AllStreamResolvedEvent;
        const recorded = resolved.event;
        if (!recorded) continue;
        const position = toPortPosition(recorded.position, `event ${recorded.id} on "${recorded.streamId}"`);
        // Belt and braces: a resumed subscription starts after the checkpoint already.
        if (progress.checkpoint !== null && position <= progress.checkpoint) continue;
        progress.checkpoint = position;
        const event = { streamName: recorded.streamId, type: recorded.type };
        if (isSystemEvent(event.streamName, event.type) || !matchesFilter(filter, event)) continue;
        yield { kind: 'event', event: toRecordedEvent(resolved) };
      }
    }
  } finally {
    signal.removeEventListener('abort', stop);
    subscription.destroy();
    void subscription.unsubscribe().catch(() => undefined);
  }
}

/**
 * The driver reports "caught up" as an out-of-band event, while events travel through the stream's
 * buffer. Pushing a marker into the same buffer at that moment keeps it in order with the events:
 * the driver emits the notice while transforming the server's message, after every earlier event
 * has been pushed and before any later one.
 */
function markCaughtUp(subscription: AllStreamSubscription): void {
  subscription.on('caughtUp', () => {
    if (!subscription.destroyed) subscription.push(CAUGHT_UP);
  });
}
