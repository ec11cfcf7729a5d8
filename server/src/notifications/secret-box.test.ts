import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, SecretBox } from './secret-box.js';

describe('secret box', () => {
  it('seals so that only the same key opens, and the sealed text does not contain the secret', () => {
    const sealed = new SecretBox('key-one').seal({ secret: 'hunter2-hunter2' });
    expect(sealed).not.toContain('hunter2');
    expect(new SecretBox('key-one').open(sealed)).toEqual({ secret: 'hunter2-hunter2' });
    expect(() => new SecretBox('key-two').open(sealed)).toThrow();
  });

  it('refuses sealed text that was tampered with', () => {
    const sealed = new SecretBox('k').seal({ a: 'b' });
    const parts = sealed.split(':');
    parts[3] = Buffer.from('tampered').toString('base64');
    expect(() => new SecretBox('k').open(parts.join(':'))).toThrow();
  });

  it('generates a key file readable by its owner only, and reads the same key afterwards', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hg-key-'));
    try {
      const file = join(dir, 'nested', 'secret.key');
      const key = loadSecretKey(undefined, file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(loadSecretKey(undefined, file)).toBe(key);
      expect(loadSecretKey('configured-key-material', file)).toBe('configured-key-material');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
