/**
 * The simulated AWS on HTTP: `startSimulator()` serves the registered services on 127.0.0.1
 * (port 4566 by default, 0 for an ephemeral port in tests) plus a JSON control API under `/_local/`:
 *
 *   GET  /_local/health                     status, services, time scale, simulated time
 *   GET  /_local/time-scale                 { scale }      PUT { scale: 0.01 } changes it without a time jump
 *   GET  /_local/rate-limits                { enabled, overrides }   PUT the same shape to change them
 *                                           (overrides keyed `ec2:<Action>` per API, or `ec2:mutating` per category)
 *   GET  /_local/consistency                { enabled, windowSeconds: [min, max] }   PUT either field to change
 *                                           EC2's read-after-create windows (on by default, 1–3 AWS seconds)
 *   GET  /_local/faults                     installed faults
 *   POST /_local/faults                     one fault or an array (see faults.ts) → 201 { faults }
 *   DELETE /_local/faults[/<id>]            all faults, or one
 *   GET  /_local/resources[?tag=k=v&type=t] live resources grouped by type
 *   GET  /_local/calls                      calls per service/operation since reset (incl. throttled, faulted)
 *   POST /_local/reset                      forget resources, calls, faults and bucket levels
 *   GET  /_local/iam                        { enforce, roles }   PUT { enforce } switches IAM enforcement
 *   POST /_local/iam/roles                  { template } loads a CloudFormation template's roles and managed policies
 *   POST /_local/iam/credentials            { roleName, sessionName } → credentials of a role session
 *   GET  /_local/iam/denials                the refusals since start or the last reset
 *   GET  /_local/iam/unused                 template grants that allowed no request
 *   GET  /_local/capacity                   { subnetAddresses, instanceEnis }   PUT either to switch the
 *                                           subnet-address and per-instance ENI limits (services/capacity.ts)
 *   GET  /_local/egress                     { enforce }   PUT { enforce: false } lets tasks start without a way
 *                                           out (no NAT, public IP or VPC endpoint; on by default, as on AWS)
 *   GET  /_local/quotas                     { enforce, quotas: { "vpc/L-F678F1CE": { name, value, defaultValue } … } }
 *   PUT  /_local/quotas                     { enforce?, quotas?: { "vpc/L-F678F1CE": 10 | null } } (reset: defaults, on)
 *   GET  /_local/health-checks              { securityGroups }   PUT { securityGroups: false } makes ELB health
 *                                           checks ignore security groups (on by default, as on AWS)
 *   GET  /_local/strictness                 { exactTaskFamily, taskDefinitionSize, amiArchitecture }   PUT any
 *                                           of them false to relax that AWS rule (services/strictness.ts)
 *
 * Signatures are not verified. Credentials issued by `/_local/iam/credentials` act as their role and
 * are held to its policies (iam/identities.ts); any other access key is the account's operator.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFaultSpecs } from './faults';
import type { SimRequest, SimResponse } from './protocols/index';
import { capacitySettings, updateCapacitySettings } from './services/capacity';
import { egressEnforced, setEgressEnforced } from './services/ec2/vpc-endpoints';
import { securityGroupHealthChecks, setSecurityGroupHealthChecks } from './services/elbv2/target-health';
import { recordedEvents } from './services/eventbridge';
import { services as registeredServices } from './services/index';
import { quotaSettings, updateQuotaSettings } from './services/quotas';
import { strictness, updateStrictness } from './services/strictness';
import { Simulator, type SimulatorOptions } from './simulator';

export interface StartOptions extends SimulatorOptions {
  /** Default 4566; 0 picks a free port. */
  port?: number;
}

export interface RunningSimulator {
  url: string;
  port: number;
  sim: Simulator;
  close(): Promise<void>;
}

/** Requests larger than this are refused (no berth call comes near it). */
const maxBodyBytes = 10 * 1024 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startSimulator(options: StartOptions = {}): Promise<RunningSimulator> {
  const sim = new Simulator({ ...options, services: options.services ?? registeredServices });
  const server = createServer((request, response) => {
    serve(sim, request, response).catch((error: unknown) => {
      const status = error instanceof HttpProblem ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) respond(response, jsonResponse(status, { message }));
      else response.destroy();
    });
  });
  // Keep-alive sockets would hold close() open until the SDK's agent lets go of them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    sim,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function serve(sim: Simulator, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const simRequest: SimRequest = {
    method: request.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers,
    body: await readBody(request),
  };
  const answer = url.pathname.startsWith('/_local/')
    ? control(sim, simRequest)
    : await sim.handle(simRequest);
  respond(response, answer);
}

function respond(response: ServerResponse, answer: SimResponse): void {
  const body = Buffer.from(answer.body, 'utf8');
  response.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) });
  response.end(body);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBodyBytes) throw new HttpProblem(413, 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function jsonResponse(status: number, body: unknown): SimResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

function jsonBody(request: SimRequest): unknown {
  try {
    return request.body.trim() === '' ? {} : JSON.parse(request.body);
  } catch {
    throw new HttpProblem(400, 'body is not valid JSON');
  }
}

function consistencySettings(sim: Simulator) {
  return { enabled: sim.ctx.consistency.enabled, windowSeconds: sim.ctx.consistency.windowSeconds };
}

function isWindow(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((item) => typeof item === 'number' && Number.isFinite(item) && item >= 0) &&
    value[0] <= value[1]
  );
}

function control(sim: Simulator, request: SimRequest): SimResponse {
  const route = `${request.method} ${request.path.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_local/health':
      return jsonResponse(200, {
        status: 'ok',
        services: sim.serviceNames(),
        timeScale: sim.clock.scale,
        simulatedTime: new Date(sim.clock.now()).toISOString(),
        region: sim.ctx.region,
        accountId: sim.ctx.accountId,
      });
    case 'GET /_local/time-scale':
      return jsonResponse(200, { scale: sim.clock.scale });
    case 'PUT /_local/time-scale': {
      const body = jsonBody(request);
      const scale =
        typeof body === 'object' && body !== null ? (body as { scale?: unknown }).scale : undefined;
      if (typeof scale !== 'number' || !(scale > 0)) throw new HttpProblem(400, 'scale must be a number > 0');
      sim.clock.setScale(scale);
      return jsonResponse(200, { scale });
    }
    case 'GET /_local/rate-limits':
      return jsonResponse(200, sim.limiter.options);
    case 'PUT /_local/rate-limits': {
      const body = jsonBody(request) as { enabled?: unknown; overrides?: unknown };
      if (typeof body.enabled === 'boolean') sim.limiter.options.enabled = body.enabled;
      if (typeof body.overrides === 'object' && body.overrides !== null) {
        sim.limiter.options.overrides = body.overrides as typeof sim.limiter.options.overrides;
      }
      sim.limiter.reset();
      return jsonResponse(200, sim.limiter.options);
    }
    case 'GET /_local/consistency':
      return jsonResponse(200, consistencySettings(sim));
    case 'PUT /_local/consistency': {
      const body = jsonBody(request) as { enabled?: unknown; windowSeconds?: unknown };
      const { enabled, windowSeconds } = body;
      if (enabled !== undefined && typeof enabled !== 'boolean')
        throw new HttpProblem(400, 'enabled must be true or false');
      if (windowSeconds !== undefined && !isWindow(windowSeconds)) {
        throw new HttpProblem(400, 'windowSeconds must be [min, max] AWS seconds with 0 <= min <= max');
      }
      if (typeof enabled === 'boolean') sim.ctx.consistency.enabled = enabled;
      if (isWindow(windowSeconds)) sim.ctx.consistency.windowSeconds = [windowSeconds[0], windowSeconds[1]];
      return jsonResponse(200, consistencySettings(sim));
    }
    case 'GET /_local/faults':
      return jsonResponse(200, { faults: sim.faults.list() });
    case 'POST /_local/faults': {
      let specs: ReturnType<typeof parseFaultSpecs>;
      try {
        specs = parseFaultSpecs(jsonBody(request));
      } catch (error) {
        throw new HttpProblem(400, error instanceof Error ? error.message : 'invalid fault');
      }
      return jsonResponse(201, { faults: sim.faults.add(specs) });
    }
    case 'DELETE /_local/faults':
      sim.faults.clear();
      return jsonResponse(200, { faults: [] });
    case 'GET /_local/resources':
      return jsonResponse(200, {
        resources: sim.inventory({
          tag: request.query.get('tag') ?? undefined,
          type: request.query.get('type') ?? undefined,
          all: request.query.get('all') === 'true',
        }),
      });
    case 'GET /_local/calls':
      return jsonResponse(200, sim.callCounts());
    case 'GET /_local/events':
      return jsonResponse(200, { events: recordedEvents(sim.ctx, request.query.get('bus') ?? undefined) });
    case 'POST /_local/reset':
      sim.reset();
      return jsonResponse(200, { reset: true });
    case 'GET /_local/iam':
      return jsonResponse(200, {
        enforce: sim.iam.enforce,
        roles: sim.iam
          .listRoles()
          .map((role) => ({ roleName: role.roleName, roleArn: role.roleArn, source: role.source })),
      });
    case 'PUT /_local/iam': {
      const enforce = (jsonBody(request) as { enforce?: unknown }).enforce;
      if (typeof enforce !== 'boolean') throw new HttpProblem(400, 'enforce must be true or false');
      sim.iam.enforce = enforce;
      return jsonResponse(200, { enforce });
    }
    case 'POST /_local/iam/roles': {
      const body = jsonBody(request) as { template?: unknown; stackName?: unknown };
      try {
        const roles = sim.loadTemplateRoles(
          body.template,
          typeof body.stackName === 'string' ? body.stackName : undefined,
        );
        return jsonResponse(201, { roles });
      } catch (error) {
        throw new HttpProblem(400, error instanceof Error ? error.message : String(error));
      }
    }
    case 'POST /_local/iam/credentials': {
      const body = jsonBody(request) as { roleName?: unknown; sessionName?: unknown };
      if (typeof body.roleName !== 'string' || typeof body.sessionName !== 'string') {
        throw new HttpProblem(400, 'roleName and sessionName must be strings');
      }
      if (!sim.iam.role(body.roleName)) throw new HttpProblem(404, `no role ${body.roleName}`);
      return jsonResponse(201, sim.iam.issueCredentials(body.roleName, body.sessionName));
    }
    case 'GET /_local/iam/denials':
      return jsonResponse(200, { denials: sim.iam.denials() });
    case 'GET /_local/iam/unused':
      return jsonResponse(200, { unused: sim.iam.unusedGrants() });
    case 'GET /_local/capacity':
      return jsonResponse(200, { ...capacitySettings(sim.ctx) });
    case 'PUT /_local/capacity':
      try {
        return jsonResponse(200, updateCapacitySettings(sim.ctx, jsonBody(request)));
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        throw new HttpProblem(400, error instanceof Error ? error.message : String(error));
      }
    case 'GET /_local/egress':
      return jsonResponse(200, { enforce: egressEnforced(sim.ctx) });
    case 'PUT /_local/egress': {
      const enforce = (jsonBody(request) as { enforce?: unknown }).enforce;
      if (typeof enforce !== 'boolean') throw new HttpProblem(400, 'enforce must be true or false');
      setEgressEnforced(sim.ctx, enforce);
      return jsonResponse(200, { enforce });
    }
    case 'GET /_local/quotas':
      return jsonResponse(200, quotaSettings(sim.ctx));
    case 'PUT /_local/quotas':
      try {
        updateQuotaSettings(sim.ctx, jsonBody(request));
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        throw new HttpProblem(400, error instanceof Error ? error.message : String(error));
      }
      return jsonResponse(200, quotaSettings(sim.ctx));
    case 'GET /_local/health-checks':
      return jsonResponse(200, { securityGroups: securityGroupHealthChecks(sim.ctx) });
    case 'PUT /_local/health-checks': {
      const securityGroups = (jsonBody(request) as { securityGroups?: unknown }).securityGroups;
      if (typeof securityGroups !== 'boolean')
        throw new HttpProblem(400, 'securityGroups must be true or false');
      setSecurityGroupHealthChecks(sim.ctx, securityGroups);
      return jsonResponse(200, { securityGroups });
    }
    case 'GET /_local/strictness':
      return jsonResponse(200, strictness(sim.ctx));
    case 'PUT /_local/strictness':
      try {
        return jsonResponse(200, updateStrictness(sim.ctx, jsonBody(request)));
      } catch (error) {
        if (error instanceof HttpProblem) throw error;
        throw new HttpProblem(400, error instanceof Error ? error.message : String(error));
      }
  }
  const faultId = /^DELETE \/_local\/faults\/([^/]+)$/.exec(route)?.[1];
  if (faultId) {
    if (!sim.faults.remove(decodeURIComponent(faultId))) throw new HttpProblem(404, `no fault ${faultId}`);
    return jsonResponse(200, { removed: faultId });
  }
  return jsonResponse(404, { message: `no control route ${route}` });
}
