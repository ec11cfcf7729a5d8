import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TrpcHttp } from '../support/http-clients.js';

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef';
/** Short, so "stops heartbeating → offline" happens within a test. */
export const OFFLINE_AFTER_MS = 3000;
export const CHROMIUM = process.env['HG_CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url));

export interface Stack {
  /** The current server process (replaced by `restartServer`). */
  server: ServerProcess;
  url: string;
  admin: TrpcHttp;
  context: BrowserContext;
  page: Page;
  /**
   * Kills the server (as a crash would), waits for `whileDown`, then starts it again on the
   * same port with the same data.
   */
  restartServer(whileDown?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The built service as its own process (serving the built dashboard) with a fresh data
 * directory, and headless Debian chromium with a throw-away profile.
 */
export async function startStack(): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'hg-e2e-data-'));
  const profileDir = mkdtempSync(join(tmpdir(), 'hg-e2e-profile-'));
  const env = {
    HARBORGUARD_DATA_DIR: dataDir,
    HARBORGUARD_ADMIN_TOKEN: ADMIN_TOKEN,
    HARBORGUARD_OFFLINE_AFTER_MS: String(OFFLINE_AFTER_MS),
  };
  const server = await startServerProcess(env);
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  } catch (error) {
    await server.stop();
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15_000);
  mkdirSync(SCREENSHOTS, { recursive: true });
  const stack: Stack = {
    server,
    url: server.url,
    admin: new TrpcHttp(server.url, ADMIN_TOKEN),
    context,
    page,
    async restartServer(whileDown) {
      await stack.server.kill9();
      await whileDown?.();
      stack.server = await startServerProcess({ ...env, PORT: new URL(stack.url).port });
    },
    async stop() {
      // The browser first: its WebSocket would keep a graceful shutdown waiting.
      await context.close().catch(() => {});
      await stopWithin(stack.server, 10_000);
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
  return stack;
}

async function stopWithin(server: ServerProcess, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const outcome = await Promise.race([server.stop().then(() => 'stopped' as const), timedOut]);
  clearTimeout(timer);
  if (outcome === 'timeout') await server.kill9();
}

/** Repeats `fn` until it stops throwing, or fails with its last error after `timeoutMs`. */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/** Calls `beat` every `everyMs` until stopped: a sensor agent's heartbeat loop. */
export function heartbeatLoop(beat: () => Promise<number>, everyMs = 500) {
  const statuses: number[] = [];
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(async () => {
      if (!stopped) statuses.push(await beat().catch(() => 0));
    });
  }, everyMs);
  return {
    statuses,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
