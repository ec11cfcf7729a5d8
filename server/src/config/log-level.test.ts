import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('HARBORGUARD_LOG_LEVEL', () => {
  it('is info unless set', () => {
    expect(loadConfig({}).logLevel).toBe('info');
  });

  it('takes any of the logger levels', () => {
    expect(loadConfig({ HARBORGUARD_LOG_LEVEL: 'debug' }).logLevel).toBe('debug');
    expect(loadConfig({ HARBORGUARD_LOG_LEVEL: 'silent' }).logLevel).toBe('silent');
  });

  it('refuses another word, naming the variable and the levels', () => {
    expect(() => loadConfig({ HARBORGUARD_LOG_LEVEL: 'loud' })).toThrow(/HARBORGUARD_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});
