/** Stream names: one stream per sensor, registry, job, API key, token and org. */
export const sensorStream = (id: string) => `sensor-${id}`;
export const registryStream = (id: string) => `registry-${id}`;
export const jobStream = (id: string) => `job-${id}`;
export const apiKeyStream = (id: string) => `apikey-${id}`;
export const tokenStream = (id: string) => `token-${id}`;
export const orgStream = (id: string) => `org-${id}`;
export const sessionStream = (id: string) => `session-${id}`;
/** Last-contact checkpoints of one org's sensors. */
export const contactsStream = (orgId: string) => `contacts-${orgId}`;
export const channelStream = (id: string) => `channel-${id}`;
export const notifyRuleStream = (id: string) => `notifyrule-${id}`;
export const silenceStream = (id: string) => `silence-${id}`;
export const deliveryStream = (id: string) => `delivery-${id}`;

export type StreamKind = 'sensor' | 'registry' | 'job' | 'apikey' | 'token' | 'org' | 'session' | 'contacts' | 'channel' | 'notifyrule' | 'silence' | 'delivery';

const KINDS: readonly StreamKind[] = ['sensor', 'registry', 'job', 'apikey', 'token', 'org', 'session', 'contacts', 'channel', 'notifyrule', 'silence', 'delivery'];

/** The id part of a stream's name: what follows its kind's prefix. */
export function streamId(streamName: string): string {
  return streamName.slice(streamName.indexOf('-') + 1);
}

/** The kind of a stream, from the prefix of its name; null for streams the service does not own. */
export function streamKind(streamName: string): StreamKind | null {
  const dash = streamName.indexOf('-');
  const prefix = dash < 0 ? streamName : streamName.slice(0, dash);
  return (KINDS as readonly string[]).includes(prefix) ? (prefix as StreamKind) : null;
}
