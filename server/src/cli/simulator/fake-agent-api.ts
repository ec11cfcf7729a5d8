import type { FetchLike } from './http.js';

/** An in-memory stand-in for the server side of the wire protocol, for tests. */

export type Route = 'register' | 'heartbeat' | 'jobs' | 'upload' | 'status' | 'unknown';

export interface RecordedRequest {
  /** `Date.now()` when the request was sent (fake time in tests). */
  at: number;
  route: Route;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

export interface FakeAnswer {
  status?: number;
  body?: unknown;
  /** Omits the Content-Type header, as some proxies do. */
  noContentType?: boolean;
  /** Makes fetch reject, like a refused connection. */
  networkError?: boolean;
}

export type Handler = (request: RecordedRequest, count: number) => FakeAnswer;

function routeOf(method: string, path: string): Route {
  if (method === 'POST' && path === '/api/agent/register') return 'register';
  if (method === 'POST' && path === '/api/agent/heartbeat') return 'heartbeat';
  if (method === 'GET' && path.startsWith('/api/agent/jobs?')) return 'jobs';
  if (method === 'POST' && path === '/api/scans/upload') return 'upload';
  if (method === 'POST' && /^\/api\/agent\/jobs\/[^/]+\/status$/.test(path)) return 'status';
  return 'unknown';
}

const DEFAULTS: Record<Route, FakeAnswer> = {
  register: { body: { agentId: 'agent-1' } },
  heartbeat: { body: { ok: true } },
  jobs: { body: { jobs: [], cancelJobs: [] } },
  upload: { body: { scanId: 'scan-1', imageId: 'image-1' } },
  status: { body: { ok: true } },
  unknown: { status: 404, body: { error: 'Not found' } },
};

export class FakeAgentApi {
  readonly requests: RecordedRequest[] = [];
  readonly #handlers = new Map<Route, Handler>();

  /** Answers one route; `count` is how many requests that route has seen, starting at 1. */
  on(route: Route, handler: Handler): this {
    this.#handlers.set(route, handler);
    return this;
  }

  of(route: Route): RecordedRequest[] {
    return this.requests.filter((r) => r.route === route);
  }

  readonly fetch: FetchLike = async (url, init) => {
    const { pathname, search } = new URL(url);
    const method = init.method ?? 'GET';
    const path = pathname + search;
    const headers = Object.fromEntries(new Headers(init.headers).entries());
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const request: RecordedRequest = { at: Date.now(), route: routeOf(method, path), method, path, headers, body };
    this.requests.push(request);
    const handler = this.#handlers.get(request.route);
    const answer = handler ? handler(request, this.of(request.route).length) : DEFAULTS[request.route];
    if (answer.networkError) throw new TypeError('fetch failed');
    const responseHeaders: Record<string, string> = answer.noContentType ? {} : { 'content-type': 'application/json' };
    // Bytes, not a string: a string body would make Response add a text/plain Content-Type.
    const bytes = new TextEncoder().encode(answer.body === undefined ? '' : JSON.stringify(answer.body));
    return new Response(bytes, { status: answer.status ?? 200, headers: responseHeaders });
  };
}

/** Default answer for a route, for handlers that only change some requests. */
export function defaultAnswer(route: Route): FakeAnswer {
  return DEFAULTS[route];
}
