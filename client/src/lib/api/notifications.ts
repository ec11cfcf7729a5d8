import type { TrpcClient } from './client';

type Out<P extends keyof TrpcClient['notifications'], K extends 'query' | 'mutate'> = TrpcClient['notifications'][P] extends Record<K, (...args: never[]) => Promise<infer R>> ? R : never;

export type ChannelRow = Out<'listChannels', 'query'>[number];
export type RuleRow = Out<'listRules', 'query'>[number];
export type SilenceRow = Out<'listSilences', 'query'>[number];
export type DeliveryPage = Out<'deliveries', 'query'>;
export type DeliveryRow = DeliveryPage['items'][number];
export type ChannelKind = 'webhook' | 'slack' | 'pagerduty' | 'email';

/** Settings → Notifications: channels, rules, silences and the delivery log. */
export function createNotificationsApi(trpc: TrpcClient) {
  const n = trpc.notifications;
  return {
    listChannels: () => n.listChannels.query(),
    createChannel: (input: { name: string; type: ChannelKind; config: Record<string, unknown> }) => n.createChannel.mutate(input),
    updateChannel: (input: { id: string; name?: string; config?: Record<string, unknown>; enabled?: boolean }) => n.updateChannel.mutate(input),
    deleteChannel: (id: string) => n.deleteChannel.mutate({ id }),
    testChannel: (id: string) => n.testChannel.mutate({ id }),
    listRules: () => n.listRules.query(),
    createRule: (input: { channelId: string; events: ('Sensor lost connection' | 'Sensor reconnected' | 'Registry error' | 'Registry recovered')[]; registryId?: string; sensorPattern?: string; holdDownMs?: number }) =>
      n.createRule.mutate(input),
    deleteRule: (id: string) => n.deleteRule.mutate({ id }),
    listSilences: () => n.listSilences.query(),
    createSilence: (input: { sensorPattern?: string; registryId?: string; until: string; comment: string }) => n.createSilence.mutate(input),
    deleteSilence: (id: string) => n.deleteSilence.mutate({ id }),
    deliveries: (input: { channelId?: string; status?: 'pending' | 'delivered' | 'failed' | 'dead' | 'suppressed'; cursor?: string; limit?: number }) => n.deliveries.query(input),
    retry: (deliveryId: string) => n.retry.mutate({ deliveryId }),
  };
}
