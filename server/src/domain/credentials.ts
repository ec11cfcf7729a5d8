import type { Role } from '@harborguard/shared';
import type { Decider, EventsOf, Evolving } from './decider.js';
import { AppError } from './errors.js';

/** The org created at first start; its admins may create other orgs and their tokens. */
export const DEFAULT_ORG_ID = 'default';

export interface Org {
  id: string;
  name: string;
}

export interface Token {
  id: string;
  orgId: string;
  name: string;
  role: Role;
  hash: string;
  revoked: boolean;
  createdAt: string;
  bootstrap: boolean;
}

export interface ApiKey {
  id: string;
  orgId: string;
  name: string;
  keyPrefix: string;
  hash: string;
  /** The key before the last rotation, accepted until `validUntil` (ms). */
  previous: { hash: string; validUntil: number } | null;
  revoked: boolean;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

// ── org-<id> ──────────────────────────────────────────────────────────────────────────────────

export type OrgEvent = EventsOf<'OrgCreated'>;
export type OrgCommand = { type: 'CreateOrg'; orgId: string; name: string; byOrgId: string };

export const orgDecider: Decider<Org | null, OrgCommand, OrgEvent> = {
  initialState: () => null,
  evolve: (_state, event) => ({ id: event.data.orgId, name: event.data.name }),
  decide: (command, state) => {
    if (command.byOrgId !== DEFAULT_ORG_ID) throw new AppError('forbidden', 'Only admins of the default org can create orgs');
    if (state) return [];
    return [{ type: 'OrgCreated', data: { orgId: command.orgId, name: command.name } }];
  },
};

// ── token-<id> ────────────────────────────────────────────────────────────────────────────────

export type TokenEvent = EventsOf<'TokenCreated' | 'TokenRevoked'>;
export type TokenCommand =
  | { type: 'CreateToken'; tokenId: string; orgId: string; name: string; role: Role; tokenHash: string; bootstrap?: boolean }
  | { type: 'RevokeToken'; tokenId: string; orgId: string; reason?: string };

export const tokenDecider: Decider<Token | null, TokenCommand, TokenEvent> = {
  initialState: () => null,
  evolve: evolveToken,
  decide: (command, state) => {
    if (command.type === 'CreateToken') {
      if (state) throw new AppError('conflict', `Token ${command.tokenId} already exists`);
      const { type: _type, bootstrap, ...data } = command;
      return [{ type: 'TokenCreated', data: { ...data, ...(bootstrap ? { bootstrap } : {}) } }];
    }
    if (!state || state.orgId !== command.orgId) throw new AppError('not_found', `Token ${command.tokenId} not found`);
    if (state.revoked) return [];
    return [{ type: 'TokenRevoked', data: { tokenId: state.id, ...(command.reason ? { reason: command.reason } : {}) } }];
  },
};

function evolveToken(state: Token | null, event: Evolving<TokenEvent>): Token | null {
  if (event.type === 'TokenCreated') {
    const d = event.data;
    return { id: d.tokenId, orgId: d.orgId, name: d.name, role: d.role, hash: d.tokenHash, revoked: false, createdAt: event.metadata.occurredAt, bootstrap: d.bootstrap ?? false };
  }
  return state && { ...state, revoked: true };
}

/** Who may create a token for which org: an org's admins for their own, the default org's for any existing org. */
export function checkTokenOrg(byOrgId: string, orgId: string, orgExists: boolean): void {
  if (orgId === byOrgId) return;
  if (byOrgId !== DEFAULT_ORG_ID) throw new AppError('forbidden', 'Only admins of the default org can create tokens for other orgs');
  if (!orgExists) throw new AppError('not_found', `Org ${orgId} not found`);
}

// ── apikey-<id> ───────────────────────────────────────────────────────────────────────────────

export type ApiKeyEvent = EventsOf<'ApiKeyCreated' | 'ApiKeyRotated' | 'ApiKeyRevoked'>;
export type ApiKeyCommand =
  | { type: 'CreateApiKey'; apiKeyId: string; orgId: string; name: string; keyHash: string; keyPrefix: string }
  /** A new key; the current one keeps working for `graceMs` so sensors can be moved over. */
  | { type: 'RotateApiKey'; apiKeyId: string; orgId: string; keyHash: string; keyPrefix: string; at: number; graceMs: number }
  | { type: 'RevokeApiKey'; apiKeyId: string; orgId: string };

function ownApiKey(state: ApiKey | null, orgId: string, apiKeyId: string): ApiKey {
  if (!state || state.orgId !== orgId) throw new AppError('not_found', `API key ${apiKeyId} not found`);
  return state;
}

function decideApiKey(command: ApiKeyCommand, state: ApiKey | null): ApiKeyEvent[] {
  switch (command.type) {
    case 'CreateApiKey': {
      if (state) throw new AppError('conflict', `API key ${command.apiKeyId} already exists`);
      const { type: _type, ...data } = command;
      return [{ type: 'ApiKeyCreated', data }];
    }
    case 'RotateApiKey': {
      const key = ownApiKey(state, command.orgId, command.apiKeyId);
      if (key.revoked) throw new AppError('conflict', 'API key is revoked; create a new one instead');
      const previousValidUntil = new Date(command.at + command.graceMs).toISOString();
      return [{ type: 'ApiKeyRotated', data: { apiKeyId: key.id, keyHash: command.keyHash, keyPrefix: command.keyPrefix, previousKeyHash: key.hash, previousValidUntil } }];
    }
    case 'RevokeApiKey': {
      const key = ownApiKey(state, command.orgId, command.apiKeyId);
      return key.revoked ? [] : [{ type: 'ApiKeyRevoked', data: { apiKeyId: key.id } }];
    }
  }
}

function evolveApiKey(state: ApiKey | null, event: Evolving<ApiKeyEvent>): ApiKey | null {
  const at = event.metadata.occurredAt;
  if (event.type === 'ApiKeyCreated') {
    const d = event.data;
    return { id: d.apiKeyId, orgId: d.orgId, name: d.name, keyPrefix: d.keyPrefix, hash: d.keyHash, previous: null, revoked: false, createdAt: at, rotatedAt: null, revokedAt: null };
  }
  if (state === null) return state;
  if (event.type === 'ApiKeyRevoked') return { ...state, revoked: true, revokedAt: at };
  // Only the latest previous key has a grace period; older ones stop working.
  const d = event.data;
  return { ...state, hash: d.keyHash, keyPrefix: d.keyPrefix, previous: { hash: d.previousKeyHash, validUntil: Date.parse(d.previousValidUntil) }, rotatedAt: at };
}

export const apiKeyDecider: Decider<ApiKey | null, ApiKeyCommand, ApiKeyEvent> = {
  initialState: () => null,
  evolve: evolveApiKey,
  decide: decideApiKey,
};

/** Whether a key, found by the hash of the secret presented, lets the sensor in at `now`; else why not. */
export function checkApiKey(key: ApiKey | undefined, presentedHash: string, now: number): ApiKey {
  if (!key) throw new AppError('unauthorized', 'Invalid API key');
  if (key.revoked) throw new AppError('unauthorized', 'API key revoked');
  const current = key.hash === presentedHash;
  const inGrace = key.previous !== null && key.previous.hash === presentedHash && key.previous.validUntil > now;
  if (!current && !inGrace) throw new AppError('unauthorized', 'Invalid API key');
  return key;
}

export function checkToken(token: Token | undefined): Token {
  if (!token) throw new AppError('unauthorized', 'Invalid token');
  if (token.revoked) throw new AppError('unauthorized', 'Token revoked');
  return token;
}
