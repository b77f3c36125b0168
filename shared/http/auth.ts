/**
 * Verification of the OIDC access tokens callers present. Used by the authorizer only; handlers
 * read the result through `callerFromEvent` (identity.ts).
 */
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import { optionalEnv, requireEnv } from '../config';
import { type Caller, TEAM_NAME_PATTERN } from './identity';

export interface AuthConfig {
  /** Expected `iss`, exactly as the identity provider writes it (trailing slash included). */
  issuer: string;
  /** Expected `aud` (one of them, when the token lists several). */
  audience: string;
  /** Where the provider publishes its public signing keys. */
  jwksUrl: string;
  /** The claim listing the caller's teams. */
  teamsClaim: string;
  /** The claim that, when boolean `true`, makes the caller an admin. */
  adminClaim: string;
  /**
   * The `typ` header tokens must carry (e.g. `at+jwt`, RFC 9068 §2.1; compared as jose does, the
   * `application/` prefix and case ignored); unset accepts any. Setting it refuses ID tokens, which
   * carry the same `aud` as an access token at many providers but are not meant for APIs.
   */
  tokenType?: string;
  /** The clients (`azp`, or RFC 9068's `client_id`) whose tokens are accepted; unset accepts any. */
  authorizedParties?: readonly string[];
  /** Most teams one token may name: each team costs the handlers a query. */
  maxTeams: number;
}

export const DEFAULT_TEAMS_CLAIM = 'teams';
export const DEFAULT_ADMIN_CLAIM = 'berth_admin';
export const DEFAULT_MAX_TEAMS = 50;

/**
 * Asymmetric algorithms only. Allowing an HMAC algorithm would let anyone who has the provider's
 * *public* key sign tokens (the RS256→HS256 confusion attack); `none` would need no key at all.
 */
export const ALLOWED_ALGORITHMS: readonly string[] = ['RS256', 'ES256'];

/** Seconds of clock skew tolerated on `exp` and `nbf` between the provider and Lambda. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * Reads AUTH_ISSUER, AUTH_AUDIENCE, AUTH_JWKS_URL (required), AUTH_TEAMS_CLAIM, AUTH_ADMIN_CLAIM,
 * AUTH_TOKEN_TYPE, AUTH_AUTHORIZED_PARTIES (comma-separated) and AUTH_MAX_TEAMS.
 */
export function authConfigFromEnv(): AuthConfig {
  const tokenType = optionalEnv('AUTH_TOKEN_TYPE', '').trim();
  const parties = optionalEnv('AUTH_AUTHORIZED_PARTIES', '')
    .split(',')
    .map((party) => party.trim())
    .filter((party) => party !== '');
  const maxTeams = Number(optionalEnv('AUTH_MAX_TEAMS', String(DEFAULT_MAX_TEAMS)));
  if (!Number.isInteger(maxTeams) || maxTeams < 1) {
    throw new Error(`AUTH_MAX_TEAMS must be a positive integer, not ${process.env.AUTH_MAX_TEAMS}`);
  }
  return {
    issuer: requireEnv('AUTH_ISSUER'),
    audience: requireEnv('AUTH_AUDIENCE'),
    jwksUrl: requireEnv('AUTH_JWKS_URL'),
    teamsClaim: optionalEnv('AUTH_TEAMS_CLAIM', DEFAULT_TEAMS_CLAIM),
    adminClaim: optionalEnv('AUTH_ADMIN_CLAIM', DEFAULT_ADMIN_CLAIM),
    ...(tokenType ? { tokenType } : {}),
    ...(parties.length > 0 ? { authorizedParties: parties } : {}),
    maxTeams,
  };
}

/**
 * The token is not acceptable: the caller's fault, answered with 401. `reason` is the jose error
 * code (ERR_JWT_EXPIRED…) and `claim` the claim that failed, when there is one. Neither contains
 * the token, so both are safe to log.
 */
export class TokenRejectedError extends Error {
  constructor(
    readonly reason: string,
    readonly claim?: string,
  ) {
    super(claim === undefined ? `Token rejected: ${reason}` : `Token rejected: ${reason} (${claim})`);
    this.name = 'TokenRejectedError';
  }
}

/**
 * jose errors that say something about the token itself. Anything else (JWKS unreachable, timed out
 * or malformed: ERR_JWKS_TIMEOUT, ERR_JWKS_INVALID, ERR_JOSE_GENERIC, a fetch TypeError) is an
 * outage on our side and must not be reported to the caller as a bad token.
 */
const TOKEN_FAULTS = new Set<string>([
  errors.JWTExpired.code,
  errors.JWTClaimValidationFailed.code,
  errors.JWTInvalid.code,
  errors.JWSInvalid.code,
  errors.JWSSignatureVerificationFailed.code,
  errors.JOSEAlgNotAllowed.code,
  errors.JOSENotSupported.code,
  errors.JWKSNoMatchingKey.code,
  errors.JWKSMultipleMatchingKeys.code,
]);

/**
 * One key set per URL for the life of the Lambda container, so warm invocations verify without a
 * network call. jose refetches after 10 minutes, or on an unknown `kid` at most every 30 seconds,
 * which picks up the provider's key rotation.
 */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(jwksUrl: string): ReturnType<typeof createRemoteJWKSet> {
  let keySet = keySets.get(jwksUrl);
  if (keySet === undefined) {
    keySet = createRemoteJWKSet(new URL(jwksUrl));
    keySets.set(jwksUrl, keySet);
  }
  return keySet;
}

/**
 * Verifies signature, algorithm, issuer, audience, `exp` (required) and `nbf`, and returns the
 * caller. Throws `TokenRejectedError` for a bad token; other errors mean the key set is unavailable.
 */
export async function verifyToken(token: string, config: AuthConfig): Promise<Caller> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keySetFor(config.jwksUrl), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: [...ALLOWED_ALGORITHMS],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      // A token without `exp` would never expire; one without `sub` names nobody.
      requiredClaims: ['sub', 'exp'],
      ...(config.tokenType ? { typ: config.tokenType } : {}),
    }));
  } catch (error) {
    if (error instanceof errors.JOSEError && TOKEN_FAULTS.has(error.code)) {
      const claim =
        error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired
          ? error.claim
          : undefined;
      throw new TokenRejectedError(error.code, claim);
    }
    throw error;
  }
  const subject = payload.sub;
  if (typeof subject !== 'string' || subject === '') {
    throw new TokenRejectedError(errors.JWTClaimValidationFailed.code, 'sub');
  }
  if (config.authorizedParties) {
    const party = payload.azp ?? payload.client_id;
    if (typeof party !== 'string' || !config.authorizedParties.includes(party)) {
      throw new TokenRejectedError(errors.JWTClaimValidationFailed.code, 'azp');
    }
  }
  const teams = teamsFromClaim(payload[config.teamsClaim]);
  if (teams.length > config.maxTeams) {
    throw new TokenRejectedError('TOO_MANY_TEAMS', config.teamsClaim);
  }
  return { subject, teams, admin: payload[config.adminClaim] === true };
}

/**
 * Providers write group-like claims either as a JSON array or as one space- or comma-separated
 * string (the OAuth `scope` style). Names that are not valid team names are dropped, not fatal: a
 * provider often mixes other groups into the same claim.
 */
function teamsFromClaim(claim: unknown): string[] {
  const candidates = Array.isArray(claim) ? claim : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  const teams = candidates.filter(
    (team): team is string => typeof team === 'string' && TEAM_NAME_PATTERN.test(team),
  );
  return [...new Set(teams)];
}
