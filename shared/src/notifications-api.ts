import { z } from 'zod';

/** Inputs of the `notifications.*` procedures: channels, rules, silences and the delivery log. */

export const NOTIFICATION_EVENTS = ['Sensor lost connection', 'Sensor reconnected', 'Registry error', 'Registry recovered'] as const;
export const NotificationEvent = z.enum(NOTIFICATION_EVENTS, { error: `must be one of ${NOTIFICATION_EVENTS.map((e) => `"${e}"`).join(', ')}` });
export type NotificationEvent = z.infer<typeof NotificationEvent>;

const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const entityId = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
const httpUrl = z
  .string()
  .max(2048, 'must be at most 2048 characters')
  .refine((value) => /^https?:\/\/[^\s]+$/i.test(value) && URL.canParse(value), 'must be an http:// or https:// URL');
const email = z.email('must be an email address');

export const WebhookConfig = z.object({ url: httpUrl, secret: z.string().min(1).max(512).optional() }).strict();
export const SlackConfig = z.object({ url: httpUrl }).strict();
export const PagerDutyConfig = z.object({ routingKey: z.string().min(1, 'must not be empty').max(128), url: httpUrl.optional() }).strict();
export const EmailConfig = z
  .object({
    host: z.string().trim().min(1, 'must not be empty').max(255),
    port: z.number().int().min(1, 'must be 1–65535').max(65535, 'must be 1–65535'),
    secure: z.boolean().optional(),
    user: z.string().max(255).optional(),
    password: z.string().max(512).optional(),
    from: email,
    to: z.array(email).min(1, 'needs at least one recipient').max(50),
  })
  .strict();

export const ChannelType = z.enum(['webhook', 'slack', 'pagerduty', 'email']);
export type ChannelType = z.infer<typeof ChannelType>;

/** The config each channel type takes; secrets among them are stored encrypted and shown masked. */
export const CHANNEL_CONFIGS = { webhook: WebhookConfig, slack: SlackConfig, pagerduty: PagerDutyConfig, email: EmailConfig } as const;
export const SECRET_CONFIG_FIELDS = { webhook: ['secret'], slack: [], pagerduty: ['routingKey'], email: ['password'] } as const satisfies Record<ChannelType, readonly string[]>;

export const CreateChannelInput = z.object({ name, type: ChannelType, config: z.record(z.string(), z.unknown()) });
export const UpdateChannelInput = z.object({
  id: entityId,
  name: name.optional(),
  /** Secret fields left out keep their stored value. */
  config: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
});
export const NotificationIdInput = z.object({ id: entityId });

export const CreateRuleInput = z.object({
  channelId: entityId,
  events: z.array(NotificationEvent).min(1, 'needs at least one event'),
  registryId: entityId.optional(),
  sensorPattern: z.string().trim().min(1).max(200).optional(),
  holdDownMs: z.number().int().min(0).max(24 * 60 * 60 * 1000, 'must be at most one day').optional(),
});

export const CreateSilenceInput = z
  .object({
    sensorPattern: z.string().trim().min(1).max(200).optional(),
    registryId: entityId.optional(),
    until: z.iso.datetime({ offset: true, error: 'must be an ISO date-time, e.g. 2026-12-01T06:00:00Z' }),
    comment: z.string().trim().max(500),
  });

export const DeliveryStatus = z.enum(['pending', 'delivered', 'failed', 'dead', 'suppressed']);
export const ListDeliveriesInput = z
  .object({
    channelId: entityId.optional(),
    status: DeliveryStatus.optional(),
    /** From the previous page's `nextCursor`. */
    cursor: z.string().max(64).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .default({});

export const RetryDeliveryInput = z.object({ deliveryId: entityId });
