import { describe, expect, it } from 'vitest';
import { credentialsProjection } from './credentials-projection.js';
import { at, event, projectionUnderTest } from './projection-test-kit.js';

const hash = (c: string) => c.repeat(64);
const keyCreated = event('ApiKeyCreated', { apiKeyId: 'key-1', orgId: 'org-a', name: 'edge', keyHash: hash('a'), keyPrefix: 'hg_aaaa' }, 1);
const rotated = (keyHash: string, previousKeyHash: string, minute: number) =>
  event('ApiKeyRotated', { apiKeyId: 'key-1', keyHash, keyPrefix: `hg_${keyHash.slice(0, 4)}`, previousKeyHash, previousValidUntil: at(minute + 60) }, minute);

describe('credentials projection', () => {
  it('handles only org, token and API key events', () => {
    expect(credentialsProjection().canHandle).toEqual(['OrgCreated', 'TokenCreated', 'TokenRevoked', 'ApiKeyCreated', 'ApiKeyRotated', 'ApiKeyRevoked']);
  });

  it('given an org, when a token is created and revoked, then the token is findable by hash and marked revoked', () => {
    const p = projectionUnderTest(credentialsProjection()).given(event('OrgCreated', { orgId: 'org-a', name: 'Acme' }));
    expect(p.state.orgs.get('org-a')).toEqual({ id: 'org-a', name: 'Acme' });
    p.when(event('TokenCreated', { tokenId: 't-1', orgId: 'org-a', name: 'ops', role: 'operator', tokenHash: hash('t') }, 2));
    const revoked = p.when(event('TokenRevoked', { tokenId: 't-1' }));
    expect(revoked.touched).toEqual(['token:t-1']);
    expect(p.state.tokenIdByHash.get(hash('t'))).toBe('t-1');
    expect(p.state.tokens.get('t-1')).toMatchObject({ role: 'operator', revoked: true, createdAt: at(2), bootstrap: false });
  });

  it('given a key rotated twice, then its current and latest previous hash find it, the oldest no longer', () => {
    const p = projectionUnderTest(credentialsProjection()).given(keyCreated, rotated(hash('b'), hash('a'), 5));
    const outcome = p.when(rotated(hash('c'), hash('b'), 9));
    expect(outcome).toEqual({ changed: [], removed: [], touched: ['apikey:key-1'] });
    expect(p.state.apiKeyIdByHash.get(hash('c'))).toBe('key-1');
    expect(p.state.apiKeyIdByHash.get(hash('b'))).toBe('key-1');
    expect(p.state.apiKeyIdByHash.has(hash('a'))).toBe(false);
    expect(p.state.apiKeys.get('key-1')).toMatchObject({ keyPrefix: 'hg_cccc', rotatedAt: at(9), previous: { hash: hash('b'), validUntil: Date.parse(at(69)) } });
  });

  it('when a key is revoked, then it records when; events for unknown keys change nothing', () => {
    const p = projectionUnderTest(credentialsProjection()).given(keyCreated);
    p.when(event('ApiKeyRevoked', { apiKeyId: 'key-1' }, 7));
    expect(p.state.apiKeys.get('key-1')).toMatchObject({ revoked: true, revokedAt: at(7) });
    expect(p.when(event('ApiKeyRevoked', { apiKeyId: 'key-9' })).touched).toEqual([]);
  });

  it('loads stored records back with their hash lookups', () => {
    const live = projectionUnderTest(credentialsProjection()).given(keyCreated, rotated(hash('b'), hash('a'), 5));
    const loaded = credentialsProjection();
    loaded.load([...live.state.apiKeys.values()].map((record) => ({ kind: 'apikey' as const, record })));
    expect([...loaded.state.apiKeyIdByHash].sort()).toEqual([...live.state.apiKeyIdByHash].sort());
  });
});
