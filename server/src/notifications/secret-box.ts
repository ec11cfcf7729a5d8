import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const VERSION = 'v1';

/**
 * Seals channel secrets with AES-256-GCM: what is stored in the log is `v1:<iv>:<tag>:<ciphertext>`
 * (base64), readable only with the key. Tampering makes opening fail instead of yielding garbage.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyMaterial: string | Buffer) {
    // Any key text is stretched to the 32 bytes AES-256 needs.
    this.key = createHash('sha256').update(keyMaterial).digest();
  }

  seal(plain: Record<string, string>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(plain), 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open(sealed: string | null): Record<string, string> {
    if (!sealed) return {};
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== VERSION || !iv || !tag || body === undefined) throw new Error('sealed secrets are in an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as Record<string, string>;
  }
}

/**
 * The key from `HARBORGUARD_SECRET_KEY` when set; otherwise one generated on first start into
 * the data directory, readable by the service's user only, and read from there afterwards.
 */
export function loadSecretKey(configured: string | undefined, keyFile: string): string {
  if (configured) return configured;
  if (existsSync(keyFile)) return readFileSync(keyFile, 'utf8').trim();
  mkdirSync(dirname(keyFile), { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(keyFile, 0o600);
  return key;
}

/** A secret as answers show it: enough to recognise, never enough to use. */
export function mask(secret: string | undefined): string | null {
  if (!secret) return null;
  return '••••••••';
}
