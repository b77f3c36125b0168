import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { base64url, decodeJwt, SignJWT } from 'jose';
import { handler } from '../../functions/authorizer';
import { type JwksServer, type LocalTokenOptions, signLocalToken, startJwksServer } from '../../local/auth';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/GET/environments/env-01';

let dir: string;
let server: JwksServer;
const savedEnv = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-authorizer-'));
  server = await startJwksServer({ port: 0, dir });
});

afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  process.env.AUTH_ISSUER = server.issuer;
  process.env.AUTH_AUDIENCE = 'berth';
  process.env.AUTH_JWKS_URL = server.jwksUrl;
  delete process.env.AUTH_TEAMS_CLAIM;
  delete process.env.AUTH_ADMIN_CLAIM;
  // Keeps the denial lines out of the test output; the log test below reads the calls.
  jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
  process.env = { ...savedEnv };
});

function token(options: Partial<LocalTokenOptions> = {}): Promise<string> {
  return signLocalToken({ teams: ['payments'], subject: 'alice', issuer: server.issuer, dir, ...options });
}

function requestEvent(headers: Record<string, string> | null): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: METHOD_ARN,
    resource: '/environments/{id}',
    path: '/environments/env-01',
    httpMethod: 'GET',
    headers,
  } as APIGatewayRequestAuthorizerEvent;
}

async function bearer(options: Partial<LocalTokenOptions> = {}): Promise<APIGatewayRequestAuthorizerEvent> {
  return requestEvent({ Authorization: `Bearer ${await token(options)}` });
}

describe('authorizer handler', () => {
  it('allows every method and path of the stage for a valid token', async () => {
    // Prepare
    const event = await bearer();

    // Act
    const result = await handler(event);

    // Assess
    expect(result.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Action: 'execute-api:Invoke',
          Effect: 'Allow',
          Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/dev/*/*',
        },
      ],
    });
  });

  it('names the subject as principal and passes subject, comma-joined teams and admin as context', async () => {
    const event = await bearer({ subject: 'alice', teams: ['payments', 'search'], admin: true });

    const result = await handler(event);

    expect([result.principalId, result.context]).toEqual([
      'alice',
      { subject: 'alice', teams: 'payments,search', admin: true },
    ]);
  });

  it('reads the header name and the Bearer scheme case-insensitively', async () => {
    const event = requestEvent({ AUTHORIZATION: `bEaReR ${await token()}` });

    const result = await handler(event);

    expect(result.principalId).toBe('alice');
  });

  it.each([
    ['no headers at all', null],
    ['no Authorization header', { Accept: 'application/json' }],
    ['a Basic scheme', { Authorization: 'Basic YWxpY2U6c2VjcmV0' }],
    ['a Bearer scheme without token', { Authorization: 'Bearer ' }],
    ['a token without scheme', { Authorization: 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln' }],
    ['a malformed token', { Authorization: 'Bearer not-a-jwt' }],
  ])('answers Unauthorized for %s', async (_case, headers) => {
    const event = requestEvent(headers);

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for an expired token', async () => {
    const event = await bearer({ expiresIn: '-1h' });

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for a token from another issuer', async () => {
    const event = await bearer({ issuer: 'https://evil.example.test' });

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for a token for another audience', async () => {
    const event = await bearer({ audience: 'another-api' });

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for an unsigned token (alg none)', async () => {
    const [, payload] = (await token()).split('.');
    const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${payload}.`;
    const event = requestEvent({ Authorization: `Bearer ${unsigned}` });

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for an HS256 token keyed with the published public key', async () => {
    const published = await (await fetch(server.jwksUrl)).text();
    const hmac = await new SignJWT({ teams: ['payments'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .setIssuer(server.issuer)
      .setAudience('berth')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(published));
    const event = requestEvent({ Authorization: `Bearer ${hmac}` });

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for a token whose payload was changed after signing', async () => {
    const signed = await token({ teams: ['payments'] });
    const [header, , signature] = signed.split('.');
    const forged = base64url.encode(JSON.stringify({ ...decodeJwt(signed), berth_admin: true }));
    const event = requestEvent({ Authorization: `Bearer ${header}.${forged}.${signature}` });

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
  });

  it('answers Unauthorized for a token signed by a key the JWKS does not publish', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'berth-authorizer-other-'));
    try {
      const event = await bearer({ dir: otherDir });

      const outcome = handler(event);

      await expect(outcome).rejects.toThrow(new Error('Unauthorized'));
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });

  it('logs the denial reason without the token', async () => {
    const expired = await token({ expiresIn: '-1h' });
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

    await handler(requestEvent({ Authorization: `Bearer ${expired}` })).catch(() => undefined);

    expect(warn.mock.calls).toEqual([['authorization denied', { reason: 'ERR_JWT_EXPIRED', claim: 'exp' }]]);
  });

  it('fails with an error other than Unauthorized (a 500) when the key set is unreachable', async () => {
    const gone = await startJwksServer({ port: 0, dir });
    await gone.close();
    process.env.AUTH_JWKS_URL = gone.jwksUrl;
    const event = await bearer();

    const outcome = handler(event);

    await expect(outcome).rejects.not.toThrow('Unauthorized');
  });

  it('fails naming the variable when the configuration is incomplete', async () => {
    delete process.env.AUTH_ISSUER;
    const event = await bearer();

    const outcome = handler(event);

    await expect(outcome).rejects.toThrow('AUTH_ISSUER');
  });
});
