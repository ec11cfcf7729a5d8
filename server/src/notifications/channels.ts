import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { ChannelType } from '../domain/notification.js';
import { displayName, type NotificationMessage } from './message.js';

export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';
export const WEBHOOK_USER_AGENT = 'HarborGuard-Webhook/1.0';
export const SEND_TIMEOUT_MS = 10_000;

/** A channel as a sender needs it: its settings with the secrets opened. */
export interface ResolvedChannel {
  id: string;
  type: ChannelType;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface Outgoing {
  message: NotificationMessage;
  deliveryId: string;
  /** The dashboard's address, so links in messages open it. */
  publicUrl: string;
}

/** A receiver's refusal, or no answer in time: the delivery is retried. */
export class SendFailed extends Error {}

/** The receiver's answer, as the delivery log shows it. */
export type SendResult = string;

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The exact JSON a webhook receives. */
export function webhookBody({ message, deliveryId, publicUrl }: Outgoing): Record<string, unknown> {
  return {
    event: message.event,
    severity: message.severity,
    title: message.title,
    message: message.message,
    url: publicUrl + message.path,
    timestamp: message.timestamp,
    sensor: message.sensor,
    lastHeartbeatAt: message.lastHeartbeatAt,
    registry: message.registry,
    deliveryId,
    // A storm's grouped message lists every sensor concerned.
    ...(message.sensors.length > 1 ? { sensors: message.sensors } : {}),
  };
}

/** A Slack incoming-webhook message: plain text for notifications, blocks for the channel. */
export function slackBody({ message, deliveryId, publicUrl }: Outgoing): Record<string, unknown> {
  return {
    text: `${message.title}\n${message.message}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: message.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: message.message.slice(0, 3000) } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `<${publicUrl + message.path}|Open in HarborGuard> · ${message.timestamp} · delivery ${deliveryId}` }] },
    ],
  };
}

const PD_SEVERITY = { critical: 'critical', error: 'error', info: 'info' } as const;
/**
 * PagerDuty takes events of a few hundred kilobytes at most: a storm's event lists this many
 * sensors in its details, with the count of all of them (the webhook carries the full list).
 */
export const PAGERDUTY_LISTED_SENSORS = 100;

/** A PagerDuty Events API v2 event: trigger on loss, resolve on recovery, one incident per sensor. */
export function pagerDutyBody({ message, publicUrl }: Outgoing, routingKey: string): Record<string, unknown> {
  const base = { routing_key: routingKey, event_action: message.action, dedup_key: message.dedupKey };
  if (message.action === 'resolve') return base;
  const source = message.sensor ? displayName(message.sensor) : message.registry ? message.registry.name : 'HarborGuard';
  return {
    ...base,
    payload: {
      summary: message.title.slice(0, 1024),
      source,
      severity: PD_SEVERITY[message.severity],
      timestamp: message.timestamp,
      component: message.sensor ? 'sensor' : 'registry',
      group: message.registry?.name ?? 'unbound',
      class: message.event,
      custom_details: { message: message.message, lastHeartbeatAt: message.lastHeartbeatAt, sensor: message.sensor, registry: message.registry, ...stormDetails(message) },
    },
    client: 'HarborGuard Sensor Health',
    client_url: publicUrl + message.path,
  };
}

function stormDetails(message: NotificationMessage): Record<string, unknown> {
  if (message.sensors.length <= 1) return {};
  return { sensorCount: message.sensors.length, sensors: message.sensors.slice(0, PAGERDUTY_LISTED_SENSORS) };
}

export function emailContent({ message, publicUrl }: Outgoing): { subject: string; text: string; html: string } {
  const link = publicUrl + message.path;
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const html = `<h2>${escape(message.title)}</h2><p>${message.message.split('\n').map(escape).join('<br>')}</p><p><a href="${escape(link)}">Open in HarborGuard</a></p>`;
  return { subject: `[HarborGuard] ${message.title}`, text: `${message.message}\n\n${link}\n`, html };
}

/** Posts a body already serialised, so a signature covers exactly the bytes sent. */
async function postJson(url: string, raw: string, headers: Record<string, string> = {}): Promise<SendResult> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw, signal: AbortSignal.timeout(SEND_TIMEOUT_MS) });
  } catch (error) {
    const cause = error as Error & { cause?: Error };
    throw new SendFailed(cause.name === 'TimeoutError' ? `no answer within ${SEND_TIMEOUT_MS / 1000} s` : `could not reach ${new URL(url).host}: ${cause.cause?.message ?? cause.message}`);
  }
  const text = (await response.text().catch(() => '')).slice(0, 300);
  const answer = `HTTP ${response.status}${text ? `: ${text}` : ''}`;
  if (response.status < 200 || response.status > 299) throw new SendFailed(answer);
  return answer;
}

/** `sha256=<hex>` of the raw body under the webhook's secret. */
export function signature(secret: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

async function sendEmail(channel: ResolvedChannel, outgoing: Outgoing): Promise<SendResult> {
  const { config, secrets } = channel;
  const user = str(config['user']);
  const transport = nodemailer.createTransport({
    host: str(config['host']),
    port: Number(config['port']),
    secure: config['secure'] === true,
    ...(user ? { auth: { user, pass: secrets['password'] ?? '' } } : {}),
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  try {
    const info = await transport.sendMail({ from: str(config['from']), to: config['to'] as string[], ...emailContent(outgoing) });
    return `SMTP ${info.response}`;
  } catch (error) {
    throw new SendFailed(`SMTP: ${(error as Error).message}`);
  } finally {
    transport.close();
  }
}

/** Sends one message over one channel; resolves with the receiver's answer, or throws `SendFailed`. */
export async function send(channel: ResolvedChannel, outgoing: Outgoing): Promise<SendResult> {
  const url = str(channel.config['url']);
  switch (channel.type) {
    case 'webhook': {
      const body = webhookBody(outgoing);
      const raw = JSON.stringify(body);
      const secret = channel.secrets['secret'];
      const headers: Record<string, string> = { 'user-agent': WEBHOOK_USER_AGENT, ...(secret ? { 'x-harborguard-signature': signature(secret, raw) } : {}) };
      return postJson(url!, raw, headers);
    }
    case 'slack':
      return postJson(url!, JSON.stringify(slackBody(outgoing)));
    case 'pagerduty':
      return postJson(url ?? DEFAULT_PAGERDUTY_URL, JSON.stringify(pagerDutyBody(outgoing, channel.secrets['routingKey'] ?? '')));
    case 'email':
      return sendEmail(channel, outgoing);
  }
}

