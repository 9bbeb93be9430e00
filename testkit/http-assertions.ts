import { expect } from 'vitest';

/** A response body as JSON; tests assert its shape, so it is loosely typed on purpose. */
// biome-ignore lint/suspicious/noExplicitAny: the assertions that follow are the type check.
export async function readJson(response: Response): Promise<any> {
  return response.json();
}

/** Asserts an RFC 9457 problem answer of this service and returns its body. */
export async function expectProblem(response: Response, status: number, type: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  const problem = await readJson(response);
  expect(problem).toMatchObject({ type: `urn:grewmeet:problem:${type}`, status });
  expect(problem.title).toEqual(expect.any(String));
  expect(problem.detail).toEqual(expect.any(String));
  expect(problem.requestId).toEqual(response.headers.get('x-request-id'));
  return problem;
}

/** POST /api/attendance as a client sends it: X-Owner-Id when given, a JSON body when given (a string as is). */
export function attendancePost(owner: string | undefined, body?: unknown, headers: Record<string, string> = {}): RequestInit {
  const all: Record<string, string> = { ...headers };
  if (owner !== undefined) all['x-owner-id'] = owner;
  if (body === undefined) return { method: 'POST', headers: all };
  all['content-type'] ??= 'application/json';
  return { method: 'POST', headers: all, body: typeof body === 'string' ? body : JSON.stringify(body) };
}
