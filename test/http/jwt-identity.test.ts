// AUTH_MODE=jwt as the HTTP API answers it, with the store in memory: tokens signed here with real keys (HS256
// secret, RS256 and ES256 key pairs in a JWKS file or behind a JWKS URL of the test's own), verified by the
// service's own verifier. That the running service is wired to it is in test/integration/jwt-identity.test.ts.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, exportSPKI, type JWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/service.ts';
import { type HttpApiUnderTest, startHttpApi } from '../../testkit/http-api-under-test.ts';
import { expectProblem, readJson } from '../../testkit/http-assertions.ts';
import { uniqueSuffix } from '../../testkit/service-environment.ts';
import {
  AUDIENCE,
  bearer,
  claims,
  ISSUER,
  type KeyPair,
  keyPair,
  newUser,
  nowSeconds,
  publicKeyOf,
  signHs256,
  signWith,
  unsignedToken,
} from '../../testkit/tokens.ts';

const BARE_CHALLENGE = 'Bearer realm="grewmeet"';

function post(api: HttpApiUnderTest, headers: Record<string, string>, body: unknown = {}) {
  return api.fetch('/api/attendance', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

async function expectInvalidToken(response: Response, description: string) {
  await expectProblem(response, 401, 'unauthenticated');
  expect(response.headers.get('www-authenticate')).toBe(
    `Bearer realm="grewmeet", error="invalid_token", error_description="${description}"`,
  );
}

let dir: string;
let secret: Uint8Array;
let rsa: KeyPair;
let ec: KeyPair;
let api: HttpApiUnderTest;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recording-jwt-'));
  rsa = await keyPair('RS256', 'rsa-1');
  ec = await keyPair('ES256', 'ec-1');
  await writeFile(join(dir, 'jwks.json'), JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }));
  // Standard Base64: the service decodes it (peer-contract.md), so tokens are signed with the decoded bytes.
  const secretText = randomBytes(32).toString('base64');
  secret = new Uint8Array(Buffer.from(secretText, 'base64'));
  const env = {
    AUTH_MODE: 'jwt',
    JWT_SECRET: secretText,
    JWT_JWKS_FILE: join(dir, 'jwks.json'),
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  };
  const logger = createLogger({ logLevel: 'trace' }, { write: (line: string) => void logLines.push(line) });
  api = await startHttpApi({ env, logger });
});

afterAll(async () => {
  await api?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('AUTH_MODE=jwt with a shared secret and a JWKS file', () => {
  it('records the attendance for the sub of a valid HS256 token', async () => {
    const user = newUser();
    const response = await post(api, bearer(await signHs256(secret, claims({ sub: user }))));
    expect(response.status).toBe(201);
    expect((await readJson(response)).userId).toBe(user);
  });

  it.each([
    ['RS256', () => rsa],
    ['ES256', () => ec],
  ])('records the attendance for a valid %s token whose key is in the JWKS file', async (_, pair) => {
    const user = newUser();
    const response = await post(api, bearer(await signWith(pair(), claims({ sub: user }))));
    expect(response.status).toBe(201);
    expect((await readJson(response)).userId).toBe(user);
  });

  it('accepts an X-Owner-Id that names the same user as the token', async () => {
    const user = newUser();
    const response = await post(api, { ...bearer(await signHs256(secret, claims({ sub: user }))), 'x-owner-id': user });
    expect(response.status).toBe(201);
  });

  it('accepts a token that expired less than the clock tolerance ago', async () => {
    const token = await signHs256(secret, claims({ iat: nowSeconds() - 600, exp: nowSeconds() - 5 }));
    expect((await post(api, bearer(token))).status).toBe(201);
  });

  it('answers 401 with a bare Bearer challenge when there is no token', async () => {
    const response = await post(api, {});
    await expectProblem(response, 401, 'unauthenticated');
    expect(response.headers.get('www-authenticate')).toBe(BARE_CHALLENGE);
  });

  it('answers 401 to a bare X-Owner-Id: in jwt mode only a token says who is calling', async () => {
    const response = await post(api, { 'x-owner-id': newUser() });
    const problem = await expectProblem(response, 401, 'unauthenticated');
    expect(response.headers.get('www-authenticate')).toBe(BARE_CHALLENGE);
    expect(problem.detail).toContain('X-Owner-Id');
  });

  it('answers 401 with a bare Bearer challenge to credentials of another scheme', async () => {
    const response = await post(api, { authorization: `Basic ${Buffer.from('user:password').toString('base64')}` });
    await expectProblem(response, 401, 'unauthenticated');
    expect(response.headers.get('www-authenticate')).toBe(BARE_CHALLENGE);
  });

  const otherKey = () => new Uint8Array(randomBytes(32));
  it.each<[string, () => Promise<string> | string, string]>([
    [
      'an expired token',
      () => signHs256(secret, claims({ iat: nowSeconds() - 7200, exp: nowSeconds() - 120 })),
      'the token has expired',
    ],
    ['a token that is not valid yet', () => signHs256(secret, claims({ nbf: nowSeconds() + 600 })), 'the token is not valid yet'],
    ['a token signed with another secret', () => signHs256(otherKey(), claims()), 'the token signature is invalid'],
    [
      'a token whose payload was changed after signing',
      async () => {
        const [header, , signature] = (await signHs256(secret, claims())).split('.');
        return `${header}.${base64url.encode(JSON.stringify(claims({ sub: 'someone_else' })))}.${signature}`;
      },
      'the token signature is invalid',
    ],
    ['an unsigned token (alg none)', () => unsignedToken(claims()), 'the token is signed with an algorithm that is not accepted'],
    [
      'an HS256 token signed with the RSA public key (algorithm confusion)',
      async () => signHs256(new TextEncoder().encode(await exportSPKI(await publicKeyOf(rsa))), claims(), { kid: rsa.kid }),
      'the token signature is invalid',
    ],
    [
      'an HS384 token',
      () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS384' }).sign(new Uint8Array(randomBytes(48))),
      'the token is signed with an algorithm that is not accepted',
    ],
    [
      'an RS256 token whose kid is not in the key set',
      async () => signWith(await keyPair('RS256', 'rsa-unknown'), claims()),
      'no trusted key matches the token',
    ],
    [
      'an RS256 token signed by another key under a trusted kid',
      async () => signWith(await keyPair('RS256', rsa.kid), claims()),
      'the token signature is invalid',
    ],
    [
      'a token from another issuer',
      () => signHs256(secret, claims({ iss: 'https://evil.test' })),
      'the token issuer is not accepted',
    ],
    ['a token without an issuer', () => signHs256(secret, claims({ iss: undefined })), 'the token issuer is not accepted'],
    ['a token for another audience', () => signHs256(secret, claims({ aud: 'billing' })), 'the token audience is not accepted'],
    ['a token without an expiry', () => signHs256(secret, claims({ exp: undefined })), 'the token has no exp claim'],
    ['a token without sub', () => signHs256(secret, claims({ sub: undefined })), 'the sub claim is missing'],
    ['a token whose sub is a number', () => signHs256(secret, claims({ sub: 42 })), 'the sub claim is not a string'],
    [
      'a token whose sub is over 64 characters',
      () => signHs256(secret, claims({ sub: 'u'.repeat(65) })),
      'the sub claim is longer than 64 characters',
    ],
    [
      'a token whose sub holds control characters',
      () => signHs256(secret, claims({ sub: 'user\u0000admin' })),
      'the sub claim contains control characters',
    ],
    ['a token that is not a JWT', () => 'not-a-jwt', 'the token is malformed'],
    ['an Authorization header with two tokens', () => 'abc def', 'the Authorization header does not hold a bearer token'],
  ])('answers 401 invalid_token to %s', async (_, token, description) => {
    await expectInvalidToken(await post(api, bearer(await token())), description);
  });

  it('keeps tokens and secrets out of the logs, and logs each accepted write with its user and request id', async () => {
    const user = newUser();
    const token = await signHs256(secret, claims({ sub: user }));
    const accepted = await post(api, { ...bearer(token), 'x-request-id': `log-check-${uniqueSuffix()}` });
    expect(accepted.status).toBe(201);
    const refusedTokens = [
      await signHs256(secret, claims({ exp: nowSeconds() - 3600 })),
      await signHs256(otherKey(), claims()),
      unsignedToken(claims()),
    ];
    for (const refused of refusedTokens) expect((await post(api, bearer(refused))).status).toBe(401);
    // Some clients put the token in the query string (the standard allows an access_token parameter); this service
    // ignores it there, but the URL is logged, so the token must not reach the log.
    await api.fetch(`/api/attendance?access_token=${token}`, { method: 'POST', headers: bearer(token) });

    const logs = logLines.join('');
    for (const secretText of [token, ...refusedTokens, Buffer.from(secret).toString('base64')]) {
      // The signature part alone is enough to find a leaked token.
      const signature = secretText.split('.').at(-1) || secretText;
      expect(logs).not.toContain(signature);
    }
    expect(logs).not.toContain(token.split('.')[1]);
    const written = logLines
      .map((line) => JSON.parse(line))
      .find((entry) => entry.msg === 'request' && entry.status === 201 && entry.userId === user);
    expect(written).toMatchObject({ userId: user, requestId: accepted.headers.get('x-request-id') });
  });
});

describe("auth-service's tokens (peer-contract.md)", () => {
  // auth-service's default-looking secret: not valid Base64 (it has '-'), so its UTF-8 bytes are the HS256 key.
  const AUTH_SERVICE_SECRET = 'grewmeet-auth-service-jwt-secret-key-2025-change-me';
  let authApi: HttpApiUnderTest;

  beforeAll(async () => {
    authApi = await startHttpApi({
      env: { AUTH_MODE: 'jwt', JWT_SECRET: AUTH_SERVICE_SECRET, JWT_ISSUER: 'auth-service', JWT_IDENTITY_CLAIM: 'userId' },
    });
  });

  afterAll(async () => {
    await authApi?.close();
  });

  /** As jjwt signs them in auth-service: HS256, iss auth-service, email in sub, user id in userId, 1 h. */
  function authServiceToken(key: Uint8Array, userId: string, overrides: Record<string, unknown> = {}) {
    const iat = nowSeconds();
    return new SignJWT({
      sub: 'jiwoo@example.com',
      userId,
      role: 'USER',
      iss: 'auth-service',
      iat,
      exp: iat + 3600,
      ...overrides,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key);
  }

  it('records the attendance for the userId claim, not the email in sub', async () => {
    const user = `user_${Date.now()}_${String(randomBytes(6).readUIntBE(0, 6) % 1e12).padStart(12, '0')}`;
    const token = await authServiceToken(new TextEncoder().encode(AUTH_SERVICE_SECRET), user);
    const response = await post(authApi, bearer(token));
    expect(response.status).toBe(201);
    expect((await readJson(response)).userId).toBe(user);
  });

  it('refuses a token signed with the secret read as Base64 instead of its raw bytes', async () => {
    const token = await authServiceToken(new Uint8Array(Buffer.from(AUTH_SERVICE_SECRET, 'base64')), newUser());
    await expectInvalidToken(await post(authApi, bearer(token)), 'the token signature is invalid');
  });

  it('refuses a token without the userId claim', async () => {
    const token = await authServiceToken(new TextEncoder().encode(AUTH_SERVICE_SECRET), newUser(), { userId: undefined });
    await expectInvalidToken(await post(authApi, bearer(token)), 'the userId claim is missing');
  });

  it('refuses a token of another issuer', async () => {
    const token = await authServiceToken(new TextEncoder().encode(AUTH_SERVICE_SECRET), newUser(), { iss: 'someone-else' });
    await expectInvalidToken(await post(authApi, bearer(token)), 'the token issuer is not accepted');
  });
});

/** A JWKS endpoint of the test's own, which can rotate keys, fail, or never answer. */
class KeyServer {
  keys: JWK[] = [];
  mode: 'serve' | 'fail' | 'hang' = 'serve';
  fetches = 0;
  readonly #server: Server = createServer((_request, response) => {
    this.fetches++;
    if (this.mode === 'hang') return;
    if (this.mode === 'fail') {
      response.writeHead(500).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.keys }));
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/.well-known/jwks.json`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

describe('AUTH_MODE=jwt with a JWKS URL', () => {
  const keyServer = new KeyServer();
  let urlApi: HttpApiUnderTest;
  let first: KeyPair;

  beforeAll(async () => {
    first = await keyPair('RS256', 'url-rsa-1');
    keyServer.keys = [first.publicJwk];
    const url = await keyServer.start();
    // Cooldown 0: a token with an unknown kid refetches at once, so that rotation is visible without waiting.
    urlApi = await startHttpApi({ env: { AUTH_MODE: 'jwt', JWT_JWKS_URL: url, JWT_JWKS_COOLDOWN_SECONDS: '0' } });
  });

  afterAll(async () => {
    await urlApi?.close();
    await keyServer.stop();
  });

  const validClaims = () => ({ sub: newUser(), exp: nowSeconds() + 600 });

  it('fetches the key set once and verifies later tokens from its cache', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await post(urlApi, bearer(await signWith(first, validClaims())))).status).toBe(201);
    }
    expect(keyServer.fetches).toBe(1);
  });

  it('fetches the key set again when a token names an unknown kid (key rotation)', async () => {
    const rotated = await keyPair('ES256', 'url-ec-2');
    keyServer.keys = [first.publicJwk, rotated.publicJwk];
    const before = keyServer.fetches;
    expect((await post(urlApi, bearer(await signWith(rotated, validClaims())))).status).toBe(201);
    expect(keyServer.fetches).toBe(before + 1);
  });

  it('refuses an HS256 token signed with the RSA public key: no shared secret is configured', async () => {
    const pem = await exportSPKI(await publicKeyOf(first));
    const token = await signHs256(new TextEncoder().encode(pem), validClaims(), { kid: first.kid });
    await expectInvalidToken(await post(urlApi, bearer(token)), 'the token is signed with an algorithm that is not accepted');
  });

  it('answers 503 with Retry-After when the key server fails, and keeps verifying known keys', async () => {
    keyServer.mode = 'fail';
    try {
      const unknown = await keyPair('RS256', 'url-rsa-3');
      const response = await post(urlApi, bearer(await signWith(unknown, validClaims())));
      await expectProblem(response, 503, 'service-unavailable');
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await post(urlApi, bearer(await signWith(first, validClaims())))).status).toBe(201);
    } finally {
      keyServer.mode = 'serve';
    }
  });

  it('answers 503 instead of hanging when the key server does not answer', async () => {
    keyServer.mode = 'hang';
    try {
      const unknown = await keyPair('RS256', 'url-rsa-4');
      await expectProblem(await post(urlApi, bearer(await signWith(unknown, validClaims()))), 503, 'service-unavailable');
    } finally {
      keyServer.mode = 'serve';
    }
  });
});
