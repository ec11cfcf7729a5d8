import { describe, expect, it } from 'vitest';
import { parseCliArgs } from './options.js';

describe('parseCliArgs', () => {
  it('applies the documented defaults', () => {
    expect(parseCliArgs(['--key', 'hg_abc'], {})).toEqual({
      kind: 'run',
      options: {
        url: 'http://localhost:3000',
        key: 'hg_abc',
        sensors: 10,
        speed: 1,
        heartbeatMs: 30_000,
        pollMs: 10_000,
        die: 0,
        flap: 0,
        hang: 0,
        durationSeconds: undefined,
        namePrefix: 'sim',
        concurrency: 256,
        quiet: false,
      },
    });
  });

  it('reads every option and takes the key from HG_API_KEY', () => {
    const parsed = parseCliArgs(
      ['--url', 'http://h:9', '--sensors', '200', '--speed', '10', '--heartbeat-ms', '5000', '--poll-ms', '2000', '--die', '0.1', '--flap', '0.2', '--hang', '0.05', '--duration', '60', '--name-prefix', 'lab', '--quiet'],
      { HG_API_KEY: 'hg_env' },
    );
    expect(parsed).toMatchObject({
      kind: 'run',
      options: { url: 'http://h:9', key: 'hg_env', sensors: 200, speed: 10, heartbeatMs: 5_000, pollMs: 2_000, die: 0.1, flap: 0.2, hang: 0.05, durationSeconds: 60, namePrefix: 'lab', quiet: true },
    });
  });

  it('rejects a missing key, bad numbers and unknown flags', () => {
    expect(parseCliArgs([], {})).toMatchObject({ kind: 'error', message: expect.stringContaining('API key is required') });
    expect(parseCliArgs(['--key', 'k', '--sensors', 'many'], {})).toMatchObject({ kind: 'error', message: expect.stringContaining('--sensors') });
    expect(parseCliArgs(['--key', 'k', '--speed', '0'], {})).toMatchObject({ kind: 'error', message: expect.stringContaining('--speed') });
    expect(parseCliArgs(['--key', 'k', '--die', '1.5'], {})).toMatchObject({ kind: 'error', message: expect.stringContaining('--die') });
    expect(parseCliArgs(['--key', 'k', '--die', '0.6', '--hang', '0.6'], {})).toMatchObject({ kind: 'error', message: expect.stringContaining('cannot exceed 1') });
    expect(parseCliArgs(['--key', 'k', '--bogus'], {})).toMatchObject({ kind: 'error' });
  });

  it('recognises --help', () => {
    expect(parseCliArgs(['--help'], {})).toEqual({ kind: 'help' });
  });
});
