#!/usr/bin/env node
/** Sensor simulator CLI: `simulate --url http://localhost:3000 --key hg_… --sensors 200`. */
import { Fleet } from './simulator/fleet.js';
import { consoleLogger } from './simulator/logger.js';
import { parseCliArgs, USAGE } from './simulator/options.js';
import { formatStatus, formatTotals } from './simulator/status-line.js';

const STATUS_EVERY_MS = 3_000;
/** How long a clean stop may wait for in-flight requests before exiting anyway. */
const STOP_GRACE_MS = 5_000;

async function main(): Promise<number> {
  const parsed = parseCliArgs(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (parsed.kind === 'error') {
    console.error(`${parsed.message}\n\n${USAGE}`);
    return 2;
  }
  const o = parsed.options;
  const logger = consoleLogger(o.quiet);
  const fleet = new Fleet({
    url: o.url,
    apiKey: o.key,
    sensors: o.sensors,
    speed: o.speed,
    timing: { heartbeatMs: o.heartbeatMs, pollMs: o.pollMs },
    fates: { die: o.die, flap: o.flap, hang: o.hang },
    namePrefix: o.namePrefix,
    concurrency: o.concurrency,
    logger,
  });
  const startedAt = Date.now();
  const status = () => formatStatus(Date.now() - startedAt, o.sensors, fleet.stats.snapshot(), fleet.states());
  logger.info(`Simulating ${o.sensors} sensors against ${o.url} at ${o.speed}× speed (Ctrl-C to stop)`);

  const ticker = setInterval(() => logger.info(status()), STATUS_EVERY_MS);
  let reason = 'all sensors ended';
  let stopping = false;
  let graceOver: () => void = () => {};
  const grace = new Promise<void>((resolve) => (graceOver = resolve));
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    reason = why;
    setTimeout(graceOver, STOP_GRACE_MS).unref();
    void fleet.stop();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait
    stop(`received ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const deadline = o.durationSeconds === undefined ? undefined : setTimeout(() => stop('duration reached'), o.durationSeconds * 1000);

  await Promise.race([fleet.run(), grace]);
  clearInterval(ticker);
  if (deadline) clearTimeout(deadline);
  logger.info(`Stopped: ${reason}`);
  logger.info(formatTotals(Date.now() - startedAt, o.sensors, fleet.stats.snapshot(), fleet.states()));
  // Nothing registered at all is a failed run (wrong URL or key), worth a non-zero exit.
  return o.sensors > 0 && fleet.stats.registered === 0 ? 1 : 0;
}

main().then(
  (code) => {
    // Sockets kept alive by fetch would hold the process open; exit once totals are out.
    setTimeout(() => process.exit(code), 0);
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
