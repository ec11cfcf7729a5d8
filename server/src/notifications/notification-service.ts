import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { CHANNEL_CONFIGS, SECRET_CONFIG_FIELDS, type ChannelType, type DomainEvent } from '@harborguard/shared';
import type { Clock } from '../core/clock.js';
import type { WriteContext } from '../core/event-writer.js';
import type { StreamStates } from '../core/stream-states.js';
import type { Decider } from '../domain/decider.js';
import { AppError } from '../domain/errors.js';
import { channelDecider, deliveryDecider, ownChannel, ruleDecider, silenceDecider, type Channel, type Delivery } from '../domain/notification.js';
import { ownRegistry } from '../domain/registry.js';
import { channelStream, deliveryStream, notifyRuleStream, silenceStream } from '../domain/streams.js';
import type { Deliverer } from './deliverer.js';
import { sensorMessage } from './message.js';
import { mask, type SecretBox } from './secret-box.js';

/** The one command path, as the composition root hands it in. */
export interface CommandPath {
  handle<S, C>(streamName: string, decider: Pick<Decider<S, C, DomainEvent>, 'decide'>, command: C, context: WriteContext): Promise<unknown>;
}

/** Who asks: a person of an org (the API checks the role). */
export interface Caller {
  orgId: string;
  tokenId: string;
}

export interface ChannelView {
  id: string;
  name: string;
  type: ChannelType;
  enabled: boolean;
  /** Secrets appear masked; a missing secret is null. */
  config: Record<string, unknown>;
  createdAt: string;
}

/** Splits a validated config into what may be shown and what is sealed. */
function splitSecrets(type: ChannelType, config: Record<string, unknown>): { visible: Record<string, unknown>; secret: Record<string, string> } {
  const secretFields: readonly string[] = SECRET_CONFIG_FIELDS[type];
  const visible: Record<string, unknown> = {};
  const secret: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    if (secretFields.includes(key)) {
      if (typeof value === 'string' && value !== '') secret[key] = value;
    } else visible[key] = value;
  }
  return { visible, secret };
}

function validConfig(type: ChannelType, config: Record<string, unknown>): Record<string, unknown> {
  const parsed = (CHANNEL_CONFIGS[type] as z.ZodType<Record<string, unknown>>).safeParse(config);
  if (parsed.success) return parsed.data;
  throw new AppError('bad_request', parsed.error.issues.map((issue) => `config.${issue.path.join('.')}: ${issue.message}`).join('; '));
}

/** Settings → Notifications: channels, rules and silences of an org, and its delivery log. */
export class NotificationService {
  constructor(
    private readonly handler: CommandPath,
    private readonly states: StreamStates,
    private readonly clock: Clock,
    private readonly secrets: SecretBox,
    private readonly deliverer: Deliverer,
  ) {}

  private context(caller: Caller): WriteContext {
    return { orgId: caller.orgId, actor: { kind: 'user', id: caller.tokenId }, at: this.clock.now() };
  }

  private channel(caller: Caller, id: string): Channel {
    return ownChannel(this.states.state('channel', id), caller.orgId, id);
  }

  async createChannel(caller: Caller, input: { name: string; type: ChannelType; config: Record<string, unknown> }): Promise<{ id: string }> {
    const { visible, secret } = splitSecrets(input.type, validConfig(input.type, input.config));
    const id = randomUUID();
    const sealed = Object.keys(secret).length ? { sealedSecrets: this.secrets.seal(secret) } : {};
    const data = { channelId: id, orgId: caller.orgId, name: input.name, type: input.type, config: visible, ...sealed };
    await this.handler.handle(channelStream(id), channelDecider, { type: 'Create', data }, this.context(caller));
    return { id };
  }

  /** Changes name, config or enabled; secret fields left out of `config` keep their stored value. */
  async updateChannel(caller: Caller, input: { id: string; name?: string | undefined; config?: Record<string, unknown> | undefined; enabled?: boolean | undefined }): Promise<ChannelView> {
    const channel = this.channel(caller, input.id);
    let config = {};
    if (input.config) {
      const merged = { ...this.secrets.open(channel.sealedSecrets), ...input.config };
      const { visible, secret } = splitSecrets(channel.type, validConfig(channel.type, merged));
      config = { config: visible, sealedSecrets: this.secrets.seal(secret) };
    }
    const data = { channelId: channel.id, ...(input.name ? { name: input.name } : {}), ...(input.enabled !== undefined ? { enabled: input.enabled } : {}), ...config };
    await this.handler.handle(channelStream(channel.id), channelDecider, { type: 'Change', orgId: caller.orgId, data }, this.context(caller));
    return this.view(this.channel(caller, input.id));
  }

  deleteChannel(caller: Caller, id: string): Promise<{ id: string; deleted: true }> {
    return this.remove(caller, id, channelStream(id), channelDecider, { type: 'Delete', orgId: caller.orgId, channelId: id });
  }

  listChannels(caller: Caller): ChannelView[] {
    return [...this.states.all('channel')].filter((c) => c.orgId === caller.orgId && !c.deleted).map((c) => this.view(c)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  private view(channel: Channel): ChannelView {
    const secrets = this.secrets.open(channel.sealedSecrets);
    const masked = Object.fromEntries(SECRET_CONFIG_FIELDS[channel.type].map((field) => [field, mask(secrets[field])]));
    return { id: channel.id, name: channel.name, type: channel.type, enabled: channel.enabled, config: { ...channel.config, ...masked }, createdAt: channel.createdAt };
  }

  /** Sends a sample over the channel now (recorded nowhere) and says what the receiver answered. */
  async testChannel(caller: Caller, id: string): Promise<{ ok: boolean; response: string }> {
    const channel = this.channel(caller, id);
    const sample = sensorMessage('Sensor lost connection', { sensor: { id: 'sample-sensor', name: 'sample-sensor', host: 'sample.example' }, lastHeartbeatAt: new Date(this.clock.now() - 120_000).toISOString(), registry: null }, new Date(this.clock.now()).toISOString());
    try {
      return { ok: true, response: await this.deliverer.sendNow(channel.id, caller.orgId, { ...sample, title: `Test: ${sample.title}` }, `test-${randomUUID()}`) };
    } catch (error) {
      return { ok: false, response: (error as Error).message };
    }
  }

  async createRule(caller: Caller, input: { channelId: string; events: string[]; registryId?: string | undefined; sensorPattern?: string | undefined; holdDownMs?: number | undefined }): Promise<{ id: string }> {
    this.channel(caller, input.channelId);
    if (input.registryId) ownRegistry(this.states.state('registry', input.registryId), caller.orgId, input.registryId);
    const id = randomUUID();
    const data = { ruleId: id, orgId: caller.orgId, ...withoutUndefined(input), events: [...new Set(input.events)] };
    await this.handler.handle(notifyRuleStream(id), ruleDecider, { type: 'Create', data }, this.context(caller));
    return { id };
  }

  deleteRule(caller: Caller, id: string): Promise<{ id: string; deleted: true }> {
    return this.remove(caller, id, notifyRuleStream(id), ruleDecider, { type: 'Delete', orgId: caller.orgId, id });
  }

  listRules(caller: Caller) {
    return this.live('notifyrule', caller);
  }

  private async remove<S, C>(caller: Caller, id: string, stream: string, decider: Pick<Decider<S, C, DomainEvent>, 'decide'>, command: C): Promise<{ id: string; deleted: true }> {
    await this.handler.handle(stream, decider, command, this.context(caller));
    return { id, deleted: true };
  }

  /** The caller's org's records of a kind that are not deleted, oldest first. */
  private live<K extends 'notifyrule' | 'silence'>(kind: K, caller: Caller) {
    return [...this.states.all(kind)].filter((r) => r.orgId === caller.orgId && !r.deleted).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async createSilence(caller: Caller, input: { sensorPattern?: string | undefined; registryId?: string | undefined; until: string; comment: string }): Promise<{ id: string }> {
    if (Date.parse(input.until) <= this.clock.now()) throw new AppError('bad_request', 'until: must be in the future');
    if (input.registryId) ownRegistry(this.states.state('registry', input.registryId), caller.orgId, input.registryId);
    const id = randomUUID();
    const data = { silenceId: id, orgId: caller.orgId, ...withoutUndefined(input), until: new Date(input.until).toISOString() };
    await this.handler.handle(silenceStream(id), silenceDecider, { type: 'Create', data }, this.context(caller));
    return { id };
  }

  deleteSilence(caller: Caller, id: string): Promise<{ id: string; deleted: true }> {
    return this.remove(caller, id, silenceStream(id), silenceDecider, { type: 'Delete', orgId: caller.orgId, id });
  }

  listSilences(caller: Caller) {
    const now = this.clock.now();
    return this.live('silence', caller).map((s) => ({ ...s, active: Date.parse(s.until) > now }));
  }

  /** The delivery log, newest first; `nextCursor` fetches the next page. */
  deliveries(caller: Caller, input: { channelId?: string | undefined; status?: Delivery['status'] | undefined; cursor?: string | undefined; limit?: number | undefined }) {
    const limit = input.limit ?? 50;
    const offset = input.cursor ? Number.parseInt(input.cursor, 10) : 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new AppError('bad_request', 'cursor: not a cursor this API gave out');
    const all = [...this.states.all('delivery')]
      .filter((d) => d.orgId === caller.orgId && (!input.channelId || d.channelId === input.channelId) && (!input.status || d.status === input.status))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    const items = all.slice(offset, offset + limit).map(({ inFlight: _inFlight, attemptsInRound: _round, ...delivery }) => delivery);
    return { items, nextCursor: offset + limit < all.length ? String(offset + limit) : null };
  }

  /** Sends a dead letter again, with a fresh retry schedule. */
  async retry(caller: Caller, deliveryId: string): Promise<{ deliveryId: string; status: string }> {
    await this.handler.handle(deliveryStream(deliveryId), deliveryDecider, { type: 'Retry', orgId: caller.orgId, deliveryId }, this.context(caller));
    this.deliverer.schedule(deliveryId);
    return { deliveryId, status: 'pending' };
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
