import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { wireSensor, type SensorClient } from '../support/sensor-clients.js';
import { ADMIN_TOKEN, OFFLINE_AFTER_MS, SCREENSHOTS, eventually, heartbeatLoop, startStack, type Stack } from './harness.js';

/**
 * The dashboard in a real browser against the real service: sign in, watch a sensor that
 * heartbeats through the wire route come online and go offline live, bind it to a registry,
 * revoke its key. One story, in order; the page is never reloaded after signing in.
 */
describe('dashboard', () => {
  let stack: Stack;
  let page: Page;
  let apiKey: string;
  let apiKeyName: string;
  let registryId: string;
  let agent: SensorClient;
  let sensorId: string;
  let loop: ReturnType<typeof heartbeatLoop> | null = null;

  const row = (name: string): Locator => page.locator(`tr[data-sensor-name="${name}"]`);
  const badgeOf = (name: string): Locator => row(name).locator('[data-status]');

  /** Set on the window after sign-in: still there later proves no full reload happened. */
  async function markPage() {
    await page.evaluate(() => ((globalThis as unknown as { hgMarker: number }).hgMarker = 42));
  }
  async function expectSamePage() {
    expect(await page.evaluate(() => (globalThis as unknown as { hgMarker?: number }).hgMarker)).toBe(42);
  }

  beforeAll(async () => {
    stack = await startStack();
    page = stack.page;
    apiKeyName = 'edge agents';
    ({ key: apiKey } = await stack.admin.do<{ id: string; key: string }>('mutation', 'apiKeys.create', { name: apiKeyName }));
    ({ id: registryId } = await stack.admin.do<{ id: string }>('mutation', 'registries.create', { name: 'Harbor Production', url: 'https://harbor.example.com' }));
    agent = wireSensor(stack.url, apiKey);
    // A few more sensors so the fleet has company: these ones never heartbeat again.
    for (const name of ['build-runner-01', 'build-runner-02', 'gpu-node-7']) {
      await agent.register({ name, hostname: `${name}.lab.internal`, version: '2.3.1', capabilities: ['scan', 'patch'] });
    }
  });

  afterAll(async () => {
    await loop?.stop();
    await stack?.stop();
  });

  it('asks for a token, refuses a wrong one, and signs in with a right one', async () => {
    await page.goto(`${stack.url}/sensors`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('Access token').fill('not-a-valid-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/invalid|unknown|token/i);

    await page.getByLabel('Access token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors$/);
    await page.getByRole('heading', { name: 'Sensors', level: 1 }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sensors' }).waitFor();
    expect(await page.locator('[data-role]').textContent()).toBe('admin');
    await markPage();
  });

  it('shows a sensor heartbeating through the wire route as online, without a reload', async () => {
    sensorId = await agent.register({ name: 'edge-scanner-01', hostname: 'edge-01.harbor.internal', version: '2.4.0', capabilities: ['scan', 'patch'] });
    loop = heartbeatLoop(() => agent.heartbeat(sensorId));
    await eventually(async () => expect(await badgeOf('edge-scanner-01').getAttribute('data-status')).toBe('online'));
    expect(await row('edge-scanner-01').textContent()).toContain('edge-01.harbor.internal');
    // Its last heartbeat is a relative time that keeps ticking.
    expect(await row('edge-scanner-01').locator('time').textContent()).toMatch(/just now|\d+ s ago/);
    await expectSamePage();

    // The counts on top follow the fleet.
    await eventually(async () => expect(Number(await page.locator('[data-count="total"] .value').textContent())).toBe(4));
    // Search narrows the table to the sensor.
    await page.getByRole('searchbox').fill('edge-01');
    await eventually(async () => expect(await page.locator('tr[data-sensor-name]').count()).toBe(1));
    await page.getByRole('searchbox').fill('');

    // The others registered once and went quiet: offline, listed first, live.
    await eventually(async () => expect(await badgeOf('gpu-node-7').getAttribute('data-status')).toBe('offline'), OFFLINE_AFTER_MS + 15_000);
    await eventually(async () => {
      const names = await page.locator('tr[data-sensor-name]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sensor-name')));
      expect(names).toEqual(['build-runner-01', 'build-runner-02', 'gpu-node-7', 'edge-scanner-01']);
    });
    expect(await page.locator('[data-count="offline"] .value').textContent()).toBe('3');
    // Filtering by status keeps only the online one.
    await page.locator('[data-count="online"]').click();
    await eventually(async () => expect(await page.locator('tr[data-sensor-name]').count()).toBe(1));
    await page.locator('[data-count="total"]').click();
    await expectSamePage();
    await page.screenshot({ path: join(SCREENSHOTS, 'sensors.png'), fullPage: true });
  });

  it('binds the sensor to a registry from its detail page', async () => {
    await row('edge-scanner-01').getByRole('link', { name: 'edge-scanner-01' }).click();
    await page.waitForURL(new RegExp(`/sensors/${sensorId}$`));
    await page.getByRole('heading', { name: 'edge-scanner-01', level: 1 }).waitFor();
    await page.getByRole('combobox', { name: 'Registry' }).selectOption(registryId);
    await page.getByRole('button', { name: /^(Bind|Rebind)$/ }).click();
    await eventually(async () => expect(await page.getByTestId('sensor-registry').textContent()).toContain('Harbor Production'));
    // The binding is in the audit trail, caused by the signed-in user.
    await eventually(async () => expect(await page.locator('[data-event-type="SensorBoundToRegistry"]').count()).toBeGreaterThan(0));
    expect(await page.locator('.node.current').textContent()).toContain('online');
    await expectSamePage();
    await page.screenshot({ path: join(SCREENSHOTS, 'sensor-detail.png'), fullPage: true });
  });

  it('says when the live connection is lost and when it is back', async () => {
    await stack.restartServer(async () => {
      await page.getByText('Live updates lost.').waitFor();
    });
    await page.getByText('Live updates are back.').waitFor({ timeout: 30_000 });
    // Still the same page, and still live: the sensor heartbeats on and stays online.
    await eventually(async () => expect(await page.locator('.node.current').textContent()).toContain('online'));
    await expectSamePage();
  });

  it('turns the badge offline live when the sensor stops heartbeating, and its registry shows ERROR', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sensors' }).click();
    await page.waitForURL(/\/sensors$/);
    await eventually(async () => expect(await badgeOf('edge-scanner-01').getAttribute('data-status')).toBe('online'));
    await loop!.stop();
    loop = null;
    await eventually(async () => expect(await badgeOf('edge-scanner-01').getAttribute('data-status')).toBe('offline'), OFFLINE_AFTER_MS + 15_000);
    await expectSamePage();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Registries' }).click();
    await page.waitForURL(/\/registries$/);
    const registry = page.locator(`tr[data-registry-id="${registryId}"]`);
    await eventually(async () => expect(await registry.locator('[data-registry-status]').getAttribute('data-registry-status')).toBe('ERROR'));
    expect(await registry.textContent()).toContain('edge-scanner-01');
    await expectSamePage();
  });

  it('revokes the key on the API keys page, after which the next heartbeat gets 401', async () => {
    expect(await agent.heartbeat(sensorId)).toBe(200);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/api-keys$/);
    const keyRow = page.locator(`tr[data-key-name="${apiKeyName}"]`);
    await keyRow.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await eventually(async () => expect(await keyRow.getAttribute('data-key-status')).toBe('revoked'));
    expect(await agent.heartbeat(sensorId)).toBe(401);
    await expectSamePage();
    await page.screenshot({ path: join(SCREENSHOTS, 'api-keys.png'), fullPage: true });
  });

  it("lists the audit log with each event's JSON", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL(/\/audit$/);
    await page.getByRole('combobox', { name: 'Event type' }).selectOption('SensorWentOffline');
    await page.getByRole('button', { name: 'Apply' }).click();
    const offline = page.locator('tr[data-event-type="SensorWentOffline"]');
    // The unfiltered page may still be on screen until the filtered one arrives: wait for both facts at once.
    const others = page.locator('tr[data-event-type]:not([data-event-type="SensorWentOffline"])');
    await eventually(async () => expect([await offline.count() >= 4, await others.count()]).toEqual([true, 0]));
    await offline.first().getByRole('button', { name: 'JSON' }).click();
    expect(await page.locator('.json-row pre').first().textContent()).toContain('"thresholdMs": 3000');
    await page.screenshot({ path: join(SCREENSHOTS, 'audit.png'), fullPage: true });
  });

  let sessionEndedOn = '';

  it('signs out, and an auditor sees no actions', async () => {
    const { id: tokenId, token } = await stack.admin.do<{ id: string; token: string }>('mutation', 'tokens.create', { role: 'auditor', name: 'compliance' });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in/);
    await page.goto(`${stack.url}/sensors`);
    await page.waitForURL(/\/sign-in/);

    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors/);
    expect(await page.locator('[data-role]').textContent()).toBe('auditor');
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Audit' }).waitFor();
    expect(await nav.getByRole('link', { name: 'API keys' }).count()).toBe(0);

    await row('edge-scanner-01').getByRole('link', { name: 'edge-scanner-01' }).click();
    await page.getByRole('heading', { name: 'edge-scanner-01', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Audit trail' }).waitFor();
    expect(await page.getByRole('button', { name: 'Delete sensor' }).count()).toBe(0);
    expect(await page.getByRole('combobox', { name: 'Registry' }).count()).toBe(0);

    // An admin revokes the auditor's token: the next request sends them back to sign in.
    await stack.admin.do('mutation', 'tokens.revoke', { id: tokenId });
    // The live connection may notice the revocation first and leave the page before a click
    // could land: the link is clicked in the page only while it is still there, in one step.
    await page.evaluate(`document.querySelector('nav[aria-label="Main"] a[href="/registries"]')?.click()`);
    await page.waitForURL(/\/sign-in\?expired=1/);
    // Where the session was found ended: the sensor page, or the registries page if the click landed first.
    sessionEndedOn = new URL(page.url()).searchParams.get('next') ?? '';
    expect(sessionEndedOn).toMatch(/^\/(registries|sensors\/[^/]+)$/);
    await page
      .getByText('Your session ended')
      .waitFor()
      .catch(async (error: unknown) => {
        // Where the page went instead, so a failure says what the user saw.
        throw new Error(`no "Your session ended" at ${page.url()}: ${(await page.locator('body').innerText()).slice(0, 400)}`, { cause: error });
      });
  });

  it('labels a row re-created from a bare heartbeat and says why it has no details; warns of sensors sharing a host', async () => {
    await page.getByLabel('Access token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in again, the page the session ended on comes back first.
    await page.waitForURL((url) => url.pathname === sessionEndedOn);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Sensors' }).click();
    await page.waitForURL(/\/sensors$/);
    const { key } = await stack.admin.do<{ key: string }>('mutation', 'apiKeys.create', { name: 'node agents' });
    const agents = wireSensor(stack.url, key);
    expect(await agents.heartbeat('lost-agent-7f3c')).toBe(200);
    const replicas = [await agents.register({ name: 'replica-a', hostname: 'node-9' }), await agents.register({ name: 'replica-b', hostname: 'node-9' })];
    const keepAlive = heartbeatLoop(async () => Math.max(...(await Promise.all([...replicas, 'lost-agent-7f3c'].map((id) => agents.heartbeat(id))))));
    try {
      const unnamed = page.locator('tr[data-sensor-id="lost-agent-7f3c"]').getByRole('link', { name: 'unnamed sensor lost-age' });
      await unnamed.waitFor();
      await eventually(async () => expect(await page.locator('tr[data-sensor-name="replica-a"] [data-testid="same-host"]').textContent()).toContain('Shares its host with 1 other'));
      await page.getByText('1 host runs more than one connected sensor').waitFor();
      await unnamed.click();
      await page.getByRole('heading', { name: 'unnamed sensor lost-age', level: 1 }).waitFor();
      await page.getByText('has not sent its name, host and capabilities yet').waitFor();
    } finally {
      await keepAlive.stop();
    }
  });
});
