import {
  excludeSystemEvents,
  START,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type EventStoreDBClient,
} from '@eventstore/db-client';
import { StoreUnavailable } from '../errors.js';
import type { SubscribeToAllOptions, SubscriptionMessage } from '../port.js';
import { isSystemEvent, matchesFilter, toRecordedEvent } from './convert.js';
import { toEsdbPosition, toPortPosition } from './positions.js';
import { attemptsExhausted, backoffDelay, sleep, type RetryOptions } from './retry.js';
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

/**
 * Follows `$all` from a checkpoint: catches up, reports `caughtUp` once, then follows live. A
 * dropped subscription is re-established from the last event seen (the server's start position is
 * exclusive, so nothing is delivered twice), with back-off between attempts.
 *
 * System events are filtered out by the server; the port's own filter is applied here so that the
 * checkpoint advances over every product event, matching or not (a resumed subscription and the
 * `caughtUp` position then reflect how far the log was read, not just the last match).
 */
export async function* followAll(ctx: FollowContext, options: SubscribeToAllOptions): AsyncGenerator<SubscriptionMessage> {
  const signal = options.signal ? AbortSignal.any([options.signal, ctx.closed]) : ctx.closed;
  let checkpoint = options.fromPosition === undefined || options.fromPosition === 'start' ? null : options.fromPosition;
  let caughtUpSent = false;
  let failures = 0;

  while (!signal.aborted) {
    const subscription = ctx.client.subscribeToAll({
      fromPosition: checkpoint === null ? START : toEsdbPosition(checkpoint),
      filter: excludeSystemEvents(),
    });
    const stop = () => subscription.destroy();
    signal.addEventListener('abort', stop, { once: true });
    // The driver may still emit an error after the iteration ended (a drop racing an abort);
    // without a listener that would crash the process. The iteration sees errors regardless.
    subscription.on('error', () => undefined);
    markCaughtUp(subscription);
    subscription.on('confirmation', () => (failures = 0));

    let failure: unknown;
    try {
      for await (const item of subscription as AsyncIterable<unknown>) {
        // An abort takes effect before the next message, even one already buffered.
        if (signal.aborted) return;
        if (item === CAUGHT_UP) {
          if (!caughtUpSent) {
            caughtUpSent = true;
            yield { kind: 'caughtUp', position: checkpoint };
          }
          continue;
        }
        const resolved = item as AllStreamResolvedEvent;
        const recorded = resolved.event;
        if (!recorded) continue;
        const position = toPortPosition(recorded.position, `event ${recorded.id} on "${recorded.streamId}"`);
        // Belt and braces: a resumed subscription starts after the checkpoint already.
        if (checkpoint !== null && position <= checkpoint) continue;
        checkpoint = position;
        const event = { streamName: recorded.streamId, type: recorded.type };
        if (isSystemEvent(event.streamName, event.type) || !matchesFilter(options.filter, event)) continue;
        yield { kind: 'event', event: toRecordedEvent(resolved) };
      }
      failure = new StoreUnavailable('EventStoreDB ended the subscription to $all');
    } catch (error) {
      failure = error;
    } finally {
      signal.removeEventListener('abort', stop);
      subscription.destroy();
      void subscription.unsubscribe().catch(() => undefined);
    }

    if (signal.aborted) return;
    if (!isTransientSubscriptionError(failure)) throw translateError(failure, 'subscription to $all');
    failures += 1;
    const reason = failure instanceof Error ? failure.message : String(failure);
    if (attemptsExhausted(ctx.retry, failures)) {
      throw new StoreUnavailable(`EventStoreDB subscription to $all failed ${failures} times: ${reason}`, { cause: failure });
    }
    const delay = backoffDelay(ctx.retry, failures);
    ctx.log(`EventStoreDB subscription to $all dropped (${reason}); resubscribing after ${checkpoint ?? 'start'} in ${delay} ms`);
    await sleep(delay, signal);
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
