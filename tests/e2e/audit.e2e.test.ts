import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { wireSensor } from '../support/sensor-clients.js';
import { ADMIN_TOKEN, SCREENSHOTS, eventually, heartbeatLoop, startStack, type Stack } from './harness.js';

/**
 * The auditor's time travel in a real browser: a sensor that fell silent and came back is
 * online now, and shown offline at a moment while it was down; the page says it is history and
 * leads back to live.
 */
describe('audit dashboard', () => {
  let stack: Stack;
  let page: Page;
  let loop: ReturnType<typeof heartbeatLoop> | null = null;
  /** A moment while the sensor was offline (ms since the epoch). */
  let whileDown: number;

  const statusOf = async (name: string) => page.locator(`tr[data-sensor-name="${name}"] [data-status]`).getAttribute('data-status');

  beforeAll(async () => {
    stack = await startStack();
    page = stack.page;
    const { key } = await stack.admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' });
    const agent = wireSensor(stack.url, key);
    const id = await agent.register({ name: 'phoenix', hostname: 'phoenix.lab.internal' });
    const statusNow = async () => (await stack.admin.do('query', 'sensors.get', { id })).sensor.status;
    // Silent past the offline threshold, then back.
    await eventually(async () => expect(await statusNow()).toBe('offline'));
    whileDown = Date.now() + 1_000;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    loop = heartbeatLoop(() => agent.heartbeat(id));
    await eventually(async () => expect(await statusNow()).toBe('online'));
  });

  afterAll(async () => {
    await loop?.stop();
    await stack?.stop();
  });

  it('shows a sensor that is online now as offline at a past moment, marked as history, with a way back to live', async () => {
    await page.goto(`${stack.url}/sign-in`);
    await page.getByLabel('Access token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors$/);
    await eventually(async () => expect(await statusOf('phoenix')).toBe('online'));

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('link', { name: 'Fleet at a moment' }).click();
    await page.getByRole('heading', { name: 'Fleet at a moment', level: 1 }).waitFor();
    // The moment as the browser's own clock and zone write it.
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    }, whileDown);
    await page.getByLabel('Moment', { exact: true }).fill(local);
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(async () => expect(await statusOf('phoenix')).toBe('offline'));
    const banner = page.getByTestId('history-banner');
    expect(await banner.textContent()).toMatch(/History: the fleet as it was at .*not live/);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-history.png'), fullPage: true });

    await banner.getByRole('link', { name: 'Back to live' }).click();
    await page.waitForURL(/\/sensors$/);
    await eventually(async () => expect(await statusOf('phoenix')).toBe('online'));
  });

  it('shows the outage on the sensor page strip and in the availability report, and the log verifies intact', async () => {
    await page.locator('tr[data-sensor-name="phoenix"] a.name').click();
    await page.getByRole('heading', { name: 'Availability' }).waitFor();
    const ratios = page.getByTestId('availability-ratio');
    await eventually(async () => expect(await ratios.count()).toBe(2));
    expect(await ratios.first().textContent()).toMatch(/^\d+\.\d\d %$/);
    expect(await page.getByTestId('availability-strips').textContent()).toContain('1 outage');

    await page.goto(`${stack.url}/audit/availability`);
    await eventually(async () => expect(await page.locator('tr[data-sensor-id]').count()).toBe(1));
    expect(await page.locator('tr[data-sensor-id]').textContent()).toContain('phoenix');
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toMatch(/^\/api\/audit\/availability\.csv\?from=/);
    await page.getByRole('button', { name: 'Verify the log' }).click();
    await eventually(async () => expect(await page.getByTestId('verify-result').textContent()).toMatch(/Intact up to position \d+/));
  });

  it('pages a fleet larger than a page, at a moment and in the availability report', async () => {
    const { key } = await stack.admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'more' });
    const agent = wireSensor(stack.url, key);
    for (let n = 0; n < 55; n++) await agent.register({ name: `rack-${String(n).padStart(2, '0')}`, hostname: `rack-${n}.lab.internal` });
    const range = () => page.getByTestId('pager-range').textContent();
    const rows = () => page.locator('tr[data-sensor-name]').count();

    await page.goto(`${stack.url}/audit/history`);
    const now = await page.evaluate(() => {
      const d = new Date(Date.now() + 1_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    });
    await page.getByLabel('Moment', { exact: true }).fill(now);
    await page.getByRole('button', { name: 'Show' }).click();
    await eventually(async () => expect(await range()).toBe('1–50 of 56 sensors'));
    expect(await rows()).toBe(50);
    await page.getByRole('button', { name: 'Next' }).click();
    await eventually(async () => expect(await range()).toBe('51–56 of 56 sensors'));
    expect(await rows()).toBe(6);
    await page.getByRole('button', { name: 'Previous' }).click();
    await eventually(async () => expect(await range()).toBe('1–50 of 56 sensors'));

    await page.goto(`${stack.url}/audit/availability`);
    await eventually(async () => expect(await range()).toBe('1–50 of 56 sensors'));
    expect(await page.locator('tr[data-sensor-id]').count()).toBe(50);
    await page.getByRole('button', { name: 'Next' }).click();
    await eventually(async () => expect(await range()).toBe('51–56 of 56 sensors'));
    expect(await page.locator('tr[data-sensor-id]').last().textContent()).toContain('rack-54');
  });
});
