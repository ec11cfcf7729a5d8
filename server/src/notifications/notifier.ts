import type { EventStore, RecordedEvent } from '@harborguard/eventstore';
import type { EventData } from '@harborguard/shared';
import type { Clock } from '../core/clock.js';
import type { EventWriter } from '../core/event-writer.js';
import type { StreamStates } from '../core/stream-states.js';
import { channelDecider, ruleDecider, silenceDecider, type Channel, type Rule, type Silence } from '../domain/notification.js';
import type { Evolving } from '../domain/decider.js';
import { modelEventOf } from '../domain/model-event.js';
import { Deliverer, type DelivererOptions } from './deliverer.js';
import type { Dispatch, Item } from './dispatch.js';
import { affectedSensor, registryRef } from './members.js';
import { OutageBatches, type BatchOptions } from './outage-batches.js';
import { StormIncidents } from './storm-incidents.js';
import { liveChannels } from './routing.js';
import type { SecretBox } from './secret-box.js';
import type { NotifierCheckpoint } from './checkpoint.js';

export interface NotifierOptions extends Omit<DelivererOptions, 'store' | 'writer' | 'states' | 'clock' | 'log'>, Partial<BatchOptions> {
  /** Where the position up to which everything is queued is kept; without one, start replays from the first channel. */
  checkpoint?: NotifierCheckpoint;
}

const CONFIG_TYPES = ['NotificationChannelCreated', 'NotificationChannelChanged', 'NotificationChannelDeleted', 'NotificationRuleCreated', 'NotificationRuleDeleted', 'NotificationSilenceCreated', 'NotificationSilenceDeleted'];
const SOURCE_TYPES = ['SensorWentOffline', 'SensorCameOnline', 'SensorDeleted', 'RegistryStatusChanged'];
const RELEVANT = new Set([...CONFIG_TYPES, ...SOURCE_TYPES]);
const PAGE = 1_000;
const CHECKPOINT_EVERY_MS = 1_000;
const RESUBSCRIBE_MS = 1_000;

/**
 * Notifications as a consumer of the log (the log is the outbox). Routing (channels, rules,
 * silences) is followed in log order, so an event is routed by the channels that existed when it
 * happened: history before a channel is never sent to it. Its checkpoint only moves past events
 * whose messages are all queued; every message has a delivery id derived from (event, channel), and
 * a delivery already on record is not queued again, so re-reading past the checkpoint after a crash
 * re-sends nothing confirmed, and what was not confirmed is sent (again).
 */
export class Notifier {
  readonly deliverer: Deliverer;
  private readonly channels = new Map<string, Channel>();
  private readonly rules = new Map<string, Rule>();
  private readonly silences = new Map<string, Silence>();
  private readonly batches: OutageBatches;
  private readonly incidents: StormIncidents;
  private readonly controller = new AbortController();
  private readonly writes = new Set<Promise<unknown>>();
  private position: bigint | null = null;
  private waiters: { position: bigint; resolve: () => void }[] = [];
  private timer: { id: unknown; at: number } | null = null;
  /** Set while something is due but the log is not read up to what is stored: it is flushed once it is. */
  private dueWhenCaughtUp = false;
  /** Set while waiting for events older than something due to be stored. */
  private awaitingStores = false;
  private running: Promise<void> | undefined;
  private readonly checkpoint: NotifierCheckpoint | undefined;
  private savedPosition: bigint | null = null;
  private saveTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly writer: EventWriter,
    private readonly states: StreamStates,
    private readonly clock: Clock,
    private readonly log: (line: string) => void,
    options: NotifierOptions,
  ) {
    this.deliverer = new Deliverer({ ...options, store, writer, states, clock, log });
    this.checkpoint = options.checkpoint;
    const batchOptions = { gatherMs: options.gatherMs ?? 500, stormThreshold: options.stormThreshold ?? 10, stormWindowMs: options.stormWindowMs ?? 60_000 };
    const { channels, rules, silences } = this;
    const routing = {
      get channels() {
        return channels.values();
      },
      get rules() {
        return rules.values();
      },
      get silences() {
        return silences.values();
      },
    };
    this.batches = new OutageBatches(batchOptions, routing, (dispatch) => this.queue(dispatch));
    const isPagerDuty = (channelId: string) => states.state('channel', channelId)?.type === 'pagerduty';
    this.incidents = new StormIncidents(states, isPagerDuty, (dispatch) => this.queue(dispatch), () => clock.now());
  }

  /**
   * Catches up with the log (queuing what was missed), resumes unfinished deliveries, then follows
   * the log live. With a stored checkpoint, routing is read up to it and everything after it is
   * routed again; without one, everything from the first channel ever created is.
   */
  async start(): Promise<void> {
    const relevant = [...CONFIG_TYPES, ...SOURCE_TYPES];
    const saved = this.checkpoint?.load() ?? null;
    const [head] = await this.store.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 });
    if (saved !== null && head && saved <= head.position) {
      await this.replay(CONFIG_TYPES, 'start', saved);
      this.position = this.savedPosition = saved;
      await this.replay(relevant, saved);
    } else {
      const [first] = await this.store.readAll({ maxCount: 1, filter: { eventTypes: ['NotificationChannelCreated'] } });
      // No channel yet: nothing before now can ever be sent; follow from the head.
      if (first) await this.replay(relevant, first.position);
      else this.position = head?.position ?? null;
    }
    await this.incidents.resume(this.store);
    this.tick();
    this.deliverer.resume();
    this.running = this.follow();
    this.saveTimer = setInterval(() => this.saveCheckpoint(), CHECKPOINT_EVERY_MS);
    this.saveTimer.unref();
  }

  /** Applies events of these types from `from` (inclusive) up to `upTo`. */
  private async replay(types: string[], from: bigint | 'start', upTo?: bigint): Promise<void> {
    for (;;) {
      const page = await this.store.readAll({ fromPosition: from, maxCount: PAGE, filter: { eventTypes: types } });
      for (const event of page) {
        if (upTo !== undefined && event.position > upTo) return;
        if (this.position === null || event.position > this.position) this.apply(event);
      }
      if (page.length < PAGE) return;
      from = page[page.length - 1]!.position;
    }
  }

  /** Stores the position once nothing read is still gathering, held back or being queued. */
  private saveCheckpoint(): void {
    if (!this.checkpoint || this.position === null || this.position === this.savedPosition) return;
    if (this.batches.nextDue() !== null || this.writes.size > 0) return;
    try {
      this.checkpoint.save(this.position);
      this.savedPosition = this.position;
    } catch (error) {
      this.log(`could not store the notification checkpoint: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    this.controller.abort();
    if (this.timer) this.clock.clearTimeout(this.timer.id);
    clearInterval(this.saveTimer);
    await this.running;
    this.deliverer.stop();
    await this.settled();
    this.saveCheckpoint();
  }

  /** Resolves once every event stored so far is routed and every message queued and sent (or failed). */
  async settled(): Promise<void> {
    await this.waitFor(this.writer.lastPosition);
    do {
      await Promise.allSettled([...this.writes]);
      await this.deliverer.idle();
    } while (this.writes.size > 0);
  }

  private waitFor(position: bigint | null): Promise<void> {
    if (position === null || (this.position !== null && this.position >= position) || this.controller.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position, resolve }));
  }

  private async follow(): Promise<void> {
    while (!this.controller.signal.aborted) {
      try {
        // Unfiltered, so the position follows every event and `settled()` knows when it is current.
        for await (const message of this.store.subscribeToAll({ fromPosition: this.position ?? 'start', signal: this.controller.signal })) {
          if (message.kind === 'caughtUp') {
            if (message.position !== null) this.reached(message.position);
            continue;
          }
          if (this.position !== null && message.event.position <= this.position) continue;
          if (!RELEVANT.has(message.event.type)) {
            this.reached(message.event.position);
            continue;
          }
          this.apply(message.event);
          this.tick();
        }
      } catch (error) {
        if (this.controller.signal.aborted) return;
        this.log(`notification subscription dropped (${(error as Error).message}); resubscribing`);
        await new Promise((resolve) => setTimeout(resolve, RESUBSCRIBE_MS));
      }
    }
  }

  private reached(position: bigint): void {
    if (this.position === null || position > this.position) this.position = position;
    if (this.dueWhenCaughtUp) this.tick();
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.position <= this.position!);
    this.waiters = this.waiters.filter((w) => w.position > this.position!);
    for (const waiter of ready) waiter.resolve();
  }

  private apply(recorded: RecordedEvent): void {
    const event = modelEventOf(recorded) as unknown as Evolving & { position: bigint; streamName: string };
    const at = Date.parse(event.metadata.occurredAt);
    this.batches.advance(at);
    const orgId = String(recorded.metadata['orgId'] ?? '');
    if (event.streamName.startsWith('channel-')) this.evolveInto(this.channels, event.streamName, channelDecider.evolve, event);
    else if (event.streamName.startsWith('notifyrule-')) this.evolveInto(this.rules, event.streamName, ruleDecider.evolve, event);
    else if (event.streamName.startsWith('silence-')) this.evolveInto(this.silences, event.streamName, silenceDecider.evolve, event);
    else {
      if (event.type === 'SensorDeleted' || (event.type === 'SensorCameOnline' && event.data.from === 'offline')) this.incidents.recovered(event.data.sensorId);
      const item = liveChannels(this.channels.values(), orgId).length > 0 ? this.itemOf(recorded, orgId, at) : null;
      if (item) this.batches.add(item);
    }
    this.reached(recorded.position);
  }

  private evolveInto<S>(map: Map<string, S>, stream: string, evolve: (state: S | null, event: never) => S | null, event: Evolving): void {
    const next = evolve(map.get(stream) ?? null, event as never);
    if (next) map.set(stream, next);
    this.batches.routingChanged();
  }

  private itemOf(event: RecordedEvent, orgId: string, at: number): Item | null {
    if (event.type === 'SensorDeleted') return null;
    const base = { eventId: event.id, position: event.position, orgId, at, reason: '', causeSensorId: null, registry: null };
    if (event.type === 'SensorWentOffline') {
      const data = event.data as EventData<'SensorWentOffline'>;
      return { ...base, kind: 'lost', labels: ['Sensor lost connection'], affected: affectedSensor(this.states, data.sensorId, data.lastHeartbeatAt) };
    }
    if (event.type === 'SensorCameOnline') {
      const data = event.data as EventData<'SensorCameOnline'>;
      if (data.from !== 'offline') return null;
      return { ...base, kind: 'back', labels: ['Sensor reconnected'], affected: affectedSensor(this.states, data.sensorId, data.at) };
    }
    const data = event.data as EventData<'RegistryStatusChanged'>;
    const registry = registryRef(this.states, data.registryId);
    if (!registry) return null;
    const label = data.to === 'ERROR' ? 'Registry error' : 'Registry recovered';
    return { ...base, kind: 'registry', labels: [label], affected: null, registry: { ...registry, status: data.to }, reason: data.reason, causeSensorId: data.sensorId ?? null };
  }

  /** Records the message on its delivery stream (once per delivery id) and sends what is new. */
  private queue(dispatch: Dispatch): void {
    const { deliveryId, orgId, channelId, message, sourceEventIds, silenceId } = dispatch;
    const data = { deliveryId, orgId, channelId, event: message.event, message: message as unknown as Record<string, unknown>, sourceEventIds };
    const command = silenceId ? ({ type: 'Suppress', data: { ...data, silenceId } } as const) : ({ type: 'Queue', data } as const);
    const members = dispatch.members;
    if (members) this.deliverer.remember(deliveryId, members);
    const write = this.deliverer.record(deliveryId, command, orgId).then((stored) => {
      if (!stored.some((event) => event.type === 'NotificationQueued')) return;
      if (members) this.incidents.track(dispatch, members.map((m) => m.sensor.id));
      this.deliverer.schedule(deliveryId);
    });
    const tracked = write.catch((error: unknown) => this.log(`could not queue notification ${deliveryId}: ${(error as Error).message}`)).finally(() => this.writes.delete(tracked));
    this.writes.add(tracked);
  }

  /**
   * Flushes what is due now and sets the one timer for the next thing due. Time moves on by the
   * clock only as far as the log is complete: not while stored events wait unread (the events
   * read move it then, on their own times), and not past the time of an event still being
   * stored. So a batch is never closed while one of its events is still to come, and live
   * reading groups exactly as reading the log again after a crash does.
   */
  private tick(): void {
    if (this.controller.signal.aborted) return;
    const now = this.clock.now();
    let next = this.batches.nextDue();
    if (next !== null && next <= now) {
      this.batches.advance(this.completeUpTo(now));
      next = this.batches.nextDue();
    }
    this.dueWhenCaughtUp = next !== null && next <= now;
    if (this.dueWhenCaughtUp) return;
    if (this.timer && (next === null || this.timer.at !== next)) {
      this.clock.clearTimeout(this.timer.id);
      this.timer = null;
    }
    if (next === null || this.timer) return;
    this.timer = { at: next, id: this.clock.setTimeout(() => ((this.timer = null), this.tick()), Math.max(0, next - this.clock.now())) };
  }

  /**
   * The time up to which the log is complete, at most `now`. None while stored events wait
   * unread (reading them ticks again); else up to the oldest event time still being stored, and
   * another tick follows once everything stamped before `now` is stored.
   */
  private completeUpTo(now: number): number {
    if (this.writer.lastPosition !== null && (this.position === null || this.position < this.writer.lastPosition)) return Number.NEGATIVE_INFINITY;
    const oldest = this.writer.oldestUnstoredAt();
    if (oldest === null) return now;
    if (oldest < now && !this.awaitingStores) {
      this.awaitingStores = true;
      void this.writer.storedUpTo(now).then(() => ((this.awaitingStores = false), this.tick()));
    }
    return Math.min(now, oldest);
  }
}

/** How the composition root sets notifications up; everything has a default. */
export interface NotificationSettings extends Partial<Omit<NotifierOptions, 'secrets'>> {
  /** Key material for channel secrets; without it a key lives only as long as the process. */
  secretKey?: string;
}

export const DEFAULT_RETRY_SCHEDULE_MS = [30_000, 120_000, 600_000, 3_600_000];

export function notifierOptions(settings: NotificationSettings, secrets: SecretBox): NotifierOptions {
  const { secretKey: _key, ...rest } = settings;
  return { publicUrl: '', retryScheduleMs: DEFAULT_RETRY_SCHEDULE_MS, ...rest, secrets };
}
