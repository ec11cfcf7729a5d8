import { hash, randomBytes } from 'node:crypto';

/** Only this digest of a key or token is ever stored. */
export function sha256Hex(secret: string): string {
  // The one-shot form: a third of the cost of createHash() on the per-request path.
  return hash('sha256', secret, 'hex');
}

/** A sensor API key: `hg_ak_` followed by 32 hex characters. */
export function newApiKey(): string {
  return `hg_ak_${randomBytes(16).toString('hex')}`;
}

/** An operator / auditor / admin token. */
export function newUserToken(): string {
  return `hg_tk_${randomBytes(24).toString('hex')}`;
}

/** A dashboard session's secret: what the browser's cookie holds instead of the token. */
export const SESSION_SECRET_PREFIX = 'hg_ss_';
export function newSessionSecret(): string {
  return `${SESSION_SECRET_PREFIX}${randomBytes(32).toString('hex')}`;
}

/** The part of a secret safe to show to identify it. */
export function secretPrefix(secret: string): string {
  return secret.slice(0, 10);
}
