import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  base64url,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { ensureLocalKeys, type JwksServer, signLocalToken, startJwksServer } from '../../local/auth';
import { MissingConfigError } from '../../shared/config';
import { type AuthConfig, authConfigFromEnv, TokenRejectedError, verifyToken } from '../../shared/http/auth';

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'berth';

interface SigningKey {
  privateKey: CryptoKey;
  alg: 'ES256' | 'RS256';
  kid: string;
}

let server: JwksServer;
let config: AuthConfig;
let trustedEs: SigningKey;
let trustedRs: SigningKey;
let rsPublicKey: CryptoKey;
let untrusted: SigningKey;

async function publicJwk(publicKey: CryptoKey, alg: string, kid: string): Promise<JWK> {
  return { ...(await exportJWK(publicKey)), alg, kid, use: 'sig' };
}

beforeAll(async () => {
  const es = await generateKeyPair('ES256');
  const rs = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('ES256');
  trustedEs = { privateKey: es.privateKey, alg: 'ES256', kid: 'es-1' };
  trustedRs = { privateKey: rs.privateKey, alg: 'RS256', kid: 'rs-1' };
  rsPublicKey = rs.publicKey;
  untrusted = { privateKey: other.privateKey, alg: 'ES256', kid: 'other-1' };
  server = await startJwksServer({
    port: 0,
    keys: [await publicJwk(es.publicKey, 'ES256', 'es-1'), await publicJwk(rs.publicKey, 'RS256', 'rs-1')],
  });
  config = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: server.jwksUrl,
    teamsClaim: 'teams',
    adminClaim: 'berth_admin',
    maxTeams: 50,
  };
});

afterAll(async () => {
  await server.close();
});

/** A token valid for `config`, with `claims` overriding or adding claims (undefined removes one). */
async function sign(claims: JWTPayload = {}, key: SigningKey = trustedEs): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'alice',
    iat: now,
    exp: now + 3600,
    teams: ['payments'],
    ...claims,
  };
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

async function rejection(token: string, overrides: Partial<AuthConfig> = {}): Promise<TokenRejectedError> {
  const error = await verifyToken(token, { ...config, ...overrides }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TokenRejectedError)) throw new Error(`expected TokenRejectedError, got ${error}`);
  return error;
}

describe('verifyToken', () => {
  it('returns the subject, teams and admin flag of a valid ES256 token', async () => {
    // Prepare
    const token = await sign({ sub: 'alice', teams: ['payments', 'search'], berth_admin: true });

    // Act
    const caller = await verifyToken(token, config);

    // Assess
    expect(caller).toEqual({ subject: 'alice', teams: ['payments', 'search'], admin: true });
  });

  it('accepts a valid RS256 token', async () => {
    const token = await sign({}, trustedRs);

    const caller = await verifyToken(token, config);

    expect(caller.subject).toBe('alice');
  });

  it('is not admin when the admin claim is absent', async () => {
    const token = await sign();

    const caller = await verifyToken(token, config);

    expect(caller.admin).toBe(false);
  });

  it('is not admin when the admin claim is the string "true" rather than boolean true', async () => {
    const token = await sign({ berth_admin: 'true' });

    const caller = await verifyToken(token, config);

    expect(caller.admin).toBe(false);
  });

  it('rejects an expired token', async () => {
    const token = await sign({ exp: Math.floor(Date.now() / 1000) - 120 });

    const error = await rejection(token);

    expect(error.reason).toBe('ERR_JWT_EXPIRED');
  });

  it('accepts a token expired by less than the 30 s clock tolerance', async () => {
    const token = await sign({ exp: Math.floor(Date.now() / 1000) - 10 });

    const caller = await verifyToken(token, config);

    expect(caller.subject).toBe('alice');
  });

  it('rejects a token that is not yet valid', async () => {
    const token = await sign({ nbf: Math.floor(Date.now() / 1000) + 120 });

    const error = await rejection(token);

    expect([error.reason, error.claim]).toEqual(['ERR_JWT_CLAIM_VALIDATION_FAILED', 'nbf']);
  });

  it('rejects a token from another issuer', async () => {
    const token = await sign({ iss: 'https://evil.example.test/' });

    const error = await rejection(token);

    expect([error.reason, error.claim]).toEqual(['ERR_JWT_CLAIM_VALIDATION_FAILED', 'iss']);
  });

  it('rejects a token for another audience', async () => {
    const token = await sign({ aud: 'another-api' });

    const error = await rejection(token);

    expect([error.reason, error.claim]).toEqual(['ERR_JWT_CLAIM_VALIDATION_FAILED', 'aud']);
  });

  it('rejects an unsigned token (alg none)', async () => {
    const valid = await sign();
    const [, payload] = valid.split('.');
    const token = `${encodeJson({ alg: 'none', typ: 'JWT' })}.${payload}.`;

    const error = await rejection(token);

    expect(error.reason).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('rejects an HS256 token keyed with the public key bytes (algorithm confusion)', async () => {
    const publicPem = new TextEncoder().encode(await exportSPKI(rsPublicKey));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'mallory', exp: now + 3600 })
      .setProtectedHeader({ alg: 'HS256', kid: 'rs-1' })
      .sign(publicPem);

    const error = await rejection(token);

    expect(error.reason).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('rejects a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await sign({ teams: ['payments'] })).split('.');
    const now = Math.floor(Date.now() / 1000);
    const forged = { iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now + 3600, berth_admin: true };
    const token = `${header}.${encodeJson(forged)}.${signature}`;

    const error = await rejection(token);

    expect(error.reason).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('rejects a token signed by another key under a trusted key id', async () => {
    const token = await sign({}, { ...untrusted, kid: 'es-1' });

    const error = await rejection(token);

    expect(error.reason).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('rejects a token signed by a key the key set does not publish', async () => {
    const token = await sign({}, untrusted);

    const error = await rejection(token);

    expect(error.reason).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('rejects a token without a subject', async () => {
    const token = await sign({ sub: undefined });

    const error = await rejection(token);

    expect([error.reason, error.claim]).toEqual(['ERR_JWT_CLAIM_VALIDATION_FAILED', 'sub']);
  });

  it('rejects a token with an empty subject', async () => {
    const token = await sign({ sub: '' });

    const error = await rejection(token);

    expect([error.reason, error.claim]).toEqual(['ERR_JWT_CLAIM_VALIDATION_FAILED', 'sub']);
  });

  it('rejects a token without an expiry', async () => {
    const token = await sign({ exp: undefined });

    const error = await rejection(token);

    expect([error.reason, error.claim]).toEqual(['ERR_JWT_CLAIM_VALIDATION_FAILED', 'exp']);
  });

  it('reads teams from a space-separated string claim', async () => {
    const token = await sign({ teams: 'payments search' });

    const caller = await verifyToken(token, config);

    expect(caller.teams).toEqual(['payments', 'search']);
  });

  it('reads teams from a comma-separated string claim', async () => {
    const token = await sign({ teams: 'payments, search,ledger' });

    const caller = await verifyToken(token, config);

    expect(caller.teams).toEqual(['payments', 'search', 'ledger']);
  });

  it('drops team names that are not valid team names', async () => {
    const token = await sign({
      teams: ['payments', 'Payments', 'a'.repeat(33), 'ops team', 'x,y', 42, 'search'],
    });

    const caller = await verifyToken(token, config);

    expect(caller.teams).toEqual(['payments', 'search']);
  });

  it('has no teams when the teams claim is absent', async () => {
    const token = await sign({ teams: undefined });

    const caller = await verifyToken(token, config);

    expect(caller.teams).toEqual([]);
  });

  it('reads teams and admin from the configured claim names', async () => {
    const token = await sign({ teams: undefined, groups: ['payments'], 'https://corp/admin': true });

    const caller = await verifyToken(token, {
      ...config,
      teamsClaim: 'groups',
      adminClaim: 'https://corp/admin',
    });

    expect(caller).toEqual({ subject: 'alice', teams: ['payments'], admin: true });
  });

  it('rejects, when a token type is required, a token of another type (an ID token)', async () => {
    // Prepare
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'alice',
      iat: now,
      exp: now + 3600,
      teams: ['payments'],
    };
    const typed = (typ: string) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: trustedEs.alg, kid: trustedEs.kid, typ })
        .sign(trustedEs.privateKey);
    const strict = { ...config, tokenType: 'at+jwt' };

    // Act
    const idToken = verifyToken(await typed('JWT'), strict);
    const accessToken = verifyToken(await typed('application/at+jwt'), strict);

    // Assess
    await expect(idToken).rejects.toMatchObject({ reason: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'typ' });
    await expect(accessToken).resolves.toMatchObject({ subject: 'alice' });
  });

  it('rejects, when authorized parties are set, a token issued to another client', async () => {
    // Prepare
    const strict = { ...config, authorizedParties: ['berth-cli', 'ticket-bot'] };

    // Act
    const foreign = verifyToken(await sign({ azp: 'some-other-app' }), strict);
    const missing = verifyToken(await sign(), strict);
    const ours = verifyToken(await sign({ azp: 'berth-cli' }), strict);
    const byClientId = verifyToken(await sign({ client_id: 'ticket-bot' }), strict);

    // Assess
    await expect(foreign).rejects.toMatchObject({ claim: 'azp' });
    await expect(missing).rejects.toMatchObject({ claim: 'azp' });
    await expect(ours).resolves.toMatchObject({ subject: 'alice' });
    await expect(byClientId).resolves.toMatchObject({ subject: 'alice' });
  });

  it('rejects a token naming more teams than the cap', async () => {
    // Prepare
    const teams = Array.from({ length: 4 }, (_, index) => `team-${index}`);

    // Act
    const over = verifyToken(await sign({ teams }), { ...config, maxTeams: 3 });
    const at = verifyToken(await sign({ teams }), { ...config, maxTeams: 4 });

    // Assess
    await expect(over).rejects.toMatchObject({ reason: 'TOO_MANY_TEAMS', claim: 'teams' });
    await expect(at).resolves.toMatchObject({ teams });
  });

  it('fails with an error other than a rejection when the key set cannot be fetched', async () => {
    const gone = await startJwksServer({ port: 0, keys: [] });
    await gone.close();
    const token = await sign();

    const outcome = verifyToken(token, { ...config, jwksUrl: gone.jwksUrl });

    await expect(outcome).rejects.not.toBeInstanceOf(TokenRejectedError);
  });
});

describe('authConfigFromEnv', () => {
  const saved = { ...process.env };

  afterEach(() => {
    process.env = { ...saved };
  });

  it('reads the settings and defaults the claim names', () => {
    process.env.AUTH_ISSUER = ISSUER;
    process.env.AUTH_AUDIENCE = AUDIENCE;
    process.env.AUTH_JWKS_URL = 'https://idp.example.test/jwks';
    delete process.env.AUTH_TEAMS_CLAIM;
    delete process.env.AUTH_ADMIN_CLAIM;

    const settings = authConfigFromEnv();

    expect(settings).toEqual({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: 'https://idp.example.test/jwks',
      teamsClaim: 'teams',
      adminClaim: 'berth_admin',
      maxTeams: 50,
    });
  });

  it('reads the optional token type, authorized parties and team cap', () => {
    // Prepare
    process.env.AUTH_ISSUER = ISSUER;
    process.env.AUTH_AUDIENCE = AUDIENCE;
    process.env.AUTH_JWKS_URL = 'https://idp.example.test/jwks';
    process.env.AUTH_TOKEN_TYPE = 'at+jwt';
    process.env.AUTH_AUTHORIZED_PARTIES = 'berth-cli, ticket-bot';
    process.env.AUTH_MAX_TEAMS = '7';

    // Act
    const settings = authConfigFromEnv();

    // Assess
    expect(settings).toMatchObject({
      tokenType: 'at+jwt',
      authorizedParties: ['berth-cli', 'ticket-bot'],
      maxTeams: 7,
    });
  });

  it('refuses a team cap that is not a positive integer', () => {
    // Prepare
    process.env.AUTH_ISSUER = ISSUER;
    process.env.AUTH_AUDIENCE = AUDIENCE;
    process.env.AUTH_JWKS_URL = 'https://idp.example.test/jwks';
    process.env.AUTH_MAX_TEAMS = '0';

    // Act
    const read = () => authConfigFromEnv();

    // Assess
    expect(read).toThrow(/AUTH_MAX_TEAMS/);
  });

  it('names the missing variable', () => {
    process.env.AUTH_ISSUER = ISSUER;
    process.env.AUTH_AUDIENCE = AUDIENCE;
    delete process.env.AUTH_JWKS_URL;

    const read = () => authConfigFromEnv();

    expect(read).toThrow(new MissingConfigError('AUTH_JWKS_URL'));
  });
});

describe('local identity', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-auth-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps the key pair it generated on first use', async () => {
    const first = await ensureLocalKeys(dir);

    const second = await ensureLocalKeys(dir);

    expect(second.publicJwk).toEqual(first.publicJwk);
  });

  it('stores no private key material in the public key file', async () => {
    await ensureLocalKeys(dir);

    const stored = JSON.parse(await readFile(join(dir, 'public.jwk.json'), 'utf8')) as Record<
      string,
      unknown
    >;

    expect(stored).not.toHaveProperty('d');
  });

  it('signs tokens the authorizer accepts through the local JWKS server', async () => {
    const local = await startJwksServer({ port: 0, dir });
    try {
      const token = await signLocalToken({
        teams: ['payments'],
        admin: true,
        subject: 'bob',
        issuer: local.issuer,
        dir,
      });

      const caller = await verifyToken(token, { ...config, issuer: local.issuer, jwksUrl: local.jwksUrl });

      expect(caller).toEqual({ subject: 'bob', teams: ['payments'], admin: true });
    } finally {
      await local.close();
    }
  });

  it('refuses to sign a token for an invalid team name', async () => {
    const signing = signLocalToken({ teams: ['Payments'], dir });

    await expect(signing).rejects.toThrow('Invalid team name');
  });
});
