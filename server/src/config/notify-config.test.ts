import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('notification settings', () => {
  it('default to retries after 30 s, 2 min, 10 min and 1 h, and storms of more than 10 in 60 s', () => {
    const config = loadConfig({});
    expect(config.notifyRetryMs).toEqual([30_000, 120_000, 600_000, 3_600_000]);
    expect(config.notifyStormThreshold).toBe(10);
    expect(config.notifyStormWindowMs).toBe(60_000);
    expect(config.secretKey).toBeUndefined();
  });

  it('are read from the environment', () => {
    const config = loadConfig({ HARBORGUARD_NOTIFY_RETRY_MS: '1000, 5000', HARBORGUARD_NOTIFY_STORM_THRESHOLD: '3', HARBORGUARD_NOTIFY_STORM_WINDOW_MS: '10000', HARBORGUARD_SECRET_KEY: 'a-long-enough-secret-key' });
    expect(config.notifyRetryMs).toEqual([1000, 5000]);
    expect(config.notifyStormThreshold).toBe(3);
    expect(config.notifyStormWindowMs).toBe(10_000);
    expect(config.secretKey).toBe('a-long-enough-secret-key');
  });

  it('refuse a retry schedule that is not milliseconds separated by commas, naming the variable', () => {
    expect(() => loadConfig({ HARBORGUARD_NOTIFY_RETRY_MS: '30s,2m' })).toThrow(ConfigError);
    expect(() => loadConfig({ HARBORGUARD_NOTIFY_RETRY_MS: '30s,2m' })).toThrow(/HARBORGUARD_NOTIFY_RETRY_MS/);
  });
});
