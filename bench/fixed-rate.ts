// POST /api/attendance at a fixed rate, open loop: request i is due at start + i / rate whether or not earlier
// ones have answered, and its latency is measured from that due time (so a stall counts against every request
// it delays: no coordinated omission). autocannon's overallRate is not used here because it sends each
// second's quota in one burst at the start of the second, and its histogram has 1 ms resolution.

import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_SOCKETS = 64;

export interface FixedRateResult {
  requests: number;
  /** Count per HTTP status; 0 stands for a transport error or timeout. */
  statuses: Record<number, number>;
  /** Latency of each 2xx answer, ms. */
  latenciesMs: number[];
}

/** Request i comes from user `${ownerPrefix}${i}`: every request is a user of its own, so every answer is a 201. */
export async function postAtFixedRate(options: {
  baseUrl: string;
  rate: number;
  seconds: number;
  ownerPrefix: string;
}): Promise<FixedRateResult> {
  const url = new URL('/api/attendance', options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const result: FixedRateResult = { requests: Math.round(options.rate * options.seconds), statuses: {}, latenciesMs: [] };
  await atFixedRate(options, async (i, dueAt) => {
    const status = await post(url, agent, `${options.ownerPrefix}${i}`);
    result.statuses[status] = (result.statuses[status] ?? 0) + 1;
    if (status >= 200 && status < 300) result.latenciesMs.push(performance.now() - dueAt);
  });
  agent.destroy();
  return result;
}

/**
 * Calls `fire(i, dueAt)` for i = 0 … rate × seconds - 1, each at its due time `start + i / rate` whether or not
 * earlier calls have settled (open loop), and settles once every call has.
 */
export async function atFixedRate(
  load: { rate: number; seconds: number },
  fire: (i: number, dueAt: number) => Promise<void>,
): Promise<void> {
  const total = Math.round(load.rate * load.seconds);
  const inFlight: Promise<void>[] = [];
  const startedAt = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - startedAt) * load.rate) / 1000) + 1);
    for (; sent < due; sent++) inFlight.push(fire(sent, startedAt + (sent * 1000) / load.rate));
    await sleep(1);
  }
  await Promise.all(inFlight);
}

function post(url: URL, agent: Agent, ownerId: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'x-owner-id': ownerId, 'content-length': '0' }, timeout: REQUEST_TIMEOUT_MS },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', () => resolve(0));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
