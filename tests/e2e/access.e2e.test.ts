import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN, CHROMIUM, SCREENSHOTS, eventually, startStack, type Stack } from './harness.js';

const AUDITOR = 'Dana (compliance)';

/**
 * Settings → Access in real browsers: an admin creates an auditor token, the auditor signs in
 * with it in a second browser (its own cookies), sees no actions, and is told their session
 * ended once the admin revokes the token. One story, in order.
 */
describe('settings: access', () => {
  let stack: Stack;
  let admin: Page;
  let secondBrowser: Browser;
  let auditor: Page;
  let auditorToken: string;

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  const tokenRow = () => admin.locator(`tr[data-token-name="${AUDITOR}"]`);

  async function signIn(page: Page, token: string) {
    await page.goto(`${stack.url}/sensors`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sensors$/);
  }

  beforeAll(async () => {
    stack = await startStack();
    admin = stack.page;
    secondBrowser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    auditor = await (await secondBrowser.newContext({ viewport: { width: 1280, height: 860 }, userAgent: 'auditor-browser/1.0' })).newPage();
    auditor.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    await secondBrowser?.close().catch(() => {});
    await stack?.stop();
  });

  it('an admin creates an auditor token, shown once with a copy button', async () => {
    await signIn(admin, ADMIN_TOKEN);
    await nav(admin).getByRole('link', { name: 'Access' }).click();
    await admin.waitForURL(/\/settings\/access$/);
    await admin.getByRole('heading', { name: 'Access', level: 1 }).waitFor();
    expect(await admin.getByTestId('own-token-role').textContent()).toBe('admin');

    await admin.locator('input[name="token-name"]').fill(AUDITOR);
    await admin.locator('select[name="token-role"]').selectOption('auditor');
    await admin.getByRole('button', { name: 'Create token' }).click();
    auditorToken = (await admin.getByTestId('revealed-token').inputValue()).trim();
    expect(auditorToken.length).toBeGreaterThan(20);
    await admin.getByRole('button', { name: 'Copy token' }).waitFor();
    await eventually(async () => expect(await tokenRow().textContent()).toMatch(/auditor.*never/s));
    await admin.getByRole('button', { name: 'I have copied it' }).click();
    expect(await admin.getByTestId('revealed-token').count()).toBe(0);
  });

  it('the auditor signs in with it in a second browser and sees their own token, but no actions', async () => {
    await signIn(auditor, auditorToken);
    expect(await auditor.locator('[data-role]').textContent()).toBe('auditor');
    expect(await nav(auditor).getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await nav(auditor).getByRole('link', { name: 'Access' }).click();
    await auditor.waitForURL(/\/settings\/access$/);
    expect(await auditor.getByTestId('own-token-name').textContent()).toBe(AUDITOR);
    expect(await auditor.getByTestId('own-token-role').textContent()).toBe('auditor');
    expect(await auditor.getByRole('button', { name: 'Create token' }).count()).toBe(0);
    expect(await auditor.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect(await auditor.locator('tr[data-token-name]').count()).toBe(0);
    await auditor.screenshot({ path: join(SCREENSHOTS, 'access-auditor.png'), fullPage: true });
  });

  it('the admin sees the auditor’s session, and the audit log names the auditor', async () => {
    await nav(admin).getByRole('link', { name: 'Audit' }).click();
    await admin.getByRole('combobox', { name: 'Event type' }).selectOption('SessionStarted');
    await admin.getByRole('button', { name: 'Apply' }).click();
    const cause = admin.locator('tr[data-event-type="SessionStarted"] .chip', { hasText: AUDITOR });
    await eventually(async () => expect(await cause.count()).toBe(1));
    expect(await cause.getAttribute('title')).toMatch(/^user id [0-9a-f-]{36}$/);

    await nav(admin).getByRole('link', { name: 'Access' }).click();
    await tokenRow().getByRole('button', { name: '1 open' }).click();
    const session = admin.locator(`[data-sessions-of="${AUDITOR}"] tr[data-session]`);
    await session.waitFor();
    expect(await session.textContent()).toMatch(/127\.0\.0\.1.*auditor-browser\/1\.0/s);
    expect(await tokenRow().locator('td').nth(3).textContent()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await admin.screenshot({ path: join(SCREENSHOTS, 'access-admin.png'), fullPage: true });
  });

  it('the admin revokes the token after confirming, and the auditor’s page says the session ended', async () => {
    await tokenRow().getByRole('button', { name: 'Revoke' }).click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await eventually(async () => expect(await tokenRow().getAttribute('data-token-status')).toBe('revoked'));

    await nav(auditor).getByRole('link', { name: 'Sensors' }).click();
    await auditor.waitForURL(/\/sign-in\?expired=1/);
    await auditor.getByText('Your session ended').waitFor();
  });
});
