import { defineProjection, type ProjectionContext } from './projection.js';
import { recordsOf, type ApiKey, type Org, type Token } from './records.js';

/** Orgs, user tokens and sensor API keys, with each credential findable by its hash. */
export class CredentialsState {
  readonly orgs = new Map<string, Org>();
  readonly tokens = new Map<string, Token>();
  readonly tokenIdByHash = new Map<string, string>();
  readonly apiKeys = new Map<string, ApiKey>();
  /** Current hashes and, during its grace period, the previous hash of each key. */
  readonly apiKeyIdByHash = new Map<string, string>();

  updateApiKey(apiKeyId: string, context: ProjectionContext, update: (key: ApiKey) => void): void {
    const key = this.apiKeys.get(apiKeyId);
    if (!key) return;
    update(key);
    context.touch('apikey', apiKeyId);
  }
}

export const credentialsProjection = () =>
  defineProjection({
    name: 'credentials',
    initialState: new CredentialsState(),
    evolve: {
      OrgCreated: (state, d, _e, context) => {
        state.orgs.set(d.orgId, { id: d.orgId, name: d.name });
        context.touch('org', d.orgId);
      },
      TokenCreated: (state, d, e, context) => {
        const { tokenId: id, orgId, name, role, tokenHash: hash } = d;
        state.tokens.set(id, { id, orgId, name, role, hash, revoked: false, createdAt: context.time(e.metadata.occurredAt), bootstrap: d.bootstrap ?? false });
        state.tokenIdByHash.set(hash, id);
        context.touch('token', id);
      },
      TokenRevoked: (state, d, _e, context) => {
        const token = state.tokens.get(d.tokenId);
        if (!token) return;
        token.revoked = true;
        context.touch('token', d.tokenId);
      },
      ApiKeyCreated: (state, d, e, context) => {
        const { apiKeyId: id, orgId, name, keyPrefix, keyHash: hash } = d;
        const createdAt = context.time(e.metadata.occurredAt);
        state.apiKeys.set(id, { id, orgId, name, keyPrefix, hash, previous: null, revoked: false, createdAt, rotatedAt: null, revokedAt: null });
        state.apiKeyIdByHash.set(hash, id);
        context.touch('apikey', id);
      },
      ApiKeyRotated: (state, d, e, context) =>
        state.updateApiKey(d.apiKeyId, context, (key) => {
          // Only the latest previous key has a grace period; older ones stop working.
          if (key.previous) state.apiKeyIdByHash.delete(key.previous.hash);
          key.previous = { hash: d.previousKeyHash, validUntil: Date.parse(d.previousValidUntil) };
          key.hash = d.keyHash;
          key.keyPrefix = d.keyPrefix;
          key.rotatedAt = context.time(e.metadata.occurredAt);
          state.apiKeyIdByHash.set(d.keyHash, d.apiKeyId);
        }),
      ApiKeyRevoked: (state, d, e, context) =>
        state.updateApiKey(d.apiKeyId, context, (key) => {
          key.revoked = true;
          key.revokedAt = context.time(e.metadata.occurredAt);
        }),
    },
    load: (state, records) => {
      for (const org of recordsOf<Org>(records, 'org')) state.orgs.set(org.id, org);
      for (const token of recordsOf<Token>(records, 'token')) {
        state.tokens.set(token.id, token);
        state.tokenIdByHash.set(token.hash, token.id);
      }
      for (const key of recordsOf<ApiKey>(records, 'apikey')) {
        state.apiKeys.set(key.id, key);
        state.apiKeyIdByHash.set(key.hash, key.id);
        if (key.previous) state.apiKeyIdByHash.set(key.previous.hash, key.id);
      }
    },
  });
