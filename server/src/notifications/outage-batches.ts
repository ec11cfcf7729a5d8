import type { Channel, Rule } from '../domain/notification.js';
import { grouped, single, subjectOf, type Dispatch, type Item, type RoutingState } from './dispatch.js';
import { liveChannels, ruleMatches, type Subject } from './routing.js';

export interface BatchOptions {
  /** How long events of one outage are gathered, so a sensor's loss and its registry's error go out together. */
  gatherMs: number;
  /** More than this many sensors of an org lost within `stormWindowMs` is a storm: one grouped message per channel. */
  stormThreshold: number;
  stormWindowMs: number;
}

interface Batch {
  items: Item[];
  startedAt: number;
  flushAt: number;
}

interface Held {
  item: Item;
  channelId: string;
  due: number;
}

/**
 * Turns the log's sensor and registry changes into messages per channel, on event time:
 * gathers each org's changes briefly (folding a registry's change into the sensor change
 * that caused it), groups storms, and holds "lost connection" back for rules with a hold-down,
 * dropping it (and the matching reconnect) when the sensor is back in time.
 *
 * Which batch an event joins, when a batch is a storm, and so which message (and delivery id) a
 * loss ends up in depend only on the events' times and their order in the log, never on when
 * they were read: reading the same log again after a crash groups it the same way. (The caller
 * moves time on by the clock only as far as the log is complete: every stored event read and
 * none older still being stored, so a batch is not closed while one of its events is to come.)
 */
export class OutageBatches {
  private readonly batches = new Map<string, Batch>();
  private readonly lostTimes = new Map<string, number[]>();
  private held: Held[] = [];
  /** `${sensorId}:${channelId}` whose loss a hold-down dropped: their reconnect is not news either. */
  private readonly dropped = new Set<string>();
  /**
   * Each item's rules per channel, worked out as it is added: the event is routed by the rules
   * there were when it was read, and a storm's flush does not route thousands of items at once.
   */
  private readonly routed = new WeakMap<Item, Map<string, Rule[]>>();
  /** Per channel, `rulesFor` with what all items share worked out; and each org's live channels. Both until routing changes. */
  private readonly routers = new Map<string, (item: Item) => Rule[]>();
  private readonly liveByOrg = new Map<string, Channel[]>();

  constructor(
    private readonly options: BatchOptions,
    private readonly routing: RoutingState,
    private readonly dispatch: (dispatch: Dispatch) => void,
  ) {}

  /** Channels or rules changed: what was worked out from them is worked out again when next needed. */
  routingChanged(): void {
    this.routers.clear();
    this.liveByOrg.clear();
  }

  /** Adds what an event says, in log order. */
  add(item: Item): void {
    if (item.kind === 'registry' && this.fold(item)) return;
    if (item.kind === 'back') this.releaseHeld(item);
    this.route(item);
    const now = item.at;
    let batch = this.batches.get(item.orgId);
    if (!batch) this.batches.set(item.orgId, (batch = { items: [], startedAt: now, flushAt: now + this.options.gatherMs }));
    batch.items.push(item);
    if (item.kind !== 'lost') return;
    const times = this.recentLosses(item.orgId, item.at);
    times.push(item.at);
    // During a storm the batch stays open while losses keep coming, up to one storm window.
    if (times.length > this.options.stormThreshold) batch.flushAt = Math.min(batch.startedAt + this.options.stormWindowMs, now + this.options.gatherMs);
  }

  /** Sends whatever is due at `now` (ms). */
  advance(now: number): void {
    for (const [orgId, batch] of this.batches) {
      if (batch.flushAt > now) continue;
      this.batches.delete(orgId);
      this.flush(orgId, batch);
    }
    if (this.held.length === 0) return;
    const due = this.held.filter((held) => held.due <= now);
    this.held = this.held.filter((held) => held.due > now);
    for (const { item, channelId } of due) {
      const channel = this.liveChannels(item.orgId).find((c) => c.id === channelId);
      if (channel) this.dispatch(single(item, channel, this.rulesFor(channel, item), this.routing));
    }
  }

  /** The next time something is due, if anything waits. */
  nextDue(): number | null {
    const times = [...[...this.batches.values()].map((b) => b.flushAt), ...this.held.map((h) => h.due)];
    return times.length ? Math.min(...times) : null;
  }

  /** The org's losses within the storm window before `now` (kept oldest first, trimmed at the front). */
  private recentLosses(orgId: string, now: number): number[] {
    let times = this.lostTimes.get(orgId);
    if (!times) this.lostTimes.set(orgId, (times = []));
    let expired = 0;
    while (expired < times.length && times[expired]! <= now - this.options.stormWindowMs) expired++;
    if (expired > 0) times.splice(0, expired);
    return times;
  }

  /** A registry change caused by a sensor change still gathering joins its message. */
  private fold(item: Item): boolean {
    const wanted = item.labels.includes('Registry error') ? 'lost' : 'back';
    const sensorId = item.causeSensorId;
    if (sensorId === null) return false;
    const target = this.batches.get(item.orgId)?.items.find((other) => other.kind === wanted && other.affected?.sensor.id === sensorId);
    if (!target?.affected) return false;
    target.labels.push(...item.labels);
    target.affected = { ...target.affected, registry: item.registry };
    this.route(target);
    return true;
  }

  private releaseHeld(item: Item): void {
    const sensorId = item.affected?.sensor.id;
    for (const held of this.held.filter((h) => h.item.affected?.sensor.id === sensorId)) this.dropped.add(`${sensorId}:${held.channelId}`);
    this.held = this.held.filter((h) => h.item.affected?.sensor.id !== sensorId);
  }

  /** The channel's rules for the item; none when the channel or rule came after what happened. */
  private rulesFor(channel: Channel, item: Item): Rule[] {
    return this.routed.get(item)?.get(channel.id) ?? this.routerOf(channel)(item);
  }

  private route(item: Item): void {
    const routes = new Map<string, Rule[]>();
    for (const channel of this.liveChannels(item.orgId)) routes.set(channel.id, this.routerOf(channel)(item));
    this.routed.set(item, routes);
  }

  private liveChannels(orgId: string): Channel[] {
    let live = this.liveByOrg.get(orgId);
    if (!live) this.liveByOrg.set(orgId, (live = liveChannels(this.routing.channels, orgId)));
    return live;
  }

  private routerOf(channel: Channel): (item: Item) => Rule[] {
    let router = this.routers.get(channel.id);
    if (!router) this.routers.set(channel.id, (router = this.router(channel)));
    return router;
  }

  /** `rulesFor` one channel, with what is the same for every item (its rules, their times) worked out once. */
  private router(channel: Channel): (item: Item) => Rule[] {
    const channelSince = Date.parse(channel.createdAt);
    const rules = [...this.routing.rules].filter((rule) => rule.channelId === channel.id && !rule.deleted).map((rule) => ({ rule, since: Date.parse(rule.createdAt) }));
    return (item) => {
      if (channelSince > item.at) return [];
      let subject: Subject | undefined;
      const out: Rule[] = [];
      for (const { rule, since } of rules) {
        if (since > item.at) continue;
        // A rule narrowed by neither registry nor sensor matches on the labels alone.
        const matches = rule.registryId === null && rule.sensorPattern === null ? item.labels.some((label) => rule.events.includes(label)) : ruleMatches(rule, item.labels, (subject ??= subjectOf(item)));
        if (matches) out.push(rule);
      }
      return out;
    };
  }

  private flush(orgId: string, batch: Batch): void {
    const storm = this.recentLosses(orgId, batch.flushAt).length > this.options.stormThreshold;
    const orgLosses = storm ? batch.items.filter((item) => item.kind === 'lost') : [];
    for (const channel of this.liveChannels(orgId)) {
      const stormItems: Item[] = [];
      for (const item of batch.items) {
        const rules = this.rulesFor(channel, item);
        if (rules.length === 0) continue;
        const sensorKey = `${item.affected?.sensor.id}:${channel.id}`;
        if (item.kind === 'back' && this.dropped.delete(sensorKey)) continue;
        const holdDownMs = Math.min(...rules.map((rule) => rule.holdDownMs));
        if (item.kind === 'lost' && holdDownMs > 0) this.held.push({ item, channelId: channel.id, due: item.at + holdDownMs });
        else if (item.kind === 'lost' && storm) stormItems.push(item);
        else this.dispatch(single(item, channel, rules, this.routing));
      }
      for (const dispatch of grouped(stormItems, orgLosses, channel, this.routing)) this.dispatch(dispatch);
    }
  }
}
