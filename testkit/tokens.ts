// Bearer tokens as an identity provider would issue them, signed here with real keys (HS256 secrets, RS256 and
// ES256 key pairs), and the ones no provider should: unsigned, tampered, expired.

import { base64url, type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import { uniqueSuffix } from './service-environment.ts';

export const ISSUER = 'https://issuer.grewmeet.test';
export const AUDIENCE = 'recording-command';

export const newUser = () => `user_${Date.now()}_${uniqueSuffix()}`;
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface KeyPair {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** Claims of a valid token for ISSUER and AUDIENCE; an override of `undefined` leaves the claim out. */
export function claims(overrides: Record<string, unknown> = {}): JWTPayload {
  const all: Record<string, unknown> = { sub: newUser(), iss: ISSUER, aud: AUDIENCE, iat: nowSeconds(), exp: nowSeconds() + 600 };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete all[name];
    else all[name] = value;
  }
  return all as JWTPayload;
}

export function signHs256(key: Uint8Array, payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ ...header, alg: 'HS256' }).sign(key);
}

export function signWith(pair: KeyPair, payload: JWTPayload): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: pair.alg, kid: pair.kid, typ: 'JWT' }).sign(pair.privateKey);
}

/** What no library will produce: a token that says it needs no signature. */
export function unsignedToken(payload: JWTPayload): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
}

export async function publicKeyOf(pair: KeyPair): Promise<CryptoKey> {
  return (await importJWK(pair.publicJwk, pair.alg)) as CryptoKey;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
