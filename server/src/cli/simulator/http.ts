import type { Semaphore } from './semaphore.js';

/** The subset of `fetch` the simulator uses; tests pass a fake. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export type HttpResult =
  /** `body` is `undefined` when the answer had no Content-Type (the agent does not decode it then). */
  | { kind: 'ok'; status: number; body: unknown }
  | { kind: 'http-error'; status: number; bodyText: string }
  | { kind: 'network-error'; message: string }
  /** The sensor stopped while the request was waiting or in flight. */
  | { kind: 'aborted' };

export interface AgentClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  /** Real milliseconds, like the agent's HTTP client timeout (not scaled by the clock speed). */
  timeoutMs?: number;
  limiter?: Semaphore;
}

/** Speaks HTTP the way the deployed agent does: same two headers on every request, GETs included. */
export class AgentClient {
  readonly #baseUrl: string;
  readonly #headers: Record<string, string>;

  constructor(private readonly options: AgentClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#headers = { Authorization: `Bearer ${options.apiKey}`, 'Content-Type': 'application/json' };
  }

  get(path: string, signal: AbortSignal): Promise<HttpResult> {
    return this.#send('GET', path, undefined, signal);
  }

  post(path: string, body: unknown, signal: AbortSignal): Promise<HttpResult> {
    return this.#send('POST', path, JSON.stringify(body), signal);
  }

  async #send(method: string, path: string, body: string | undefined, stop: AbortSignal): Promise<HttpResult> {
    const run = () => this.#exchange(method, path, body, stop);
    return this.options.limiter ? this.options.limiter.run(run) : run();
  }

  async #exchange(method: string, path: string, body: string | undefined, stop: AbortSignal): Promise<HttpResult> {
    if (stop.aborted) return { kind: 'aborted' };
    // One controller per request, detached afterwards: the sensor's stop signal outlives
    // millions of requests, so nothing may stay subscribed to it.
    const request = new AbortController();
    const onStop = (): void => request.abort();
    stop.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => request.abort(new Error('request timed out')), this.options.timeoutMs ?? 30_000);
    try {
      const init: RequestInit = { method, headers: this.#headers, signal: request.signal };
      if (body !== undefined) init.body = body;
      const res = await this.options.fetch(this.#baseUrl + path, init);
      // Read the whole body inside the concurrency permit so the connection is free for reuse.
      const text = await res.text();
      if (res.status < 200 || res.status > 299) return { kind: 'http-error', status: res.status, bodyText: text };
      return { kind: 'ok', status: res.status, body: res.headers.has('content-type') ? parseJson(text) : undefined };
    } catch (err) {
      if (stop.aborted) return { kind: 'aborted' };
      return { kind: 'network-error', message: describeError(err) };
    } finally {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
    }
  }
}

/** fetch hides the useful part ("ECONNREFUSED") in `cause`. */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return err.message + cause;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
