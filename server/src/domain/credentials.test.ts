import { describe, expect, it } from 'vitest';
import { apiKeyDecider, checkApiKey, orgDecider, tokenDecider, type ApiKeyEvent } from './credentials.js';
import { AppError } from './errors.js';
import { deciderSpec } from './testing/given-when-then.js';

const hash = (c: string) => c.repeat(64);
const keys = deciderSpec(apiKeyDecider);
const created: ApiKeyEvent = { type: 'ApiKeyCreated', data: { apiKeyId: 'k1', orgId: 'o1', name: 'ci', keyHash: hash('a'), keyPrefix: 'hg_ak_aaaa' } };
const T = Date.parse('2026-11-27T10:00:00.000Z');
const rotated: ApiKeyEvent = {
  type: 'ApiKeyRotated',
  data: { apiKeyId: 'k1', keyHash: hash('b'), keyPrefix: 'hg_ak_bbbb', previousKeyHash: hash('a'), previousValidUntil: new Date(T + 1_000).toISOString() },
};
const rejection = (check: () => unknown) => {
  try {
    check();
  } catch (error) {
    return error instanceof AppError ? `${error.kind}: ${error.message}` : String(error);
  }
  return 'accepted';
};

describe('API keys', () => {
  it('rotation keeps the current key working until the grace period ends', () =>
    keys([created]).when({ type: 'RotateApiKey', apiKeyId: 'k1', orgId: 'o1', keyHash: hash('b'), keyPrefix: 'hg_ak_bbbb', at: T, graceMs: 1_000 }).then([rotated]));

  it('accepts the previous key only within its grace period, and the new one always', () => {
    const { state } = keys([created, rotated]);
    expect(rejection(() => checkApiKey(state!, hash('b'), T + 5_000))).toBe('accepted');
    expect(rejection(() => checkApiKey(state!, hash('a'), T + 999))).toBe('accepted');
    expect(rejection(() => checkApiKey(state!, hash('a'), T + 1_000))).toBe('unauthorized: Invalid API key');
  });

  it('a revoked key lets nobody in and cannot be rotated', () => {
    const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { apiKeyId: 'k1' } };
    expect(rejection(() => checkApiKey(keys([created, revoked]).state!, hash('a'), T))).toBe('unauthorized: API key revoked');
    keys([created, revoked]).when({ type: 'RotateApiKey', apiKeyId: 'k1', orgId: 'o1', keyHash: hash('c'), keyPrefix: 'x', at: T, graceMs: 1 }).thenFails('conflict');
    keys([created, revoked]).when({ type: 'RevokeApiKey', apiKeyId: 'k1', orgId: 'o1' }).then([]);
  });

  it('another org’s key is not found', () => keys([created]).when({ type: 'RevokeApiKey', apiKeyId: 'k1', orgId: 'o2' }).thenFails('not_found'));
});

describe('tokens and orgs', () => {
  const tokens = deciderSpec(tokenDecider);
  const token = { type: 'TokenCreated', data: { tokenId: 't1', orgId: 'o1', name: 'ops', role: 'operator', tokenHash: hash('c') } } as const;
  it('revokes a token once', () => {
    tokens([token]).when({ type: 'RevokeToken', tokenId: 't1', orgId: 'o1' }).then([{ type: 'TokenRevoked', data: { tokenId: 't1' } }]);
    tokens([token, { type: 'TokenRevoked', data: { tokenId: 't1' } }]).when({ type: 'RevokeToken', tokenId: 't1', orgId: 'o1' }).then([]);
    tokens([token]).when({ type: 'RevokeToken', tokenId: 't1', orgId: 'o2' }).thenFails('not_found');
  });

  it('only admins of the default org create orgs', () => {
    deciderSpec(orgDecider)([]).when({ type: 'CreateOrg', orgId: 'o9', name: 'acme', byOrgId: 'o1' }).thenFails('forbidden');
    deciderSpec(orgDecider)([]).when({ type: 'CreateOrg', orgId: 'o9', name: 'acme', byOrgId: 'default' }).then([{ type: 'OrgCreated', data: { orgId: 'o9', name: 'acme' } }]);
  });
});
