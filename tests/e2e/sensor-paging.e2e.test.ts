import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';
import { ADMIN_TOKEN, SCREENSHOTS, eventually, heartbeatLoop, startStack, type Stack } from './harness.js';

const FLEET = 130;
const name = (i: number) => `scanner-${String(i).padStart(3, '0')}`;

/**
 * The Sensors page of a fleet larger than a page: the server pages, filters and searches it, the
 * link says which page and filter are shown, and a row on screen changes live.
 */
describe('sensor list paging', () => {
  let stack: Stack;
  let page: Page;
  let agent: SensorClient;
  const ids = new Map<string, string>();

  const shownNames = () => page.locator('tr[data-sensor-name]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-sensor-name')));
  type ListPage = { items: { name: string }[]; next: string | null };
  const serverPage = (input: object) => stack.admin.do<ListPage>('query', 'sensors.list', { limit: 50, ...input });

  beforeAll(async () => {
    stack = await startStack();
    page = stack.page;
    const { key } = await stack.admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'fleet' });
    agent = wireSensor(stack.url, key);
    for (let i = 0; i < FLEET; i++) ids.set(name(i), await agent.register({ name: name(i), hostname: `node-${i % 7}.lab` }));
    // Registered once and silent: all of them go offline, so the order holds still while paging.
    await eventually(async () => expect((await stack.admin.do<{ offline: number }>('query', 'fleet.summary')).offline).toBe(FLEET));

    await page.goto(`${stack.url}/sign-in`);
    await page.getByLabel('Access token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors$/);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows the next rows in the server order on the next page, and back again', async () => {
    const first = await serverPage({});
    const second = await serverPage({ cursor: first.next });
    await eventually(async () => expect(await shownNames()).toEqual(first.items.map((row) => row.name)));
    expect(await page.getByTestId('pager-range').textContent()).toContain(`1–50 of ${FLEET}`);

    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/after=/);
    await eventually(async () => expect(await shownNames()).toEqual(second.items.map((row) => row.name)));
    expect(await page.getByTestId('pager-range').textContent()).toContain(`51–100 of ${FLEET}`);
    await page.screenshot({ path: join(SCREENSHOTS, 'sensors-page-2.png'), fullPage: true });

    // The link is the page: reloading shows the same rows.
    await page.reload();
    await eventually(async () => expect(await shownNames()).toEqual(second.items.map((row) => row.name)));

    await page.getByRole('button', { name: 'Previous' }).click();
    await eventually(async () => expect(await shownNames()).toEqual(first.items.map((row) => row.name)));
    // Back in the browser goes to the page before.
    await page.goBack();
    await eventually(async () => expect(await shownNames()).toEqual(second.items.map((row) => row.name)));
  });

  it('takes search and status from the link, and shows them in the filters', async () => {
    await page.goto(`${stack.url}/sensors?q=scanner-01&status=offline`);
    const expected = (await serverPage({ search: 'scanner-01', status: 'offline' })).items.map((row) => row.name);
    expect(expected).toHaveLength(10);
    await eventually(async () => expect(await shownNames()).toEqual(expected));
    expect(await page.getByRole('searchbox').inputValue()).toBe('scanner-01');
    expect(await page.getByRole('combobox', { name: 'Filter by status' }).inputValue()).toBe('offline');

    // Typing a search puts it in the link.
    await page.getByRole('searchbox').fill('scanner-12');
    await page.waitForURL(/q=scanner-12/);
    await eventually(async () => expect(await shownNames()).toEqual(['scanner-120', 'scanner-121', 'scanner-122', 'scanner-123', 'scanner-124', 'scanner-125', 'scanner-126', 'scanner-127', 'scanner-128', 'scanner-129']));
    await page.getByRole('combobox', { name: 'Filter by status' }).selectOption('online');
    await page.waitForURL(/status=online/);
    await page.getByText('No sensor matches').waitFor();
  });

  it('shows a status change of a row on screen live', async () => {
    await page.goto(`${stack.url}/sensors?q=scanner-042`);
    const badge = page.locator('tr[data-sensor-name="scanner-042"] [data-status]');
    await eventually(async () => expect(await badge.getAttribute('data-status')).toBe('offline'));
    const loop = heartbeatLoop(() => agent.heartbeat(ids.get('scanner-042')!));
    try {
      await eventually(async () => expect(await badge.getAttribute('data-status')).toBe('online'));
      await eventually(async () => expect(await page.locator('[data-count="online"] .value').textContent()).toBe('1'));
    } finally {
      await loop.stop();
    }
  });
});
