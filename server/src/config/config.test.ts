import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.offlineAfterMs).toBe(120_000);
    expect(config.eventStoreUrl).toBeUndefined();
    expect(config.dataDir.endsWith('/data')).toBe(true);
    expect(config.allowedOrigins).toEqual([]);
    expect(config.metricsToken).toBeUndefined();
    expect(config.maxUploadBytes).toBe(64 * 1024 * 1024);
    expect(config.maxSensorsPerOrg).toBe(100_000);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HARBORGUARD_DATA_DIR: '/tmp/hg',
      EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
      HARBORGUARD_OFFLINE_AFTER_MS: '5000',
      HARBORGUARD_ADMIN_TOKEN: 'a-long-enough-admin-token',
      HARBORGUARD_ALLOWED_ORIGINS: 'https://hg.example.com, http://localhost:5173',
      HARBORGUARD_METRICS_TOKEN: 'a-long-enough-metrics-token',
      HARBORGUARD_MAX_UPLOAD_BYTES: '1048576',
    });
    expect(config).toMatchObject({
      allowedOrigins: ['https://hg.example.com', 'http://localhost:5173'],
      metricsToken: 'a-long-enough-metrics-token',
      maxUploadBytes: 1048576,
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
    ['HARBORGUARD_ADMIN_TOKEN', 'aaaaaaaaaaaaaaaaaaaaaaaa'],
    ['HARBORGUARD_ADMIN_TOKEN', 'abababababababababab'],
    ['HARBORGUARD_ALLOWED_ORIGINS', 'https://hg.example.com/dashboard'],
    ['HARBORGUARD_METRICS_TOKEN', 'short'],
    ['HARBORGUARD_MAX_UPLOAD_BYTES', '0'],
    ['HARBORGUARD_MAX_SENSORS_PER_ORG', '0'],
    ['HARBORGUARD_SESSION_IDLE_MS', 'an hour'],
    ['HARBORGUARD_PUBLIC_URL', 'hg.example.com'],
  ])('rejects %s=%s with a message naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
