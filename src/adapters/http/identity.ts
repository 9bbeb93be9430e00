// Who is calling. In gateway mode the API gateway has verified the user's JWT and put the user id in
// X-Owner-Id; this service only checks that the value is safe to store.

import type { FastifyRequest } from 'fastify';
import { type OwnerId, parseOwnerId } from '../../domain/owner-id.ts';

export const OWNER_HEADER = 'x-owner-id';

export type IdentityOutcome =
  | { ok: true; ownerId: OwnerId }
  | { ok: false; kind: 'unauthenticated' | 'identityMismatch'; detail: string; challenge: string };

export type IdentityResolver = (request: FastifyRequest) => Promise<IdentityOutcome>;

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  // A repeated header is ambiguous about who is calling: refuse rather than pick one.
  return Array.isArray(value) ? '\u0000repeated' : value;
}

export function ownerFromHeader(request: FastifyRequest): { ok: true; ownerId: OwnerId } | { ok: false; detail: string } {
  const check = parseOwnerId(headerValue(request, OWNER_HEADER));
  return check.ok ? { ok: true, ownerId: check.value } : { ok: false, detail: `The X-Owner-Id header ${check.reason}.` };
}

export function gatewayIdentity(): IdentityResolver {
  return async (request) => {
    const owner = ownerFromHeader(request);
    if (owner.ok) return owner;
    return { ok: false, kind: 'unauthenticated', detail: owner.detail, challenge: 'X-Owner-Id realm="grewmeet"' };
  };
}
