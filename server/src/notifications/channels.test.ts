import { describe, expect, it } from 'vitest';
import { PAGERDUTY_LISTED_SENSORS, pagerDutyBody, webhookBody } from './channels.js';
import { stormMessage, type AffectedSensor } from './message.js';

const affected = (n: number): AffectedSensor => ({ sensor: { id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, name: `sensor-${n}`, host: `sensor-${n}.example` }, lastHeartbeatAt: '2026-11-27T10:00:00.000Z', registry: null });

describe('channel bodies of a storm', () => {
  const sensors = Array.from({ length: 10_000 }, (_, n) => affected(n));
  const stored = stormMessage(sensors, '2026-11-27T10:02:00.000Z', { orgId: 'o', from: '1', to: '10000', count: 10_000, excludedEventIds: [] });
  const outgoing = { message: { ...stored, sensors }, deliveryId: 'd', publicUrl: 'https://hg.example' };

  it('keeps a PagerDuty event small enough for PagerDuty, with the count of every sensor', () => {
    const body = pagerDutyBody(outgoing, 'routing-key') as { payload: { custom_details: { sensorCount: number; sensors: unknown[] } } };
    expect(body.payload.custom_details.sensorCount).toBe(10_000);
    expect(body.payload.custom_details.sensors).toHaveLength(PAGERDUTY_LISTED_SENSORS);
    expect(JSON.stringify(body).length).toBeLessThan(100_000);
  });

  it('lists every sensor in the webhook body', () => {
    expect((webhookBody(outgoing) as { sensors: unknown[] }).sensors).toHaveLength(10_000);
  });
});
