import type { EventStore } from '@harborguard/eventstore';
import type { Clock } from '../core/clock.js';
import type { EventWriter } from '../core/event-writer.js';
import type { StreamStates } from '../core/stream-states.js';
import { decideDelivery, type DeliveryCommand } from '../domain/notification.js';
import { deliveryStream } from '../domain/streams.js';
import { send, type ResolvedChannel, type SendResult } from './channels.js';
import type { AffectedSensor, NotificationMessage } from './message.js';
import { affectedSensor, readStormLosses } from './members.js';
import type { SecretBox } from './secret-box.js';

export interface DelivererOptions {
  /** Where a storm's sensors are read back from when its message is sent after a restart. */
  store: EventStore;
  writer: EventWriter;
  states: StreamStates;
  clock: Clock;
  secrets: SecretBox;
  publicUrl: string;
  /** Waits before each retry; a delivery failing once more than this has entries is dead-lettered. */
  retryScheduleMs: number[];
  log: (line: string) => void;
  /** Sends at most this many messages to one channel at once. */
  concurrencyPerChannel?: number;
  /** Consecutive failures of one channel that open its circuit for `breakerOpenMs`. */
  breakerThreshold?: number;
  breakerOpenMs?: number;
  /** Replaces the real senders (benchmarks, tests of the delivery rules). */
  sender?: (channel: ResolvedChannel, outgoing: { message: NotificationMessage; deliveryId: string; publicUrl: string }) => Promise<SendResult>;
}

/** One channel's sending lane: its own concurrency and circuit, so a dead endpoint only delays itself. */
interface Lane {
  active: number;
  waiting: string[];
  consecutiveFailures: number;
  openUntil: number;
}

const SYSTEM = { kind: 'system', id: 'notifier' } as const;

/**
 * Sends queued deliveries and records every attempt and outcome on the delivery's stream.
 * A failure is retried on the configured schedule (timers on the injected clock), then
 * dead-lettered; an attempt without a recorded outcome (a crash mid-send) is made again.
 */
export class Deliverer {
  private readonly lanes = new Map<string, Lane>();
  private readonly timers = new Map<string, unknown>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Storm sensors of deliveries not yet finished, as the notifier had them when it queued them. */
  private readonly members = new Map<string, AffectedSensor[]>();
  /** Deliveries waiting for another one (a storm's resolve for its trigger) to finish first. */
  private readonly waitingOn = new Map<string, Set<string>>();
  private stopped = false;

  constructor(private readonly options: DelivererOptions) {}

  /** Picks up every delivery the log shows unfinished: pending, failed awaiting a retry, or cut off mid-attempt. */
  resume(): void {
    for (const delivery of this.options.states.all('delivery')) {
      if (delivery.status !== 'pending' && delivery.status !== 'failed') continue;
      const due = delivery.nextAttemptAt && !delivery.inFlight ? Date.parse(delivery.nextAttemptAt) : this.options.clock.now();
      this.schedule(delivery.id, due);
    }
  }

  /** Sends the delivery at `at` (ms), or at once. */
  schedule(deliveryId: string, at = this.options.clock.now()): void {
    if (this.stopped) return;
    const previous = this.timers.get(deliveryId);
    if (previous !== undefined) this.options.clock.clearTimeout(previous);
    const wait = at - this.options.clock.now();
    if (wait <= 0) {
      this.timers.delete(deliveryId);
      this.track(this.attempt(deliveryId));
      return;
    }
    this.timers.set(
      deliveryId,
      this.options.clock.setTimeout(() => {
        this.timers.delete(deliveryId);
        this.track(this.attempt(deliveryId));
      }, wait),
    );
  }

  /** Keeps a storm's sensors for its first send, so it needs no read of the log. */
  remember(deliveryId: string, members: AffectedSensor[]): void {
    this.members.set(deliveryId, members);
  }

  /** Records a command on a delivery's stream, decided on its state as stored. */
  record(deliveryId: string, command: DeliveryCommand, orgId: string) {
    const stream = deliveryStream(deliveryId);
    const { writer, states, clock } = this.options;
    return writer.decideAndAppend(stream, () => decideDelivery(command, states.state('delivery', deliveryId)), { orgId, actor: SYSTEM, at: clock.now() });
  }

  /** Resolves once no send is running. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) this.options.clock.clearTimeout(timer);
    this.timers.clear();
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.options.log(`notification delivery failed to record: ${(error as Error).message}`)).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  private lane(channelId: string): Lane {
    let lane = this.lanes.get(channelId);
    if (!lane) this.lanes.set(channelId, (lane = { active: 0, waiting: [], consecutiveFailures: 0, openUntil: 0 }));
    return lane;
  }

  private async attempt(deliveryId: string): Promise<void> {
    const { states, clock } = this.options;
    const delivery = states.state('delivery', deliveryId);
    if (!delivery || this.stopped) return;
    if (this.mustWait(deliveryId, delivery.message as unknown as NotificationMessage)) return;
    const lane = this.lane(delivery.channelId);
    if (lane.openUntil > clock.now()) return this.schedule(deliveryId, lane.openUntil);
    if (lane.active >= (this.options.concurrencyPerChannel ?? 4)) {
      lane.waiting.push(deliveryId);
      return;
    }
    lane.active++;
    try {
      const attempted = await this.record(deliveryId, { type: 'Attempt', deliveryId }, delivery.orgId);
      if (attempted.length > 0) await this.sendOnce(deliveryId, lane);
    } finally {
      lane.active--;
      const next = lane.waiting.shift();
      if (next !== undefined) this.schedule(next);
    }
  }

  private async sendOnce(deliveryId: string, lane: Lane): Promise<void> {
    const { states, clock, retryScheduleMs } = this.options;
    const delivery = states.state('delivery', deliveryId)!;
    try {
      const channel = this.resolve(delivery.channelId, delivery.orgId);
      const outgoing = { message: await this.expanded(deliveryId, delivery.message as unknown as NotificationMessage), deliveryId, publicUrl: this.options.publicUrl };
      const response = await (this.options.sender ?? send)(channel, outgoing);
      lane.consecutiveFailures = 0;
      await this.record(deliveryId, { type: 'Succeed', deliveryId, response }, delivery.orgId);
      this.finished(deliveryId);
    } catch (failure) {
      const error = (failure as Error).message;
      if (++lane.consecutiveFailures >= (this.options.breakerThreshold ?? 5)) lane.openUntil = clock.now() + (this.options.breakerOpenMs ?? 30_000);
      const wait = error.startsWith('Channel ') ? undefined : retryScheduleMs[delivery.attemptsInRound - 1];
      const nextAt = wait === undefined ? null : clock.now() + wait;
      await this.record(deliveryId, { type: 'Fail', deliveryId, error, nextAttemptAt: nextAt === null ? null : new Date(nextAt).toISOString() }, delivery.orgId);
      if (nextAt !== null) this.schedule(deliveryId, nextAt);
      else this.finished(deliveryId);
    }
  }

  /**
   * The message as sent: a storm's stored message gets its sensors back, from memory on its first
   * send, else from the log (after a restart). Either way the same losses in the same order.
   */
  private async expanded(deliveryId: string, message: NotificationMessage): Promise<NotificationMessage> {
    if (!message.members) return message;
    let sensors = this.members.get(deliveryId);
    if (!sensors) {
      const losses = await readStormLosses(this.options.store, message.members);
      sensors = losses.map((loss) => affectedSensor(this.options.states, loss.sensorId, loss.lastHeartbeatAt));
      this.members.set(deliveryId, sensors);
    }
    return { ...message, sensors };
  }

  /** True when the delivery must wait for the one it follows (still to be sent or retried); it is sent once that one is finished. */
  private mustWait(deliveryId: string, message: NotificationMessage): boolean {
    if (!message.after) return false;
    const first = this.options.states.state('delivery', message.after);
    if (!first || (first.status !== 'pending' && first.status !== 'failed')) return false;
    let waiting = this.waitingOn.get(message.after);
    if (!waiting) this.waitingOn.set(message.after, (waiting = new Set()));
    waiting.add(deliveryId);
    return true;
  }

  /** A delivery is delivered or dead-lettered: what waited for it goes out. */
  private finished(deliveryId: string): void {
    this.members.delete(deliveryId);
    const waiting = this.waitingOn.get(deliveryId);
    this.waitingOn.delete(deliveryId);
    for (const next of waiting ?? []) this.schedule(next);
  }

  /** Sends a message over a channel now without recording it: a channel's "send test". */
  sendNow(channelId: string, orgId: string, message: NotificationMessage, deliveryId: string): Promise<SendResult> {
    return (this.options.sender ?? send)(this.resolve(channelId, orgId), { message, deliveryId, publicUrl: this.options.publicUrl });
  }

  /** The channel with its secrets opened; a deleted or disabled channel takes nothing. */
  resolve(channelId: string, orgId: string): ResolvedChannel {
    const channel = this.options.states.state('channel', channelId);
    if (!channel || channel.orgId !== orgId || channel.deleted) throw new Error(`Channel ${channelId} was deleted`);
    if (!channel.enabled) throw new Error(`Channel ${channel.name} is disabled`);
    return { id: channel.id, type: channel.type, config: channel.config, secrets: this.options.secrets.open(channel.sealedSecrets) };
  }
}
