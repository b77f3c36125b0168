/**
 * The only way the CLI reaches berth: HTTPS requests with a bearer token. Error replies become an
 * ApiError carrying the exit code they mean (4xx → 2, 5xx → 4); connection failures a
 * NetworkError (4).
 */
import { CliError, EXIT } from './exit-codes';
import { formatProblem } from './problem';

/** One request may not hang the CLI; waiting loops poll with many short requests instead. */
const REQUEST_TIMEOUT_MS = 30_000;
const USER_AGENT = 'berth-cli/0.1.0';

export interface ApiReply {
  status: number;
  headers: Headers;
  body: unknown;
}

export interface RequestOptions {
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly body: unknown,
    method: string,
    path: string,
  ) {
    const hint =
      status === 401
        ? ['  (check the token from --token, BERTH_TOKEN or the config file; it may have expired)']
        : [];
    super(status >= 500 ? EXIT.unavailable : EXIT.rejected, [...formatProblem(status, body), ...hint]);
    this.name = 'ApiError';
    this.message = `${method} ${path} answered ${status}: ${this.message}`;
  }
}

export class NetworkError extends CliError {
  constructor(url: string, cause: unknown) {
    super(EXIT.unavailable, [`Cannot reach the berth API at ${url}: ${describeCause(cause)}`]);
    this.name = 'NetworkError';
  }
}

/** fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = 'code' in cause && typeof cause.code === 'string' ? `${cause.code} ` : '';
    return `${code}${cause.message}`.trim();
  }
  return error.message;
}

export class ApiClient {
  constructor(
    readonly apiUrl: string,
    private readonly token: string,
    private readonly fetchFunction: typeof fetch = fetch,
  ) {}

  /** Sends one request; resolves with any 2xx reply, throws ApiError for ≥ 400 and NetworkError when unreachable. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiReply> {
    const url = new URL(`${this.apiUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, value);
    }
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      authorization: `Bearer ${this.token}`,
      'user-agent': USER_AGENT,
      ...options.headers,
    };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;

    let response: Response;
    try {
      response = await this.fetchFunction(url, {
        method,
        headers,
        signal,
        ...(body !== undefined ? { body } : {}),
      });
    } catch (error) {
      // The caller's own abort (Ctrl-C) is not a network failure: let it through as it is.
      if (options.signal?.aborted) throw error;
      throw new NetworkError(this.apiUrl, error);
    }
    const text = await response.text();
    const parsed = parseBody(text);
    if (!response.ok) throw new ApiError(response.status, parsed, method, path);
    return { status: response.status, headers: response.headers, body: parsed };
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
