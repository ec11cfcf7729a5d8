import { describe, expect, it } from 'vitest';
import { contactsDecider, type ContactsEvent } from './contacts.js';
import { deciderSpec } from './testing/given-when-then.js';

const given = deciderSpec(contactsDecider);
const T = Date.parse('2026-11-27T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const checkpointed = (contacts: Record<string, number>): ContactsEvent => ({
  type: 'SensorContactsCheckpointed',
  data: { orgId: 'o1', contacts: Object.fromEntries(Object.entries(contacts).map(([id, at]) => [id, iso(at)])) },
});
const checkpoint = (contacts: Record<string, number>) => ({ type: 'Checkpoint' as const, orgId: 'o1', contacts: new Map(Object.entries(contacts)) });

describe('contact checkpoints decider', () => {
  it('records the last contacts of the sensors that called, in one record', () => given([]).when(checkpoint({ a: T, b: T + 5 })).then([checkpointed({ a: T, b: T + 5 })]));
  it('records only contacts later than the ones already recorded', () => given([checkpointed({ a: T, b: T })]).when(checkpoint({ a: T, b: T + 1 })).then([checkpointed({ b: T + 1 })]));
  it('records nothing when nothing is new', () => given([checkpointed({ a: T })]).when(checkpoint({ a: T - 1 })).then([]));
  it('keeps the latest contact of each sensor across records', () => {
    const { state } = given([checkpointed({ a: T + 9, b: T }), checkpointed({ a: T + 3 })]);
    expect(Object.fromEntries(state!.lastContactAt)).toEqual({ a: T + 9, b: T });
  });
});
