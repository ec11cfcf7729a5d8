import type { Channel, NotificationLabel, Rule, Silence } from '../domain/notification.js';
import type { SensorRef } from './message.js';

/** What a notification is about, as rules and silences narrow on it. */
export interface Subject {
  orgId: string;
  sensor: SensorRef | null;
  registryId: string | null;
}

/**
 * `*` matches any run of characters, everything else itself, ignoring case; a pattern matches
 * a sensor when it matches its name or its host.
 */
export function sensorMatches(pattern: string | null, sensor: SensorRef | null): boolean {
  if (pattern === null || pattern === '') return true;
  if (!sensor) return false;
  const regex = patternRegex(pattern);
  return regex.test(sensor.name) || regex.test(sensor.host);
}

/** Patterns are few and each is tried on every sensor of a storm: each is compiled once. */
const compiled = new Map<string, RegExp>();

function patternRegex(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    const source = pattern
      .split('*')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    if (compiled.size >= 1_000) compiled.clear();
    compiled.set(pattern, (regex = new RegExp(`^${source}$`, 'i')));
  }
  return regex;
}

export function ruleMatches(rule: Rule, labels: readonly NotificationLabel[], subject: Subject): boolean {
  if (rule.deleted || rule.orgId !== subject.orgId) return false;
  if (!labels.some((label) => rule.events.includes(label))) return false;
  if (rule.registryId !== null && rule.registryId !== subject.registryId) return false;
  return sensorMatches(rule.sensorPattern, subject.sensor);
}

/** The silence that mutes a notification about `subject` at time `at`, if any. */
export function activeSilence(silences: Iterable<Silence>, subject: Subject, at: number): Silence | undefined {
  for (const silence of silences) {
    if (silence.deleted || silence.orgId !== subject.orgId || Date.parse(silence.until) <= at) continue;
    if (silence.registryId !== null && silence.registryId !== subject.registryId) continue;
    if (silence.sensorPattern !== null && !sensorMatches(silence.sensorPattern, subject.sensor)) continue;
    return silence;
  }
  return undefined;
}

/** The org's channels that take notifications now. */
export function liveChannels(channels: Iterable<Channel>, orgId: string): Channel[] {
  return [...channels].filter((channel) => channel.orgId === orgId && channel.enabled && !channel.deleted);
}

/** The rules routing `labels` about `subject` to a channel; empty when the channel gets nothing. */
export function routesTo(rules: Iterable<Rule>, channelId: string, labels: readonly NotificationLabel[], subject: Subject): Rule[] {
  return [...rules].filter((rule) => rule.channelId === channelId && ruleMatches(rule, labels, subject));
}
