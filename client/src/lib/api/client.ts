import { createTRPCClient, createWSClient, httpBatchLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
import type { AppRouter } from '$server/router';

export type TrpcClient = TRPCClient<AppRouter>;

export interface ConnectionEvents {
  /** The WebSocket (live updates) is up: first time or again. */
  onOpen?: () => void;
  /** The WebSocket dropped; the client reconnects with back-off on its own. */
  onClose?: () => void;
}

export interface Connection {
  trpc: TrpcClient;
  close(): void;
}

const TRPC_PATH = '/api/trpc';

/** Fired on `window` when the server no longer accepts the session (signed out elsewhere, token revoked). */
export const UNAUTHORIZED_EVENT = 'harborguard:unauthorized';

async function sessionFetch(url: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(url, { ...init, credentials: 'same-origin' });
  if (response.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
  return response;
}

/**
 * One tRPC client for the signed-in dashboard: queries and mutations batched over HTTP,
 * subscriptions over a WebSocket on the same path. Both carry the session cookie.
 */
export function connect(events: ConnectionEvents = {}): Connection {
  const wsUrl = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${TRPC_PATH}`;
  const ws = createWSClient({
    url: wsUrl,
    retryDelayMs: (attempt) => Math.min(500 * 2 ** attempt, 10_000),
    // Finds a dead connection (no close from the network) within half a minute, and is
    // patient with a busy server.
    keepAlive: { enabled: true, intervalMs: 15_000, pongTimeoutMs: 15_000 },
    ...(events.onOpen ? { onOpen: events.onOpen } : {}),
    ...(events.onClose ? { onClose: () => events.onClose?.() } : {}),
  });
  const trpc = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: ws }),
        false: httpBatchLink({ url: TRPC_PATH, fetch: sessionFetch }),
      }),
    ],
  });
  return { trpc, close: () => void ws.close() };
}
