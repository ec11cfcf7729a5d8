import type { Decider } from './decider.js';
import { contactsDecider } from './contacts.js';
import { apiKeyDecider, orgDecider, tokenDecider } from './credentials.js';
import { jobDecider } from './job.js';
import { registryDecider } from './registry.js';
import { sensorDecider } from './sensor.js';
import { sessionDecider } from './session.js';
import type { StreamKind } from './streams.js';
import { channelDecider, deliveryDecider, ruleDecider, silenceDecider } from './notification.js';

/** The decider that owns each kind of stream. */
export const decidersByKind = {
  sensor: sensorDecider,
  registry: registryDecider,
  job: jobDecider,
  apikey: apiKeyDecider,
  token: tokenDecider,
  org: orgDecider,
  session: sessionDecider,
  contacts: contactsDecider,
  channel: channelDecider,
  notifyrule: ruleDecider,
  silence: silenceDecider,
  delivery: deliveryDecider,
} as const satisfies Record<StreamKind, Pick<Decider<unknown, never, never>, 'initialState'>>;

export type StateOf<K extends StreamKind> = ReturnType<(typeof decidersByKind)[K]['initialState']>;
