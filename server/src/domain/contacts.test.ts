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
  it('reads records of any size: logs written with 4 000 contacts per record restore every one', () => {
    const older = Object.fromEntries(Array.from({ length: 4_000 }, (_, i) => [`s-${i}`, T + i]));
    const { state } = given([checkpointed(older), checkpointed({ 's-0': T + 10_000 })]);
    expect(state!.lastContactAt.size).toBe(4_000);
    expect([state!.lastContactAt.get('s-0'), state!.lastContactAt.get('s-3999')]).toEqual([T + 10_000, T + 3_999]);
  });
});
