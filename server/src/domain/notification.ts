import type { DomainEvent, EventData } from '@harborguard/shared';
import type { Decider, EventsOf, Evolving } from './decider.js';
import { AppError } from './errors.js';

/** The human labels notifications are known by, in the API and in payloads. */
export const NOTIFICATION_LABELS = ['Sensor lost connection', 'Sensor reconnected', 'Registry error', 'Registry recovered'] as const;
export type NotificationLabel = (typeof NOTIFICATION_LABELS)[number];
export type ChannelType = EventData<'NotificationChannelCreated'>['type'];

export interface Channel {
  id: string;
  orgId: string;
  name: string;
  type: ChannelType;
  /** Settings that are not secret. */
  config: Record<string, unknown>;
  /** Webhook secret, routing key or SMTP password, encrypted; never shown. */
  sealedSecrets: string | null;
  enabled: boolean;
  createdAt: string;
  deleted: boolean;
}

export interface Rule {
  id: string;
  orgId: string;
  channelId: string;
  events: NotificationLabel[];
  registryId: string | null;
  sensorPattern: string | null;
  holdDownMs: number;
  createdAt: string;
  deleted: boolean;
}

export interface Silence {
  id: string;
  orgId: string;
  sensorPattern: string | null;
  registryId: string | null;
  until: string;
  comment: string;
  createdAt: string;
  deleted: boolean;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead' | 'suppressed';

export interface Delivery {
  id: string;
  orgId: string;
  channelId: string;
  event: string;
  message: Record<string, unknown>;
  status: DeliveryStatus;
  attempts: number;
  /** Attempts since the delivery was queued or last retried by hand: the retry schedule counts these. */
  attemptsInRound: number;
  lastError: string | null;
  lastResponse: string | null;
  nextAttemptAt: string | null;
  /** True between an attempt and its outcome: a crash there means the attempt is made again. */
  inFlight: boolean;
  createdAt: string;
  updatedAt: string;
}

type ChannelEvent = EventsOf<'NotificationChannelCreated' | 'NotificationChannelChanged' | 'NotificationChannelDeleted'>;
export type DeliveryEvent = EventsOf<
  | 'NotificationQueued'
  | 'NotificationSuppressed'
  | 'NotificationAttempted'
  | 'NotificationDelivered'
  | 'NotificationFailed'
  | 'NotificationDeadLettered'
  | 'NotificationRetryRequested'
>;

export type ChannelCommand =
  | { type: 'Create'; data: EventData<'NotificationChannelCreated'> }
  | { type: 'Change'; orgId: string; data: EventData<'NotificationChannelChanged'> }
  | { type: 'Delete'; orgId: string; channelId: string };

/** The live channel of an org, or "not found" (another org's channel is simply not there). */
export function ownChannel(state: Channel | null, orgId: string, channelId: string): Channel {
  mustBeOwned(state, orgId, 'Channel', channelId);
  return state!;
}

export const channelDecider: Decider<Channel | null, ChannelCommand, ChannelEvent> = {
  initialState: () => null,
  decide(command, state) {
    switch (command.type) {
      case 'Create':
        mustBeNew(state, 'Channel', command.data.channelId);
        return [{ type: 'NotificationChannelCreated', data: command.data }];
      case 'Change':
        ownChannel(state, command.orgId, command.data.channelId);
        return [{ type: 'NotificationChannelChanged', data: command.data }];
      case 'Delete':
        ownChannel(state, command.orgId, command.channelId);
        return [{ type: 'NotificationChannelDeleted', data: { channelId: command.channelId } }];
    }
  },
  evolve(state, event: Evolving<ChannelEvent>) {
    if (event.type === 'NotificationChannelCreated') {
      const { channelId, orgId, name, type, config, sealedSecrets } = event.data;
      return { id: channelId, orgId, name, type, config, sealedSecrets: sealedSecrets ?? null, enabled: true, createdAt: event.metadata.occurredAt, deleted: false };
    }
    if (!state) return state;
    if (event.type === 'NotificationChannelDeleted') return { ...state, deleted: true };
    const { name, config, sealedSecrets, enabled } = event.data;
    return { ...state, name: name ?? state.name, config: config ?? state.config, sealedSecrets: sealedSecrets ?? state.sealedSecrets, enabled: enabled ?? state.enabled };
  },
};

/** A record is created once per id. */
function mustBeNew(state: unknown, what: string, id: string): void {
  if (state) throw new AppError('conflict', `${what} ${id} already exists`);
}

/** Only an org's own live record can be changed; others' are simply not there. */
function mustBeOwned(state: { orgId: string; deleted: boolean } | null, orgId: string, what: string, id: string): void {
  if (!state || state.orgId !== orgId || state.deleted) throw new AppError('not_found', `${what} ${id} not found`);
}

/** What can be done to a record that is only ever created and deleted (rules, silences). */
export type CreateDeleteCommand<Data> = { type: 'Create'; data: Data } | { type: 'Delete'; orgId: string; id: string };

/** The decider of such a record: created once, deleted once, by its own org only. */
function createDeleteDecider<T extends { orgId: string; deleted: boolean }, C extends DomainEvent, D extends DomainEvent>(spec: {
  what: string;
  createdType: C['type'];
  idOf: (data: C['data']) => string;
  deleted: (id: string) => D;
  fromCreated: (event: Evolving<C>) => T;
}): Decider<T | null, CreateDeleteCommand<C['data']>, C | D> {
  return {
    initialState: () => null,
    decide(command, state) {
      if (command.type === 'Create') return mustBeNew(state, spec.what, spec.idOf(command.data)), [{ type: spec.createdType, data: command.data } as C];
      mustBeOwned(state, command.orgId, spec.what, command.id);
      return [spec.deleted(command.id)];
    },
    evolve: (state, event) => (event.type === spec.createdType ? spec.fromCreated(event as Evolving<C>) : state && { ...state, deleted: true }),
  };
}

export type RuleCommand = CreateDeleteCommand<EventData<'NotificationRuleCreated'>>;

export const ruleDecider = createDeleteDecider<Rule, EventsOf<'NotificationRuleCreated'>, EventsOf<'NotificationRuleDeleted'>>({
  what: 'Rule',
  createdType: 'NotificationRuleCreated',
  idOf: (data) => data.ruleId,
  deleted: (ruleId) => ({ type: 'NotificationRuleDeleted', data: { ruleId } }),
  fromCreated: ({ data: d, metadata }) => ({
    id: d.ruleId,
    orgId: d.orgId,
    channelId: d.channelId,
    events: d.events as NotificationLabel[],
    registryId: d.registryId ?? null,
    sensorPattern: d.sensorPattern ?? null,
    holdDownMs: d.holdDownMs ?? 0,
    createdAt: metadata.occurredAt,
    deleted: false,
  }),
});

export type SilenceCommand = CreateDeleteCommand<EventData<'NotificationSilenceCreated'>>;

export const silenceDecider = createDeleteDecider<Silence, EventsOf<'NotificationSilenceCreated'>, EventsOf<'NotificationSilenceDeleted'>>({
  what: 'Silence',
  createdType: 'NotificationSilenceCreated',
  idOf: (data) => data.silenceId,
  deleted: (silenceId) => ({ type: 'NotificationSilenceDeleted', data: { silenceId } }),
  fromCreated: ({ data: d, metadata }) => ({ id: d.silenceId, orgId: d.orgId, sensorPattern: d.sensorPattern ?? null, registryId: d.registryId ?? null, until: d.until, comment: d.comment, createdAt: metadata.occurredAt, deleted: false }),
});

/** What happens to one delivery; the notifier decides when, the decider checks it makes sense. */
export type DeliveryCommand =
  | { type: 'Queue'; data: EventData<'NotificationQueued'> }
  | { type: 'Suppress'; data: EventData<'NotificationSuppressed'> }
  | { type: 'Attempt'; deliveryId: string }
  | { type: 'Succeed'; deliveryId: string; response: string }
  /** A failed attempt: retried at `nextAttemptAt`, or dead-lettered without one. */
  | { type: 'Fail'; deliveryId: string; error: string; nextAttemptAt: string | null }
  | { type: 'Retry'; orgId: string; deliveryId: string };

function existing(state: Delivery | null, deliveryId: string): Delivery {
  if (!state) throw new AppError('not_found', `Delivery ${deliveryId} not found`);
  return state;
}

export function decideDelivery(command: DeliveryCommand, state: Delivery | null): DeliveryEvent[] {
  switch (command.type) {
    case 'Queue':
      return state ? [] : [{ type: 'NotificationQueued', data: command.data }];
    case 'Suppress':
      return state ? [] : [{ type: 'NotificationSuppressed', data: command.data }];
    case 'Attempt': {
      const delivery = existing(state, command.deliveryId);
      if (delivery.status !== 'pending' && delivery.status !== 'failed') return [];
      return [{ type: 'NotificationAttempted', data: { deliveryId: delivery.id, attempt: delivery.attempts + 1 } }];
    }
    case 'Succeed': {
      const delivery = existing(state, command.deliveryId);
      if (!delivery.inFlight) return [];
      return [{ type: 'NotificationDelivered', data: { deliveryId: delivery.id, attempt: delivery.attempts, response: command.response } }];
    }
    case 'Fail': {
      const delivery = existing(state, command.deliveryId);
      if (!delivery.inFlight) return [];
      const { deliveryId, error, nextAttemptAt } = command;
      const failed: DeliveryEvent = { type: 'NotificationFailed', data: { deliveryId, attempt: delivery.attempts, error, ...(nextAttemptAt ? { nextAttemptAt } : {}) } };
      if (nextAttemptAt) return [failed];
      return [failed, { type: 'NotificationDeadLettered', data: { deliveryId, attempts: delivery.attempts, error } }];
    }
    case 'Retry': {
      if (!state || state.orgId !== command.orgId) throw new AppError('not_found', `Delivery ${command.deliveryId} not found`);
      if (state.status !== 'dead') throw new AppError('conflict', `Delivery ${command.deliveryId} is ${state.status}; only dead letters can be retried`);
      return [{ type: 'NotificationRetryRequested', data: { deliveryId: state.id } }];
    }
  }
}

export function evolveDelivery(state: Delivery | null, event: Evolving<DeliveryEvent>): Delivery | null {
  const at = event.metadata.occurredAt;
  if (event.type === 'NotificationQueued' || event.type === 'NotificationSuppressed') {
    const { deliveryId, orgId, channelId, message } = event.data;
    const status = event.type === 'NotificationQueued' ? 'pending' : 'suppressed';
    const base = { lastError: null, lastResponse: null, nextAttemptAt: null, inFlight: false, createdAt: at, updatedAt: at };
    return { id: deliveryId, orgId, channelId, event: event.data.event, message, status, attempts: 0, attemptsInRound: 0, ...base };
  }
  if (!state) return state;
  const next = { ...state, updatedAt: at };
  switch (event.type) {
    case 'NotificationAttempted':
      return { ...next, attempts: event.data.attempt, attemptsInRound: state.attemptsInRound + 1, inFlight: true };
    case 'NotificationDelivered':
      return { ...next, status: 'delivered', inFlight: false, lastResponse: event.data.response, nextAttemptAt: null };
    case 'NotificationFailed':
      return { ...next, status: 'failed', inFlight: false, lastError: event.data.error, nextAttemptAt: event.data.nextAttemptAt ?? null };
    case 'NotificationDeadLettered':
      return { ...next, status: 'dead', nextAttemptAt: null };
    case 'NotificationRetryRequested':
      return { ...next, status: 'pending', attemptsInRound: 0, nextAttemptAt: null };
  }
}

export const deliveryDecider: Decider<Delivery | null, DeliveryCommand, DeliveryEvent> = {
  initialState: () => null,
  evolve: evolveDelivery,
  decide: decideDelivery,
};
