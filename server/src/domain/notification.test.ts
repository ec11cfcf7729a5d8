import { describe, it } from 'vitest';
import { channelDecider, deliveryDecider, ruleDecider, type DeliveryEvent } from './notification.js';
import { deciderSpec } from './testing/given-when-then.js';

const delivery = deciderSpec(deliveryDecider);
const queued: DeliveryEvent = { type: 'NotificationQueued', data: { deliveryId: 'd1', orgId: 'o1', channelId: 'c1', event: 'Sensor lost connection', message: {}, sourceEventIds: ['e1'] } };
const attempted = (attempt: number): DeliveryEvent => ({ type: 'NotificationAttempted', data: { deliveryId: 'd1', attempt } });
const failed = (attempt: number): DeliveryEvent => ({ type: 'NotificationFailed', data: { deliveryId: 'd1', attempt, error: 'HTTP 500', nextAttemptAt: '2026-11-27T10:00:30.000Z' } });

describe('delivery decider', () => {
  it('queues a delivery once: the same delivery id again records nothing', () => delivery([queued]).when({ type: 'Queue', data: queued.data as never }).then([]));
  it('counts attempts across failures', () => delivery([queued, attempted(1), failed(1)]).when({ type: 'Attempt', deliveryId: 'd1' }).then([attempted(2)]));
  it('an attempt cut off by a crash is made again', () => delivery([queued, attempted(1)]).when({ type: 'Attempt', deliveryId: 'd1' }).then([attempted(2)]));
  it('records the receiver’s answer of the attempt in flight', () =>
    delivery([queued, attempted(1)])
      .when({ type: 'Succeed', deliveryId: 'd1', response: 'HTTP 202' })
      .then([{ type: 'NotificationDelivered', data: { deliveryId: 'd1', attempt: 1, response: 'HTTP 202' } }]));
  it('does not attempt what was delivered', () =>
    delivery([queued, attempted(1), { type: 'NotificationDelivered', data: { deliveryId: 'd1', attempt: 1, response: 'ok' } }]).when({ type: 'Attempt', deliveryId: 'd1' }).then([]));
  it('dead-letters a failure with no retry left', () =>
    delivery([queued, attempted(1)])
      .when({ type: 'Fail', deliveryId: 'd1', error: 'HTTP 500', nextAttemptAt: null })
      .then([
        { type: 'NotificationFailed', data: { deliveryId: 'd1', attempt: 1, error: 'HTTP 500' } },
        { type: 'NotificationDeadLettered', data: { deliveryId: 'd1', attempts: 1, error: 'HTTP 500' } },
      ]));
  it('retries only dead letters, and only for their org', () => {
    delivery([queued, attempted(1)]).when({ type: 'Retry', orgId: 'o1', deliveryId: 'd1' }).thenFails('conflict', /only dead letters/);
    delivery([queued]).when({ type: 'Retry', orgId: 'o2', deliveryId: 'd1' }).thenFails('not_found');
  });
});

describe('channel and rule deciders', () => {
  const created = { type: 'NotificationChannelCreated', data: { channelId: 'c1', orgId: 'o1', name: 'hook', type: 'webhook', config: { url: 'https://x' } } } as const;
  it('another org’s channel is not found', () => deciderSpec(channelDecider)([created]).when({ type: 'Delete', orgId: 'o2', channelId: 'c1' }).thenFails('not_found'));
  it('a deleted rule cannot be deleted again', () =>
    deciderSpec(ruleDecider)([
      { type: 'NotificationRuleCreated', data: { ruleId: 'r1', orgId: 'o1', channelId: 'c1', events: ['Sensor lost connection'] } },
      { type: 'NotificationRuleDeleted', data: { ruleId: 'r1' } },
    ])
      .when({ type: 'Delete', orgId: 'o1', id: 'r1' })
      .thenFails('not_found'));
});
