import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.offlineAfterMs).toBe(120_000);
    expect(config.eventStoreUrl).toBeUndefined();
    expect(config.dataDir.endsWith('/data')).toBe(true);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HARBORGUARD_DATA_DIR: '/tmp/hg',
      EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
      HARBORGUARD_OFFLINE_AFTER_MS: '5000',
      HARBORGUARD_ADMIN_TOKEN: 'a-long-enough-admin-token',
    });
    expect(config).toMatchObject({
      port: 8080,
      dataDir: '/tmp/hg',
      eventStoreUrl: 'esdb://localhost:2113?tls=false',
      offlineAfterMs: 5000,
      adminToken: 'a-long-enough-admin-token',
    });
  });

  it.each([
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['HARBORGUARD_OFFLINE_AFTER_MS', '-1'],
    ['HARBORGUARD_OFFLINE_AFTER_MS', '1.5'],
    ['EVENTSTORE_URL', 'http://localhost:2113'],
    ['HARBORGUARD_ADMIN_TOKEN', 'short'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
