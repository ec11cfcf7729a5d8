/** Turns any failure of an API call into a sentence for the person using the dashboard. */

export interface ApiErrorShape {
  message: string;
  code: string | null;
  httpStatus: number | null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function describeError(error: unknown): ApiErrorShape {
  if (isRecord(error)) {
    const data = isRecord(error['data']) ? error['data'] : isRecord(error['shape']) && isRecord(error['shape']['data']) ? error['shape']['data'] : null;
    const code = data && typeof data['code'] === 'string' ? data['code'] : null;
    const httpStatus = data && typeof data['httpStatus'] === 'number' ? data['httpStatus'] : null;
    let message = typeof error['message'] === 'string' && error['message'] !== '' ? error['message'] : 'Something went wrong';
    if (message === 'Failed to fetch' || message === 'fetch failed' || message === 'NetworkError when attempting to fetch resource.') {
      message = 'Cannot reach the HarborGuard server. Check that it is running, then try again.';
    }
    if (code === 'NOT_FOUND' && /^No "(query|mutation|subscription)"-procedure/.test(message)) {
      message = `This server does not offer that yet (${message}).`;
    }
    return { message, code, httpStatus };
  }
  return { message: typeof error === 'string' ? error : 'Something went wrong', code: null, httpStatus: null };
}

export function errorMessage(error: unknown): string {
  return describeError(error).message;
}

export function isUnauthorized(error: unknown): boolean {
  const { code, httpStatus } = describeError(error);
  return code === 'UNAUTHORIZED' || httpStatus === 401;
}
