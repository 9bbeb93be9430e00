import { describe, expect, it } from 'vitest';
import { ConfigError, hmacKeyFromSecret, loadConfig } from '../../src/config.ts';

const text = (key: Uint8Array | undefined) => Buffer.from(key ?? []).toString('utf8');

describe('hmacKeyFromSecret (auth-service key derivation, peer-contract.md)', () => {
  it("takes the UTF-8 bytes of a secret that is not standard Base64, such as auth-service's default with '-'", () => {
    const secret = 'grewmeet-auth-service-jwt-secret-key-2025';
    expect(text(hmacKeyFromSecret(secret))).toBe(secret);
  });

  it('decodes a secret that is valid standard Base64', () => {
    const bytes = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
    expect(Buffer.from(hmacKeyFromSecret(bytes.toString('base64')))).toEqual(bytes);
  });

  it('does not read Base64url (- and _) as Base64', () => {
    const secret = 'ab-_ab-_ab-_ab-_ab-_ab-_ab-_ab-_';
    expect(text(hmacKeyFromSecret(secret))).toBe(secret);
  });
});

describe('the jwt part of the configuration', () => {
  const jwt = (env: Record<string, string>) => loadConfig({ AUTH_MODE: 'jwt', ...env }).auth;

  it('is gateway mode unless AUTH_MODE says jwt', () => {
    expect(loadConfig({}).auth).toEqual({ mode: 'gateway' });
  });

  it('defaults to the sub claim, 30 s of clock tolerance and a 30 s JWKS cooldown', () => {
    expect(jwt({ JWT_JWKS_URL: 'https://keys.example/jwks.json' })).toMatchObject({
      mode: 'jwt',
      identityClaim: 'sub',
      clockToleranceSeconds: 30,
      jwksCooldownSeconds: 30,
      issuer: undefined,
      audience: undefined,
    });
  });

  it("reads auth-service's setting: raw secret, issuer auth-service, identity in userId", () => {
    const secret = 'grewmeet-auth-service-jwt-secret-key-2025';
    const auth = jwt({ JWT_SECRET: secret, JWT_ISSUER: 'auth-service', JWT_IDENTITY_CLAIM: 'userId' });
    expect(auth).toMatchObject({ issuer: 'auth-service', identityClaim: 'userId' });
    expect(auth.mode === 'jwt' && text(auth.secret)).toBe(secret);
  });

  it.each([
    ['no key source', {}, /AUTH_MODE .*JWT_SECRET/],
    ['a secret of less than 256 bits', { JWT_SECRET: 'too-short-a-secret' }, /JWT_SECRET/],
    ['a JWKS URL that is not http(s)', { JWT_JWKS_URL: 'file:///etc/jwks.json' }, /JWT_JWKS_URL/],
    ['a clock tolerance over 5 minutes', { JWT_SECRET: 'x-'.repeat(20), JWT_CLOCK_TOLERANCE_SECONDS: '301' }, /JWT_CLOCK/],
  ])('stops with one line naming the variable for %s', (_, env, message) => {
    expect(() => jwt(env)).toThrow(ConfigError);
    expect(() => jwt(env)).toThrow(message);
  });
});
