import { hash } from 'node:crypto';
import type { Channel, NotificationLabel, Rule, Silence } from '../domain/notification.js';
import { sensorMessage, registryMessage, stormMessage, type StormMembers, type AffectedSensor, type NotificationMessage, type RegistryRef } from './message.js';
import { activeSilence, routesTo, type Subject } from './routing.js';

/** Something the log says happened that operators may be told: a sensor lost or back, or a registry's own change. */
export interface Item {
  kind: 'lost' | 'back' | 'registry';
  eventId: string;
  /** Where the event is in the log. */
  position: bigint;
  orgId: string;
  at: number;
  labels: NotificationLabel[];
  affected: AffectedSensor | null;
  registry: RegistryRef | null;
  reason: string;
  /** For a registry change: the sensor whose change caused it. */
  causeSensorId: string | null;
}

/** A message decided for one channel: queued, or recorded as suppressed by a silence. */
export interface Dispatch {
  deliveryId: string;
  orgId: string;
  channelId: string;
  message: NotificationMessage;
  sourceEventIds: string[];
  silenceId: string | null;
  /** A storm's sensors, kept in memory only: the first send of it needs no read of the log. */
  members?: AffectedSensor[];
}

/** The same (event, channel) always gets the same delivery id, so receivers can drop repeats. */
export function deliveryIdOf(sourceEventId: string, channelId: string): string {
  const h = hash('sha256', `${sourceEventId}:${channelId}`, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function subjectOf(item: Item): Subject {
  return { orgId: item.orgId, sensor: item.affected?.sensor ?? null, registryId: item.affected?.registry?.id ?? item.registry?.id ?? null };
}

/** The label a channel's rules asked for, sensor labels first: a sensor outage with its registry's error is one message. */
function labelFor(item: Item, rules: Rule[]): NotificationLabel {
  return item.labels.find((label) => rules.some((rule) => rule.events.includes(label)))!;
}

export function messageOf(item: Item, rules: Rule[]): NotificationMessage {
  const label = labelFor(item, rules);
  const timestamp = new Date(item.at).toISOString();
  if (item.affected) return sensorMessage(label, item.affected, timestamp);
  return registryMessage(label as 'Registry error' | 'Registry recovered', item.registry!, item.reason, timestamp);
}

export interface RoutingState {
  channels: Iterable<Channel>;
  rules: Iterable<Rule>;
  silences: Iterable<Silence>;
}

function dispatchOf(items: Item[], channel: Channel, message: NotificationMessage, silences: Iterable<Silence>): Dispatch {
  const silence = items.length === 1 ? activeSilence(silences, subjectOf(items[0]!), items[0]!.at) : undefined;
  return {
    deliveryId: deliveryIdOf(items[0]!.eventId, channel.id),
    orgId: channel.orgId,
    channelId: channel.id,
    message,
    sourceEventIds: items.map((item) => item.eventId),
    silenceId: silence?.id ?? null,
  };
}

export function single(item: Item, channel: Channel, rules: Rule[], routing: RoutingState): Dispatch {
  return dispatchOf([item], channel, messageOf(item, rules), routing.silences);
}

/**
 * A storm's grouped message for one channel: the sensors no silence mutes, in one message.
 * Silenced sensors are each recorded as suppressed. `orgLosses` are all the org's losses of the
 * batch in log order: those between the first and last listed that the message does not list are
 * named in it, so the stored message says exactly which losses it covers.
 */
export function grouped(items: Item[], orgLosses: Item[], channel: Channel, routing: RoutingState): Dispatch[] {
  const silences = [...routing.silences].filter((silence) => !silence.deleted && silence.orgId === channel.orgId);
  const heard: Item[] = silences.length === 0 ? items : [];
  const out: Dispatch[] = [];
  if (silences.length > 0) {
    for (const item of items) {
      if (activeSilence(silences, subjectOf(item), item.at)) out.push(single(item, channel, routesTo(routing.rules, channel.id, item.labels, subjectOf(item)), routing));
      else heard.push(item);
    }
  }
  if (heard.length === 1) out.push(single(heard[0]!, channel, routesTo(routing.rules, channel.id, heard[0]!.labels, subjectOf(heard[0]!)), routing));
  if (heard.length <= 1) return out;
  const first = heard[0]!;
  const last = heard[heard.length - 1]!;
  const listed = new Set(heard);
  const excludedEventIds = orgLosses.filter((item) => item.position > first.position && item.position < last.position && !listed.has(item)).map((item) => item.eventId);
  const members: StormMembers = { orgId: channel.orgId, from: String(first.position), to: String(last.position), count: heard.length, excludedEventIds };
  const affected = heard.map((item) => item.affected!);
  const message = stormMessage(affected, new Date(last.at).toISOString(), members);
  out.push({ deliveryId: deliveryIdOf(first.eventId, channel.id), orgId: channel.orgId, channelId: channel.id, message, sourceEventIds: [first.eventId, last.eventId], silenceId: null, members: affected });
  return out;
}
