import type { Role } from '@harborguard/shared';

/** A sensor authenticated by its org's API key. */
export interface SensorPrincipal {
  kind: 'sensor';
  orgId: string;
  apiKeyId: string;
}

/** A person (or script) authenticated by a bearer token. */
export interface UserPrincipal {
  kind: 'user';
  orgId: string;
  tokenId: string;
  role: Role;
}

const RANK: Record<Role, number> = { auditor: 0, operator: 1, admin: 2 };

export function hasRole(principal: UserPrincipal, required: Role): boolean {
  return RANK[principal.role] >= RANK[required];
}

export const DEFAULT_ORG_ID = 'default';
