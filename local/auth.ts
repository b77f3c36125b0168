/**
 * The local identity provider: one ES256 key pair kept in `.local/auth` (gitignored), a JWKS
 * endpoint on 127.0.0.1 that the authorizer reads exactly as it reads a real provider's, and a
 * signer for developer tokens. Local runs then differ from AWS only by AUTH_* settings: one code
 * path. Never imported by functions/ or shared/.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from 'jose';
import { optionalEnv } from '../shared/config';
import { DEFAULT_ADMIN_CLAIM, DEFAULT_TEAMS_CLAIM } from '../shared/http/auth';
import { TEAM_NAME_PATTERN } from '../shared/http/identity';

export const LOCAL_PORT = 3010;
export const LOCAL_ISSUER = `http://127.0.0.1:${LOCAL_PORT}`;
export const LOCAL_AUDIENCE = 'berth';
export const LOCAL_KEY_DIR = '.local/auth';
const ALGORITHM = 'ES256';
const PRIVATE_FILE = 'private.jwk.json';
const PUBLIC_FILE = 'public.jwk.json';

export interface LocalKeys {
  privateJwk: JWK;
  /** What the JWKS endpoint publishes: public members, `kid`, `alg`, `use`. */
  publicJwk: JWK;
}

/**
 * Loads the local key pair, generating it on first use. The private file is created exclusively
 * (`wx`), so two processes starting together end up sharing whichever key was written first.
 */
export async function ensureLocalKeys(dir = LOCAL_KEY_DIR): Promise<LocalKeys> {
  const privatePath = join(dir, PRIVATE_FILE);
  let privateJwk = await readJwk(privatePath);
  if (privateJwk === undefined) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    try {
      await writeFile(privatePath, `${JSON.stringify(await newPrivateJwk(), null, 2)}\n`, {
        flag: 'wx',
        mode: 0o600,
      });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
    privateJwk = await readJwk(privatePath);
    if (privateJwk === undefined) throw new Error(`Local signing key ${privatePath} vanished after creation`);
  }
  const publicJwk = publicPart(privateJwk);
  // Derived from the private key each time, so the two files can never disagree.
  await writeFile(join(dir, PUBLIC_FILE), `${JSON.stringify(publicJwk, null, 2)}\n`);
  return { privateJwk, publicJwk };
}

async function readJwk(path: string): Promise<JWK | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as JWK;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** Node's errno code. Duck-typed: errors from node:fs fail `instanceof Error` inside jest's sandbox. */
function errorCode(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(publicPart(jwk)), alg: ALGORITHM, use: 'sig' };
}

/** The JWK without its private members (`d` for EC; `d`, `p`, `q`… for RSA). */
function publicPart(jwk: JWK): JWK {
  const { kty, crv, x, y, n, e, kid, alg, use } = jwk;
  return Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e, kid, alg, use }).filter(([, value]) => value !== undefined),
  );
}

export interface JwksServerOptions {
  /** Default 3010; 0 picks a free port (tests, so suites can run side by side). */
  port?: number;
  /** Where the local key pair lives; default `.local/auth`. */
  dir?: string;
  /** Public keys to publish instead of the local key pair (tests bring their own). */
  keys?: JWK[];
  /** The issuer announced by the discovery document; default `http://127.0.0.1:<port>`. */
  issuer?: string;
}

export interface JwksServer {
  url: string;
  jwksUrl: string;
  issuer: string;
  close(): Promise<void>;
}

/** Serves `/.well-known/jwks.json` and `/.well-known/openid-configuration` on 127.0.0.1. */
export async function startJwksServer(options: JwksServerOptions = {}): Promise<JwksServer> {
  const keys = options.keys ?? [(await ensureLocalKeys(options.dir)).publicJwk];
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? LOCAL_PORT, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const issuer = options.issuer ?? url;
  const jwksUrl = `${url}/.well-known/jwks.json`;

  server.on('request', (request, response) => {
    const path = new URL(request.url ?? '/', url).pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendJson(response, 405, { error: 'method not allowed' });
    }
    if (path === '/.well-known/jwks.json') return sendJson(response, 200, { keys });
    if (path === '/.well-known/openid-configuration') {
      return sendJson(response, 200, {
        issuer,
        jwks_uri: jwksUrl,
        id_token_signing_alg_values_supported: [ALGORITHM],
      });
    }
    return sendJson(response, 404, { error: 'not found' });
  });

  return {
    url,
    jwksUrl,
    issuer,
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Keep-alive connections from fetch would otherwise hold close() open for seconds.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

export interface LocalTokenOptions {
  /** `sub`; default `local-developer`. */
  subject?: string;
  teams: string[];
  admin?: boolean;
  /** A jose time span (`8h`, `30m`, `-1h` for an expired token); default `8h`. */
  expiresIn?: string;
  /** Default AUTH_ISSUER, else LOCAL_ISSUER. */
  issuer?: string;
  /** Default AUTH_AUDIENCE, else LOCAL_AUDIENCE. */
  audience?: string;
  /** Where the local key pair lives; default `.local/auth`. */
  dir?: string;
}

/**
 * Signs a developer token with the local key. Claim names follow AUTH_TEAMS_CLAIM and
 * AUTH_ADMIN_CLAIM as the authorizer does, so a token always means what it says locally.
 */
export async function signLocalToken(options: LocalTokenOptions): Promise<string> {
  // The authorizer silently drops invalid team names; failing here saves a confusing 404 later.
  const invalid = options.teams.filter((team) => !TEAM_NAME_PATTERN.test(team));
  if (invalid.length > 0) {
    throw new Error(`Invalid team name(s) ${invalid.join(', ')}: expected ${TEAM_NAME_PATTERN}`);
  }
  const { privateJwk } = await ensureLocalKeys(options.dir);
  const key = await importJWK(privateJwk, ALGORITHM);
  const claims = {
    [optionalEnv('AUTH_TEAMS_CLAIM', DEFAULT_TEAMS_CLAIM)]: options.teams,
    ...(options.admin === true ? { [optionalEnv('AUTH_ADMIN_CLAIM', DEFAULT_ADMIN_CLAIM)]: true } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM, kid: privateJwk.kid, typ: 'JWT' })
    .setSubject(options.subject ?? 'local-developer')
    .setIssuer(options.issuer ?? optionalEnv('AUTH_ISSUER', LOCAL_ISSUER))
    .setAudience(options.audience ?? optionalEnv('AUTH_AUDIENCE', LOCAL_AUDIENCE))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '8h')
    .sign(key);
}
