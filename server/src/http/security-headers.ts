import type { ServerResponse } from 'node:http';

/**
 * Sent with every answer. API answers are data, never a page: nothing may load from or
 * frame them. The dashboard's pages replace the policy with DASHBOARD_CSP.
 */
const EVERY_RESPONSE: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};

/**
 * The dashboard's own policy is a <meta> in each page (built by SvelteKit with hashes of its
 * inline script); a <meta> cannot forbid framing, so this header adds what it cannot say.
 * Browsers enforce both policies.
 */
export const DASHBOARD_CSP = "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

const EVERY_RESPONSE_ENTRIES = Object.entries(EVERY_RESPONSE);

/** The same headers as one flat name, value, name, value… list, the form `writeHead` takes in one go. */
export const SECURITY_HEADER_LIST: readonly string[] = EVERY_RESPONSE_ENTRIES.flat();

export function setSecurityHeaders(res: ServerResponse): void {
  for (const [name, value] of EVERY_RESPONSE_ENTRIES) res.setHeader(name, value);
}
