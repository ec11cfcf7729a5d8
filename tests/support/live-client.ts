import { createTRPCClient, createWSClient, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import type { FleetChange, LiveViewChange, LiveViewInput } from '@harborguard/shared';
import type { AppRouter } from '../../server/src/api/app-router.js';

export interface LiveMessage<T = FleetChange> {
  id: string;
  data: T;
  receivedAt: number;
}

type Client = ReturnType<typeof createTRPCClient<AppRouter>>;
interface Handlers {
  onStarted(): void;
  onData(message: { id: string; data: unknown }): void;
  onError(error: Error): void;
}

/** A subscriber over WebSocket, authenticated with connection params, collecting what it receives. */
function liveSubscriber<T>(baseUrl: string, token: string, open: (client: Client, handlers: Handlers) => { unsubscribe(): void }) {
  const messages: LiveMessage<T>[] = [];
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
  const subscription = open(client, {
    onStarted: () => started(),
    onData: (message) => messages.push({ id: message.id, data: message.data as T, receivedAt: Date.now() }),
    onError: (error) => errors.push(error),
  });
  return {
    messages,
    errors,
    ready,
    /** Waits (bounded) until a message matches. */
    async waitFor(match: (message: LiveMessage<T>) => boolean, timeoutMs = 5_000): Promise<LiveMessage<T>> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find(match);
        if (found) return found;
        if (errors.length) throw errors[0];
        if (Date.now() > deadline) throw new Error(`no matching live message within ${timeoutMs} ms; got ${JSON.stringify(messages.map((m) => m.data)).slice(0, 2000)}`);
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

/** A `live.fleet` subscriber. */
export function subscribeFleet(baseUrl: string, token: string, lastEventId?: string) {
  return liveSubscriber<FleetChange>(baseUrl, token, (client, handlers) => client.live.fleet.subscribe(lastEventId === undefined ? {} : { lastEventId }, handlers));
}

/** A `live.view` subscriber: one page of the sensor list. */
export function subscribeView(baseUrl: string, token: string, input: LiveViewInput) {
  return liveSubscriber<LiveViewChange>(baseUrl, token, (client, handlers) => client.live.view.subscribe(input, handlers));
}

export const sensorOf = (message: LiveMessage) => (message.data.kind === 'sensor' ? message.data.sensor : undefined);

/** A WebSocket to the tRPC endpoint speaking the protocol by hand, to test what the server admits. */
export interface RawSocket {
  /** Every message received, decoded. */
  messages: any[];
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  isOpen(): boolean;
  send(message: unknown): void;
  /** Waits (bounded) for the answer to request `id`, or for an error the server sent before closing. */
  answer(id: number, timeoutMs?: number): Promise<any>;
  close(): void;
}

export function rawSocket(baseUrl: string, options: { headers?: Record<string, string>; expectConnectionParams?: boolean } = {}): RawSocket {
  const query = options.expectConnectionParams ? '?connectionParams=1' : '';
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/api/trpc${query}`, { headers: options.headers ?? {} });
  const messages: any[] = [];
  ws.on('message', (data) => {
    const text = data.toString();
    if (text !== 'PING' && text !== 'PONG') messages.push(JSON.parse(text));
  });
  ws.on('error', () => {});
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  return {
    messages,
    opened,
    closed,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    send: (message) => ws.send(JSON.stringify(message)),
    async answer(id, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = messages.find((m) => m.id === id || (m.id === null && m.error));
        if (found) return found;
        if (isClosed) throw new Error(`socket closed without an answer to ${id}`);
        if (Date.now() > deadline) throw new Error(`no answer to ${id} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: () => ws.close(),
  };
}
