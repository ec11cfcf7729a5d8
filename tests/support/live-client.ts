import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { FleetChange } from '@harborguard/shared';
import type { AppRouter } from '../../server/src/api/app-router.js';

export interface LiveMessage {
  id: string;
  data: FleetChange;
  receivedAt: number;
}

/** A `live.fleet` subscriber over WebSocket, authenticated with connection params, collecting what it receives. */
export function subscribeFleet(baseUrl: string, token: string, lastEventId?: string) {
  const messages: LiveMessage[] = [];
  const errors: Error[] = [];
  const wsClient = createWSClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/api/trpc`,
    // Node 20 has no global WebSocket.
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: { token },
    retryDelayMs: () => 50,
  });
  const client = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient })] });
  let started: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const subscription = client.live.fleet.subscribe(lastEventId === undefined ? {} : { lastEventId }, {
    onStarted: () => started(),
    onData: (message) => messages.push({ id: message.id, data: message.data as FleetChange, receivedAt: Date.now() }),
    onError: (error) => errors.push(error),
  });
  return {
    messages,
    errors,
    ready,
    /** Waits (bounded) until a message matches. */
    async waitFor(match: (message: LiveMessage) => boolean, timeoutMs = 5_000): Promise<LiveMessage> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (errors.length) throw errors[0];
        if (Date.now() > deadline) throw new Error(`no matching live message within ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.data.kind))}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async waitForError(timeoutMs = 5_000): Promise<Error> {
      const deadline = Date.now() + timeoutMs;
      while (errors.length === 0) {
        if (Date.now() > deadline) throw new Error('no error within the time limit');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return errors[0]!;
    },
    async close() {
      subscription.unsubscribe();
      await wsClient.close();
    },
  };
}

export const sensorOf = (message: LiveMessage) => (message.data.kind === 'sensor' ? message.data.sensor : undefined);
