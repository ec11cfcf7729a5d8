import { describe, expect, it } from 'vitest';
import type { Rule, Silence } from '../domain/notification.js';
import { activeSilence, ruleMatches, sensorMatches } from './routing.js';

const sensor = { id: 's1', name: 'edge-01', host: 'edge-01.lab.internal' };
const rule = (over: Partial<Rule> = {}): Rule => ({ id: 'r', orgId: 'o', channelId: 'c', events: ['Sensor lost connection'], registryId: null, sensorPattern: null, holdDownMs: 0, createdAt: '', deleted: false, ...over });

describe('routing', () => {
  it('matches a pattern against name or host, with * as a wildcard, ignoring case', () => {
    expect(sensorMatches('EDGE-*', sensor)).toBe(true);
    expect(sensorMatches('*.lab.internal', sensor)).toBe(true);
    expect(sensorMatches('edge-0?', sensor)).toBe(false);
    expect(sensorMatches('gpu-*', sensor)).toBe(false);
  });

  it('routes only the rule’s events, of its org, narrowed by registry and pattern', () => {
    const subject = { orgId: 'o', sensor, registryId: 'reg1' };
    expect(ruleMatches(rule(), ['Sensor lost connection'], subject)).toBe(true);
    expect(ruleMatches(rule(), ['Sensor reconnected'], subject)).toBe(false);
    expect(ruleMatches(rule(), ['Sensor lost connection'], { ...subject, orgId: 'other' })).toBe(false);
    expect(ruleMatches(rule({ registryId: 'reg2' }), ['Sensor lost connection'], subject)).toBe(false);
    expect(ruleMatches(rule({ sensorPattern: 'gpu-*' }), ['Sensor lost connection'], subject)).toBe(false);
  });

  it('a silence mutes until its end, not after', () => {
    const silence: Silence = { id: 'x', orgId: 'o', sensorPattern: 'edge-*', registryId: null, until: '2026-11-27T10:00:00.000Z', comment: '', createdAt: '', deleted: false };
    const subject = { orgId: 'o', sensor, registryId: null };
    expect(activeSilence([silence], subject, Date.parse('2026-11-27T09:59:59.999Z'))).toBe(silence);
    expect(activeSilence([silence], subject, Date.parse('2026-11-27T10:00:00.000Z'))).toBeUndefined();
  });
});
