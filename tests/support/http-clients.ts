/** Plain-fetch clients: the API is plain JSON, so no tRPC client library is needed to call it. */

export interface HttpResult<T = unknown> {
  status: number;
  body: T;
  contentType: string | null;
  /** The Retry-After header, when the answer has one. */
  retryAfter?: string | null;
}

async function call<T>(url: string, init: RequestInit): Promise<HttpResult<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: keep the text so a failing assertion shows it.
  }
  return { status: response.status, body: body as T, contentType: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after') };
}

export function bearer(secret: string | undefined): Record<string, string> {
  return secret === undefined ? {} : { Authorization: `Bearer ${secret}` };
}

/** tRPC over HTTP without a transformer: queries are GETs with `?input=`, mutations POST JSON. */
export class TrpcHttp {
  constructor(
    private readonly baseUrl: string,
    private readonly secret?: string,
  ) {}

  as(secret: string | undefined): TrpcHttp {
    return new TrpcHttp(this.baseUrl, secret);
  }

  async mutation<T = any>(path: string, input?: unknown): Promise<HttpResult<{ result?: { data: T }; error?: { message: string; data: { code: string; httpStatus: number } } }>> {
    return call(`${this.baseUrl}/api/trpc/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...bearer(this.secret) },
      body: JSON.stringify(input ?? null),
    });
  }

  async query<T = any>(path: string, input?: unknown): Promise<HttpResult<{ result?: { data: T }; error?: { message: string; data: { code: string; httpStatus: number } } }>> {
    const query = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    return call(`${this.baseUrl}/api/trpc/${path}${query}`, { headers: bearer(this.secret) });
  }

  /** The data of a successful call; throws with the error message otherwise. */
  async do<T = any>(kind: 'query' | 'mutation', path: string, input?: unknown): Promise<T> {
    const result = kind === 'query' ? await this.query<T>(path, input) : await this.mutation<T>(path, input);
    if (result.status !== 200 || !result.body.result) throw new Error(`${path} → ${result.status}: ${JSON.stringify(result.body)}`);
    return result.body.result.data;
  }
}

/** Requests exactly as the deployed sensor agent sends them: both headers on every request, GETs included. */
export async function wire<T = any>(baseUrl: string, key: string | undefined, method: 'GET' | 'POST', path: string, body?: unknown): Promise<HttpResult<T>> {
  return call(`${baseUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', ...bearer(key) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}
