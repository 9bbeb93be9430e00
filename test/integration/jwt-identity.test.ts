// AUTH_MODE=jwt in the running service, configured from its environment as in production, with the real
// database behind it: a refused identity stores nothing, and a key source that cannot be used stops the start.
// What the HTTP API answers to each kind of token is in test/http/jwt-identity.test.ts.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { startService } from '../../src/service.ts';
import { expectProblem } from '../../testkit/http-assertions.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { type ServiceUnderTest, startTestService, testConfig } from '../../testkit/service-under-test.ts';
import { AUDIENCE, bearer, claims, ISSUER, newUser, signHs256 } from '../../testkit/tokens.ts';

let dir: string;
let secret: Uint8Array;
let sut: ServiceUnderTest;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'recording-jwt-'));
  const secretText = randomBytes(32).toString('base64');
  secret = new Uint8Array(Buffer.from(secretText, 'base64'));
  sut = await startTestService(
    testConfig({ AUTH_MODE: 'jwt', JWT_SECRET: secretText, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE }),
  );
});

afterAll(async () => {
  await sut?.stop();
  if (sut) await dropDatabase(sut.config.databaseUrl);
  if (dir) await rm(dir, { recursive: true, force: true });
});

function post(headers: Record<string, string>, body: unknown = {}) {
  return fetch(`${sut.baseUrl}/api/attendance`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('AUTH_MODE=jwt with a shared secret', () => {
  it('answers 403 when X-Owner-Id names another user than the token', async () => {
    const [tokenUser, headerUser] = [newUser(), newUser()];
    const token = await signHs256(secret, claims({ sub: tokenUser }));
    const response = await post({ ...bearer(token), 'x-owner-id': headerUser });
    await expectProblem(response, 403, 'identity-mismatch');
    const [rows] = await sut.sql.query('SELECT COUNT(*) AS n FROM attendance_records WHERE user_id IN (?, ?)', [
      tokenUser,
      headerUser,
    ]);
    expect((rows as { n: number }[])[0]?.n).toBe(0);
  });
});

describe('start-up in jwt mode', () => {
  it('refuses to start when JWT_JWKS_FILE cannot be read', async () => {
    const config = testConfig({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: join(dir, 'missing.json') });
    await expect(startService(config)).rejects.toThrow(ConfigError);
    await expect(startService(config)).rejects.toThrow(/JWT_JWKS_FILE/);
  });

  it('refuses to start when JWT_JWKS_FILE holds a private key', async () => {
    const path = join(dir, 'private.json');
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    await writeFile(path, JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid: 'leaked' }] }));
    await expect(startService(testConfig({ AUTH_MODE: 'jwt', JWT_JWKS_FILE: path }))).rejects.toThrow(/private key/);
  });
});
