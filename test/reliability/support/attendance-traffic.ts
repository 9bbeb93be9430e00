// Clients of POST /api/attendance that behave like a careful mobile app: one check-in per user, retried after
// a connection error or a 503 until it gets an answer that settles it (201, or 409 carrying the record that
// an earlier attempt created before its answer was lost). Every answer is checked on the way.

export interface AttendanceTrafficOptions {
  /** Base URL per attempt, so that a scenario can spread the load over instances or follow a restart. */
  target: (attempt: number) => string;
  concurrency: number;
  /** Upper bound of users (each one check-in); the traffic also ends on stop(). */
  maxUsers: number;
  prefix: string;
  /** An explicit time, so that a retry after midnight cannot become a second day's check-in. */
  attendanceTime?: string;
  /** An answer slower than this counts as a hang. */
  requestTimeoutMs?: number;
  /** A user still unsettled after this long counts as given up. */
  giveUpAfterMs?: number;
  /** Each client's pause between two users, to hold the load at a chosen rate. */
  pauseMs?: number;
}

export interface AttendanceStats {
  users: number;
  attempts: number;
  created: number;
  /** 409 after a failed attempt: the earlier attempt had committed but its answer never arrived. */
  lostResponses: number;
  unavailable: number;
  connectionErrors: number;
  hangs: number;
  slowestMs: number;
  slowestUnavailableMs: number;
  gaveUp: number;
  unexpected: string[];
}

export interface Settled {
  userId: string;
  id: number;
  /** The status that settled it: 201, or 409 after a lost answer. */
  status: 201 | 409;
  attempts: number;
}

const MAX_UNEXPECTED_KEPT = 20;

export class AttendanceTraffic {
  readonly settled = new Map<string, Settled>();
  readonly stats: AttendanceStats = {
    users: 0,
    attempts: 0,
    created: 0,
    lostResponses: 0,
    unavailable: 0,
    connectionErrors: 0,
    hangs: 0,
    slowestMs: 0,
    slowestUnavailableMs: 0,
    gaveUp: 0,
    unexpected: [],
  };
  readonly #options: Required<Omit<AttendanceTrafficOptions, 'attendanceTime'>> & { attendanceTime: string | undefined };
  #stopped = false;
  #workers: Promise<void>[] = [];
  /** Answers seen by the hook while a scenario watches a window (an outage). */
  onAnswer: ((answer: { status: number | 'error' | 'hang'; ms: number }) => void) | undefined;

  constructor(options: AttendanceTrafficOptions) {
    this.#options = {
      requestTimeoutMs: 10_000,
      giveUpAfterMs: 120_000,
      pauseMs: 0,
      attendanceTime: undefined,
      ...options,
    };
  }

  start(): this {
    for (let i = 0; i < this.#options.concurrency; i++) this.#workers.push(this.#work());
    return this;
  }

  /** Starts no new user; waits until every user in hand is settled or given up. */
  async stop(): Promise<AttendanceStats> {
    this.#stopped = true;
    await Promise.all(this.#workers);
    return this.stats;
  }

  #unexpected(text: string): void {
    if (this.stats.unexpected.length < MAX_UNEXPECTED_KEPT) this.stats.unexpected.push(text);
  }

  async #work(): Promise<void> {
    while (!this.#stopped && this.stats.users < this.#options.maxUsers) {
      const user = `${this.#options.prefix}${this.stats.users++}`;
      await this.#attend(user);
      if (this.#options.pauseMs > 0) await pause(this.#options.pauseMs);
    }
  }

  async #attend(user: string): Promise<void> {
    const { target, requestTimeoutMs, giveUpAfterMs, attendanceTime } = this.#options;
    const body = attendanceTime === undefined ? undefined : JSON.stringify({ attendanceTime });
    const giveUpAt = Date.now() + giveUpAfterMs;
    let failedBefore = false;
    for (let attempt = 1; Date.now() < giveUpAt; attempt++) {
      this.stats.attempts++;
      const startedAt = performance.now();
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${target(attempt)}/api/attendance`, {
          method: 'POST',
          headers: { 'x-owner-id': user, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body,
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        text = await response.text();
      } catch (error) {
        const ms = performance.now() - startedAt;
        const hang = (error as Error).name === 'TimeoutError';
        if (hang) this.stats.hangs++;
        else this.stats.connectionErrors++;
        this.onAnswer?.({ status: hang ? 'hang' : 'error', ms });
        failedBefore = true;
        await pause(100 + Math.random() * 200);
        continue;
      }
      const ms = performance.now() - startedAt;
      this.stats.slowestMs = Math.max(this.stats.slowestMs, ms);
      this.onAnswer?.({ status: response.status, ms });
      const contentType = response.headers.get('content-type') ?? '';
      if (response.status === 201) {
        const record = parse(text) as { id?: unknown; userId?: unknown } | undefined;
        if (typeof record?.id !== 'number' || record.userId !== user) {
          this.#unexpected(`201 for ${user} with body ${text.slice(0, 200)}`);
          return;
        }
        this.stats.created++;
        this.settled.set(user, { userId: user, id: record.id, status: 201, attempts: attempt });
        return;
      }
      if (response.status >= 400 && !contentType.startsWith('application/problem+json')) {
        this.#unexpected(`${response.status} as ${contentType} for ${user}: ${text.slice(0, 200)}`);
      }
      if (response.status === 503) {
        this.stats.unavailable++;
        this.stats.slowestUnavailableMs = Math.max(this.stats.slowestUnavailableMs, ms);
        if (response.headers.get('retry-after') === null) this.#unexpected(`503 without Retry-After for ${user}`);
        failedBefore = true;
        await pause(100 + Math.random() * 200);
        continue;
      }
      if (response.status === 409 && failedBefore) {
        const problem = parse(text) as { existing?: { id?: unknown } } | undefined;
        if (typeof problem?.existing?.id !== 'number') {
          this.#unexpected(`409 without the existing record for ${user}: ${text.slice(0, 200)}`);
          return;
        }
        this.stats.lostResponses++;
        this.settled.set(user, { userId: user, id: problem.existing.id, status: 409, attempts: attempt });
        return;
      }
      this.#unexpected(`${response.status} for ${user} (attempt ${attempt}): ${text.slice(0, 300)}`);
      return;
    }
    this.stats.gaveUp++;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
