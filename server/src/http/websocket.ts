import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { TRPCError } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { Clock } from '../core/clock.js';
import { appRouter } from '../api/app-router.js';
import { asTrpcError, authenticateConnection } from '../api/trpc.js';
import type { Context } from '../api/context.js';
import { MAX_BODY_BYTES } from '../api/json-body.js';
import { credentialsOf, originAllowed } from './credentials.js';

export interface LiveOptions {
  path: string;
  /** The context of a connection, given its credentials. */
  contextOf(req: IncomingMessage, authorization: string | undefined): Context;
  allowedOrigins: readonly string[];
  /** Drives the authentication deadline. */
  clock: Clock;
  authTimeoutMs: number;
  maxBatchSize: number;
  onError: (opts: { error: TRPCError; path?: string | undefined }) => void;
}

/**
 * tRPC over WebSocket on `path`. A connection is admitted once its credentials check out:
 * a token in the connection params, an Authorization header, or the session cookie. The
 * cookie counts only from a page of the service's own origin (or an allowed one), since a
 * browser attaches it for any page of the same site. A connection still unauthenticated
 * after `authTimeoutMs` is closed.
 */
export function attachLive(server: Server, options: LiveOptions): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const admitted = new WeakSet<WebSocket>();
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    maxBatchSize: options.maxBatchSize,
    createContext: ({ req, res: socket, info }) => admit(req, socket, info.connectionParams?.['token']).catch((error: unknown) => Promise.reject(asTrpcError(error))),
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError: options.onError,
  });
  async function admit(req: IncomingMessage, socket: WebSocket, fromParams: string | undefined): Promise<Context> {
    const credentials = fromParams ? { authorization: `Bearer ${fromParams}`, fromCookie: false } : credentialsOf(req);
    if (credentials.fromCookie && !originAllowed(req, options.allowedOrigins)) {
      const origin = req.headers.origin ?? 'none';
      throw new TRPCError({ code: 'FORBIDDEN', message: `Origin ${origin} may not use the session cookie; pass a token in the connection params` });
    }
    const ctx = options.contextOf(req, credentials.authorization);
    await authenticateConnection(ctx);
    admitted.add(socket);
    return ctx;
  }

  server.on('upgrade', (req, socket, head) => {
    const queryAt = req.url?.indexOf('?') ?? -1;
    const path = queryAt < 0 ? req.url : req.url!.slice(0, queryAt);
    if (path !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // 1008: policy violation. Connection params that never come must not hold a socket open.
      const deadline = options.clock.setTimeout(() => {
        if (!admitted.has(ws)) ws.close(1008, 'Not authenticated in time');
      }, options.authTimeoutMs);
      ws.once('close', () => options.clock.clearTimeout(deadline));
      wss.emit('connection', ws, req);
    });
  });
  return {
    close() {
      handler.broadcastReconnectNotification();
      // 1012: service restart. An upgraded socket would otherwise keep the server open forever.
      for (const client of wss.clients) client.close(1012, 'Service restarting');
      wss.close();
    },
  };
}
