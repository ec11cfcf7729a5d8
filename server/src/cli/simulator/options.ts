import { parseArgs } from 'node:util';

export interface CliOptions {
  url: string;
  key: string;
  sensors: number;
  speed: number;
  heartbeatMs: number;
  pollMs: number;
  die: number;
  flap: number;
  hang: number;
  /** Real seconds; `undefined` runs until interrupted. */
  durationSeconds: number | undefined;
  namePrefix: string;
  concurrency: number;
  quiet: boolean;
}

export type ParsedArgs = { kind: 'run'; options: CliOptions } | { kind: 'help' } | { kind: 'error'; message: string };

export const USAGE = `Usage: simulate --key <hg_…> [options]

Runs simulated sensor agents that speak the sensor wire protocol against a server.

  --url <url>            server base URL (default http://localhost:3000)
  --key <key>            API key (or env HG_API_KEY); required
  --sensors <n>          number of sensors (default 10)
  --speed <x>            clock multiplier: 10 makes every interval and job 10× shorter (default 1)
  --heartbeat-ms <ms>    heartbeat interval in simulated ms (default 30000)
  --poll-ms <ms>         job poll interval in simulated ms (default 10000)
  --die <share>          share of sensors (0–1) that stop for good after a random while
  --flap <share>         share that go silent for over 2 simulated minutes, then come back
  --hang <share>         share that freeze mid-job, without reporting, forever
  --duration <s>         stop after this many real seconds (default: until Ctrl-C)
  --name-prefix <p>      sensor names <p>-sensor-0001, hosts <p>-host-0001 (default sim)
  --concurrency <n>      most requests in flight across the fleet (default 256)
  --quiet                do not log individual request errors
  --help                 show this help`;

type Check = (value: number) => boolean;
const positive: Check = (v) => v > 0;
const share: Check = (v) => v >= 0 && v <= 1;
const count: Check = (v) => Number.isInteger(v) && v >= 0;
const atLeastOne: Check = (v) => Number.isInteger(v) && v >= 1;

const FLAGS = {
  url: { type: 'string', default: 'http://localhost:3000' },
  key: { type: 'string' },
  sensors: { type: 'string', default: '10' },
  speed: { type: 'string', default: '1' },
  'heartbeat-ms': { type: 'string', default: '30000' },
  'poll-ms': { type: 'string', default: '10000' },
  die: { type: 'string', default: '0' },
  flap: { type: 'string', default: '0' },
  hang: { type: 'string', default: '0' },
  duration: { type: 'string' },
  'name-prefix': { type: 'string', default: 'sim' },
  concurrency: { type: 'string', default: '256' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function readFlags(argv: readonly string[]) {
  return parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: FLAGS }).values;
}

export function parseCliArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ParsedArgs {
  let values: ReturnType<typeof readFlags>;
  try {
    values = readFlags(argv);
  } catch (err) {
    return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
  }
  if (values.help) return { kind: 'help' };

  const problems: string[] = [];
  const num = (flag: string, raw: string, ok: Check, expected: string): number => {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value) || !ok(value)) problems.push(`--${flag} must be ${expected}, got "${raw}"`);
    return value;
  };
  const key = values.key ?? env['HG_API_KEY'] ?? '';
  if (key === '') problems.push('an API key is required: --key <hg_…> or env HG_API_KEY');
  if (!/^https?:\/\/[^/]/.test(values.url)) problems.push(`--url must be an http(s) URL, got "${values.url}"`);
  const options: CliOptions = {
    url: values.url,
    key,
    sensors: num('sensors', values.sensors, count, 'a whole number ≥ 0'),
    speed: num('speed', values.speed, positive, 'a number > 0'),
    heartbeatMs: num('heartbeat-ms', values['heartbeat-ms'], positive, 'a number > 0'),
    pollMs: num('poll-ms', values['poll-ms'], positive, 'a number > 0'),
    die: num('die', values.die, share, 'a share between 0 and 1'),
    flap: num('flap', values.flap, share, 'a share between 0 and 1'),
    hang: num('hang', values.hang, share, 'a share between 0 and 1'),
    durationSeconds: values.duration === undefined ? undefined : num('duration', values.duration, positive, 'a number of seconds > 0'),
    namePrefix: values['name-prefix'],
    concurrency: num('concurrency', values.concurrency, atLeastOne, 'a whole number ≥ 1'),
    quiet: values.quiet,
  };
  if (options.die + options.flap + options.hang > 1) problems.push('--die, --flap and --hang together cannot exceed 1');
  return problems.length > 0 ? { kind: 'error', message: problems.join('\n') } : { kind: 'run', options };
}
