// Who is calling, when the service verifies the user's JWT itself (AUTH_MODE=jwt): whoever reaches the port
// directly cannot claim a user id without a token signed by a key we trust.

import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { DependencyUnavailableError } from '../../app/dependency-unavailable.ts';
import { type AuthConfig, ConfigError } from '../../config.ts';
import { parseOwnerId } from '../../domain/owner-id.ts';
import { type IdentityOutcome, type IdentityResolver, OWNER_HEADER } from './identity.ts';

type JwtAuthConfig = Extract<AuthConfig, { mode: 'jwt' }>;

// Each key source admits only its own algorithms: a shared secret never verifies an RS256/ES256 token, and a
// public key never becomes an HMAC secret (the HS256-signed-with-the-public-key confusion). `none` is in
// neither list.
const SHARED_SECRET_ALGORITHMS = ['HS256'];
const PUBLIC_KEY_ALGORITHMS = ['RS256', 'ES256'];

/** The JWKS endpoint is called on the request path (first use, unknown kid): a slow one must not hang it. */
const JWKS_FETCH_TIMEOUT_MS = 2000;
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

const REALM = 'grewmeet';

export async function jwtIdentity(config: JwtAuthConfig): Promise<IdentityResolver> {
  const publicKeys = await publicKeySource(config);
  const algorithms = [
    ...(config.secret === undefined ? [] : SHARED_SECRET_ALGORITHMS),
    ...(publicKeys === undefined ? [] : PUBLIC_KEY_ALGORITHMS),
  ];
  const secret = config.secret;
  const keyFor: JWTVerifyGetKey = async (header, token) => {
    if (secret !== undefined && SHARED_SECRET_ALGORITHMS.includes(header.alg)) return secret;
    if (publicKeys !== undefined) return publicKeys(header, token);
    // Unreachable: `algorithms` admits only the algorithms of the configured sources.
    throw new errors.JOSEAlgNotAllowed('no key source for this algorithm');
  };
  const options: JWTVerifyOptions = {
    algorithms,
    clockTolerance: config.clockToleranceSeconds,
    // A token without an expiry would be valid forever.
    requiredClaims: ['exp'],
    ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    ...(config.audience === undefined ? {} : { audience: config.audience }),
  };

  return async (request) => {
    const presented = bearerToken(request.headers.authorization);
    if (presented.kind === 'absent') {
      const detail =
        request.headers[OWNER_HEADER] === undefined
          ? 'An Authorization: Bearer token is required.'
          : 'X-Owner-Id alone is not accepted here: send Authorization: Bearer <token>.';
      // A request that sent no bearer credentials at all gets a bare challenge: an error code would tell a client
      // that a token it never sent was wrong (the bearer-token standard says so too).
      return { ok: false, kind: 'unauthenticated', detail, challenge: `Bearer realm="${REALM}"` };
    }
    if (presented.kind === 'malformed') return invalidToken('the Authorization header does not hold a bearer token');

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(presented.token, keyFor, options));
    } catch (error) {
      const reason = refusalReason(error);
      if (reason === undefined) throw error;
      request.log.debug({ reason }, 'bearer token refused');
      return invalidToken(reason);
    }

    const claim = payload[config.identityClaim];
    const owner = parseOwnerId(typeof claim === 'string' ? claim : undefined);
    if (!owner.ok) {
      const problem = claim === undefined || typeof claim === 'string' ? owner.reason : 'is not a string';
      return invalidToken(`the ${config.identityClaim} claim ${problem}`);
    }
    const asserted = request.headers[OWNER_HEADER];
    if (asserted !== undefined && asserted !== owner.value) {
      return {
        ok: false,
        kind: 'identityMismatch',
        detail: 'The X-Owner-Id header names another user than the bearer token does.',
      };
    }
    return { ok: true, ownerId: owner.value };
  };
}

type PresentedToken = { kind: 'absent' } | { kind: 'malformed' } | { kind: 'token'; token: string };

// The scheme name is case-insensitive ("bearer" is as good as "Bearer"), and the credentials are one token of the
// characters a bearer token may hold, optionally padded with '='.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function bearerToken(authorization: string | undefined): PresentedToken {
  if (authorization === undefined || !/^Bearer(?: |$)/i.test(authorization)) return { kind: 'absent' };
  const match = BEARER.exec(authorization);
  return match?.[1] === undefined ? { kind: 'malformed' } : { kind: 'token', token: match[1] };
}

function invalidToken(reason: string): IdentityOutcome {
  // The description is a quoted-string of RFC 6750's restricted character set: no quote, no backslash.
  const description = reason.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?');
  return {
    ok: false,
    kind: 'unauthenticated',
    detail: `The bearer token is not accepted: ${reason}.`,
    challenge: `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
  };
}

/** Why a token is refused, in words safe to send back; undefined when the failure is not the token's fault. */
function refusalReason(error: unknown): string | undefined {
  if (error instanceof errors.JWTExpired) return 'the token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    if (error.claim === 'iss') return 'the token issuer is not accepted';
    if (error.claim === 'aud') return 'the token audience is not accepted';
    return error.reason === 'missing' ? `the token has no ${error.claim} claim` : `the token ${error.claim} claim is invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'the token is signed with an algorithm that is not accepted';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) return 'no trusted key matches the token';
  if (error instanceof errors.JWKSMultipleMatchingKeys) return 'several trusted keys match the token; it needs a kid';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'the token is malformed';
  return undefined;
}

/** The public keys from JWT_JWKS_FILE (read once, here) and/or JWT_JWKS_URL (fetched when needed). */
async function publicKeySource(config: JwtAuthConfig): Promise<JWTVerifyGetKey | undefined> {
  const fromFile = config.jwksFile === undefined ? undefined : createLocalJWKSet(await readKeySetFile(config.jwksFile));
  const fromUrl = config.jwksUrl === undefined ? undefined : remoteKeySet(config.jwksUrl, config.jwksCooldownSeconds);
  if (fromFile === undefined || fromUrl === undefined) return fromFile ?? fromUrl;
  return async (header, token) => {
    try {
      return await fromFile(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey) return fromUrl(header, token);
      throw error;
    }
  };
}

async function readKeySetFile(path: string): Promise<JSONWebKeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('JWT_JWKS_FILE', `cannot be read as JSON: ${(error as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError('JWT_JWKS_FILE', 'must hold a JSON Web Key Set: {"keys": [...]} with at least one key');
  }
  // A private key here means the signing key has been copied to a verifier: refuse rather than spread it.
  if (keys.some((key) => typeof key === 'object' && key !== null && 'd' in key)) {
    throw new ConfigError('JWT_JWKS_FILE', 'holds a private key; it must hold public keys only');
  }
  if (!keys.some((key: { kty?: unknown; crv?: unknown }) => key?.kty === 'RSA' || (key?.kty === 'EC' && key.crv === 'P-256'))) {
    throw new ConfigError('JWT_JWKS_FILE', `holds no RSA or P-256 EC key for ${PUBLIC_KEY_ALGORITHMS.join('/')}`);
  }
  return parsed as JSONWebKeySet;
}

function remoteKeySet(url: string, cooldownSeconds: number): JWTVerifyGetKey {
  // Cached for JWKS_CACHE_MAX_AGE_MS; a token with an unknown kid refetches, at most once per cooldown.
  const keySet = createRemoteJWKSet(new URL(url), {
    timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
    cooldownDuration: cooldownSeconds * 1000,
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
  });
  return async (header, token) => {
    try {
      return await keySet(header, token);
    } catch (error) {
      // The token's fault (no key for its kid/alg) is a 401; anything else is the endpoint failing us.
      if (refusalReason(error) !== undefined) throw error;
      throw new DependencyUnavailableError('JWKS endpoint', error);
    }
  };
}
