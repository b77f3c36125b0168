/**
 * An in-memory stand-in for the berth API behind the CLI's `fetch`, and a fake clock, so command
 * behaviour (exit codes, headers sent, output) is testable without the local stack.
 */
import type { Clock, Terminal } from '../../cli/args';
import type { EnvironmentView } from '../../cli/environment-view';
import { type CliEnvironment, runCli } from '../../cli/main';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: unknown;
}

export interface FakeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Route = (request: RecordedRequest) => FakeReply | Promise<FakeReply>;

export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Route>();

  on(method: string, path: string, route: Route): this {
    this.routes.set(`${method} ${path}`, route);
    return this;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    const text = typeof init?.body === 'string' ? init.body : undefined;
    const request: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: new Headers(init?.headers),
      body: text === undefined ? undefined : JSON.parse(text),
    };
    this.requests.push(request);
    const route = this.routes.get(`${method} ${url.pathname}`);
    if (route === undefined) {
      return Response.json(
        { type: 'urn:berth:problem:not-found', title: 'Not Found', status: 404, detail: 'no route' },
        {
          status: 404,
          headers: { 'content-type': 'application/problem+json' },
        },
      );
    }
    const reply = await route(request);
    return new Response(reply.body === undefined ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  };
}

/** Time moves only when the CLI sleeps: waits of any length finish at once and elapsed time is exact. */
export class FakeClock implements Clock {
  current = Date.parse('2026-03-01T10:00:00.000Z');
  readonly sleeps: number[] = [];
  now(): number {
    return this.current;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.current += ms;
  }
}

export class CapturedTerminal implements Terminal {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): void {
    this.text += chunk;
  }
}

export const ID = 'env-01jd5y8q7n3w0s2k4m6p8r0t2v';

export function environment(overrides: Partial<EnvironmentView> = {}): EnvironmentView {
  return {
    id: ID,
    name: 'shop-dev',
    team: 'payments',
    status: 'PROVISIONING',
    version: 1,
    createdAt: '2026-03-01T10:00:00.000Z',
    updatedAt: '2026-03-01T10:00:00.000Z',
    progress: { percent: 0, completedSteps: [] },
    outputs: {},
    ...overrides,
  };
}

export function step(name: string, startedAt: string, finishedAt: string) {
  return { step: name, startedAt, finishedAt };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process against the fake API with a configured URL and token. */
export async function runAgainst(
  api: FakeApi,
  argv: string[],
  options: {
    clock?: FakeClock;
    files?: Record<string, string>;
    signal?: AbortSignal;
    confirm?: CliEnvironment['confirm'];
    stderrIsTTY?: boolean;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<CliRun> {
  const stdout = new CapturedTerminal();
  const stderr = new CapturedTerminal(options.stderrIsTTY ?? false);
  const files = options.files ?? {};
  const code = await runCli(argv, {
    env: options.env ?? { BERTH_API_URL: 'https://berth.example.com', BERTH_TOKEN: 'token-1' },
    homedir: '/nonexistent',
    stdout,
    stderr,
    signal: options.signal ?? new AbortController().signal,
    clock: options.clock ?? new FakeClock(),
    readText: async (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    readConfigFile: () => undefined,
    confirm: options.confirm ?? (async () => undefined),
    fetch: api.fetch,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
