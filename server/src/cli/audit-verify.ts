#!/usr/bin/env node
/**
 * Checks the event log's hash chains and anchors: `audit-verify [--data-dir DIR | --url esdb://…]`.
 * Without options it reads the store the service is configured with (HARBORGUARD_DATA_DIR or
 * EVENTSTORE_URL). Exits 0 when intact, 1 when the chain breaks, 2 when it cannot check.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/config.js';
import { describeReport, verifyChain } from '../core/chain-verify.js';
import { EMBEDDED_STORE_FILE, openEventStore } from '../store/open-event-store.js';

const USAGE = `Usage: audit-verify [--data-dir DIR | --url esdb://host:2113?tls=false]

Reads the whole event log and checks that no event was edited, removed or reordered.
Defaults to the store configured by HARBORGUARD_DATA_DIR / EVENTSTORE_URL.`;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'data-dir': { type: 'string' }, url: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) return console.log(USAGE), 0;
  const env = { ...process.env, ...(values['data-dir'] ? { HARBORGUARD_DATA_DIR: values['data-dir'], EVENTSTORE_URL: '' } : {}), ...(values.url ? { EVENTSTORE_URL: values.url } : {}) };
  const config = loadConfig(env);
  if (!config.eventStoreUrl && !existsSync(join(config.dataDir, EMBEDDED_STORE_FILE))) {
    console.error(`No event log at ${join(config.dataDir, EMBEDDED_STORE_FILE)}; pass --data-dir with the service's data directory\n\n${USAGE}`);
    return 2;
  }
  const { store, description } = await openEventStore(config, (line) => console.error(line));
  try {
    const started = Date.now();
    let lastShown = started;
    const report = await verifyChain(store, (position) => {
      if (Date.now() - lastShown < 2_000) return;
      lastShown = Date.now();
      console.error(`checked up to position ${position}…`);
    });
    console.log(`${description}: ${describeReport(report)}`);
    return report.intact ? 0 : 1;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`audit-verify: ${(error as Error).message}`);
    process.exit(2);
  },
);
