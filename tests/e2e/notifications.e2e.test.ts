import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { wireSensor } from '../support/sensor-clients.js';
import { HttpReceiver } from '../support/notification-receivers.js';
import { ADMIN_TOKEN, SCREENSHOTS, eventually, startStack, type Stack } from './harness.js';

/**
 * Settings → Notifications in a real browser: the hint on the Sensors pages while no channel is
 * enabled, the empty state, adding a signed webhook, its "send test", a rule, and the delivery
 * log once a sensor loses connection.
 */
describe('notification settings', () => {
  let stack: Stack;
  let page: Page;
  let receiver: HttpReceiver;
  const SECRET = 'e2e-webhook-secret-never-shown';

  beforeAll(async () => {
    stack = await startStack();
    page = stack.page;
    receiver = await HttpReceiver.start(SECRET);
  });

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  async function signIn(token: string) {
    await page.goto(`${stack.url}/sign-in`);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors$/);
  }

  /** Opens a page and waits for its check of the org's channels to be answered and shown. */
  async function openChecked(path: string) {
    const checked = page.waitForResponse((response) => response.url().includes('notifications.listChannels'));
    await page.goto(`${stack.url}${path}`);
    await checked;
    // The answer is on screen from the next frame on.
    await page.evaluate('new Promise((resolve) => requestAnimationFrame(resolve))');
  }

  it('says on the Sensors page that nobody is notified: with the way to fix it for operators, as a plain sentence for auditors', async () => {
    const { token } = await stack.admin.do<{ token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'e2e auditor' });
    await signIn(token);
    const hint = page.getByTestId('no-channels-hint');
    await hint.waitFor();
    expect(await hint.textContent()).toContain('Nobody is notified when a sensor loses connection');
    expect(await hint.textContent()).toContain('An operator can add one in Settings → Notifications.');
    expect(await hint.getByRole('link').count()).toBe(0);

    await page.context().clearCookies();
    await signIn(ADMIN_TOKEN);
    await hint.getByRole('link', { name: 'Set up notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.context().clearCookies();
  });

  it('says no one is notified until a channel exists, then adds, tests and routes a webhook', async () => {
    await page.goto(`${stack.url}/sign-in`);
    await page.getByLabel('Access token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors$/);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await page.getByText('No channels yet').waitFor();

    const form = page.getByRole('form', { name: 'New channel' });
    await form.getByLabel('Name').fill('ops hook');
    await form.getByLabel('URL').fill(`${receiver.url}/hook`);
    await form.getByLabel('Signing secret (optional)').fill(SECRET);
    await form.getByRole('button', { name: 'Add channel' }).click();
    const row = page.locator('tr[data-channel="ops hook"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('secret: ••••••••');
    expect(await page.content()).not.toContain(SECRET);

    await row.getByRole('button', { name: 'Send test' }).click();
    await page.getByText(/ops hook: delivered — HTTP 200/).waitFor();
    expect(receiver.on('/hook')[0]!.signatureValid).toBe(true);

    const rule = page.getByRole('form', { name: 'New rule' });
    await rule.getByLabel('Channel').selectOption({ label: 'ops hook' });
    await rule.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('cell', { name: 'Sensor lost connection, Sensor reconnected' }).waitFor();
  });

  it('shows the notification in the delivery log once a sensor loses connection', async () => {
    const { key } = await stack.admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'e2e' });
    await wireSensor(stack.url, key).register({ name: 'e2e-sensor', hostname: 'e2e.local' });
    await receiver.received(2);
    expect(receiver.on('/hook')[1]!.body).toMatchObject({ event: 'Sensor lost connection', sensor: { name: 'e2e-sensor' } });
    await eventually(async () => {
      await page.reload();
      await page.locator('tr[data-delivery-status="delivered"]').first().waitFor({ timeout: 2_000 });
    });
    expect(await page.locator('tr[data-delivery-status="delivered"]').first().textContent()).toContain('Sensor lost connection: e2e-sensor');
    await page.screenshot({ path: join(SCREENSHOTS, 'notifications.png'), fullPage: true });
  });

  it('shows the hint on the Sensors pages only while no channel is enabled', async () => {
    const hint = page.getByTestId('no-channels-hint');
    await openChecked('/sensors');
    expect(await hint.count()).toBe(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.locator('tr[data-channel="ops hook"]').getByRole('button', { name: 'Disable' }).click();
    await page.locator('tr[data-channel="ops hook"]').getByRole('button', { name: 'Enable' }).waitFor();
    await openChecked('/sensors');
    await hint.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'sensors-no-channels.png') });
    await page.getByRole('link', { name: 'e2e-sensor' }).first().click();
    await page.getByRole('heading', { name: 'e2e-sensor', level: 1 }).waitFor();
    await hint.waitFor();
    expect(await hint.textContent()).toContain('Nobody is notified when this sensor loses connection');
  });
});
