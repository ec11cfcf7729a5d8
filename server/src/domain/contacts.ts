import type { Decider, EventsOf, Evolving } from './decider.js';

/**
 * Last contacts of an org's sensors, as checkpointed: heartbeats that change nothing are not
 * events, so these records are what a restart knows of them. A restart loses at most the
 * contacts since the last checkpoint.
 */
export interface ContactCheckpoints {
  orgId: string;
  /** Sensor id → last checkpointed contact (server time, ms). */
  lastContactAt: Map<string, number>;
}

export type ContactsState = ContactCheckpoints | null;

export type ContactsEvent = EventsOf<'SensorContactsCheckpointed'>;

export type ContactsCommand = {
  type: 'Checkpoint';
  orgId: string;
  /** Sensor id → last contact (server time, ms) of the sensors that called since the last checkpoint. */
  contacts: ReadonlyMap<string, number>;
};

/**
 * Contacts per record. Each record is decided, stored, read back and projected in one short step,
 * so a large fleet's checkpoint never holds heartbeats and sensor timers back for long. It stays far under the 1 MiB an EventStoreDB append may carry: a sensor id
 * is at most 128 characters, an entry at most ~170 bytes of JSON, so 500 entries are ~85 KB.
 * Records of other sizes (older logs hold 4 000 contacts each) read the same.
 */
export const CONTACTS_PER_RECORD = 500;

/** Only contacts later than the ones already recorded are worth a record. */
export function decideContacts(command: ContactsCommand, state: ContactsState): ContactsEvent[] {
  const fresh: Record<string, string> = {};
  let count = 0;
  for (const [sensorId, at] of command.contacts) {
    const known = state?.lastContactAt.get(sensorId);
    if (known !== undefined && known >= at) continue;
    fresh[sensorId] = new Date(at).toISOString();
    count++;
  }
  return count === 0 ? [] : [{ type: 'SensorContactsCheckpointed', data: { orgId: command.orgId, contacts: fresh } }];
}

export function evolveContacts(state: ContactsState, event: Evolving<ContactsEvent>): ContactsState {
  const next = state ?? { orgId: event.data.orgId, lastContactAt: new Map<string, number>() };
  for (const [sensorId, at] of Object.entries(event.data.contacts)) {
    const ms = Date.parse(at);
    if ((next.lastContactAt.get(sensorId) ?? -Infinity) < ms) next.lastContactAt.set(sensorId, ms);
  }
  return next;
}

export const contactsDecider: Decider<ContactsState, ContactsCommand, ContactsEvent> = {
  initialState: () => null,
  evolve: evolveContacts,
  decide: decideContacts,
};
