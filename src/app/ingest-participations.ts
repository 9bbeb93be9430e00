// Use case: a fetched batch of "participation completed" messages becomes stored records, and the messages
// wrong in themselves become dead letters. The dead-letter topic is for messages that are wrong, never for
// messages that met a bad moment, so every failure of the store is classified before anything is decided:
// - refused: the store refuses the data itself. In a batch the culprit is unknown, so the batch is recorded
//   message by message, and only a message refused on its own is dead-lettered.
// - unavailable: the database is away, past its deadline, or contended (deadlocks, lock waits). Retried with
//   capped backoff for as long as it lasts; the batch is not done, so no offset moves past it.
// - unknown: anything else. Retried the same way, never dead-lettered, logged at error level and counted so that
//   someone looks: an error nobody classified must not cost a valid message.
// - fatal: the store cannot work as deployed (a missing table or column). Ingestion halts, loudly.

import type { ParticipationKind } from '../record-kinds/record-kind.ts';
import { type Backoff, retrying, Stopped, worthLogging } from './background-loop.ts';
import { DependencyUnavailableError } from './dependency-unavailable.ts';
import {
  type Participation,
  type ParticipationBatchOutcome,
  type ParticipationStore,
  recordParticipations,
} from './record-participations.ts';
import { RecordRefusedError, StoreMisconfiguredError } from './store-errors.ts';

/** A message as read and parsed by the inbound adapter; `source` is the adapter's own handle on it. */
export type ReceivedParticipation<S> =
  | { ok: true; kind: ParticipationKind; event: Participation; source: S }
  | { ok: false; reason: string; detail: string; source: S };

export interface DeadLetter<S> {
  source: S;
  /** A stable code (the parser's, or STORE_REFUSED). */
  reason: string;
  detail: string;
}

export interface DeadLetterSink<S> {
  /** Durably stores the letters, or fails (and is retried). */
  send(letters: readonly DeadLetter<S>[]): Promise<void>;
}

/** The reason of a message that the store refused on its own. */
export const STORE_REFUSED = 'processing-failed';

type StoreFailure = 'refused' | 'unavailable' | 'unknown' | 'fatal';

export interface IngestionObserver {
  /** One failed attempt to record a batch or one message of it. */
  storeFailed(failure: StoreFailure): void;
}

/** What the use case says about its work (pino's logger fits). */
interface IngestionLog {
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** The consumer was asked to stop while a batch waited for a retry: the batch is not done and must not be committed. */
export { Stopped as StopRequested };

/** The store cannot work as deployed: retrying would only spin, so ingestion stops and someone must act. */
export class IngestionHalted extends Error {
  constructor(cause: unknown) {
    super(`participation ingestion halted: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'IngestionHalted';
  }
}

interface IngestionDeps<S> {
  store: ParticipationStore;
  deadLetters: DeadLetterSink<S>;
  zone: string;
  now: () => number;
  /** Aborted when the consumer stops: a backoff ends at once and the batch is left undone. */
  signal: AbortSignal;
  log: IngestionLog;
  observer?: IngestionObserver;
  /** The waits between failed attempts; default STORE_BACKOFF. */
  backoff?: Backoff;
}

export interface IngestionOutcome<S> extends ParticipationBatchOutcome {
  /** Written to the dead-letter sink before this answers. */
  deadLettered: DeadLetter<S>[];
}

/** 200 ms, doubling to 5 s: a short outage costs little latency, a long one little load. */
const STORE_BACKOFF: Backoff = { firstMs: 200, maxMs: 5_000 };

function classifyStoreFailure(error: unknown): StoreFailure {
  if (error instanceof RecordRefusedError) return 'refused';
  if (error instanceof DependencyUnavailableError) return 'unavailable';
  if (error instanceof StoreMisconfiguredError) return 'fatal';
  return 'unknown';
}

/**
 * Records the batch, dead-letters what is wrong in itself, and answers only when both are durable: then, and
 * only then, may the caller commit past the batch. Throws StopRequested or IngestionHalted otherwise.
 */
export async function ingestParticipations<S>(
  deps: IngestionDeps<S>,
  batch: readonly ReceivedParticipation<S>[],
): Promise<IngestionOutcome<S>> {
  const letters: DeadLetter<S>[] = [];
  const valid: Exclude<ReceivedParticipation<S>, { ok: false }>[] = [];
  for (const message of batch) {
    if (message.ok) valid.push(message);
    else letters.push({ source: message.source, reason: message.reason, detail: message.detail });
  }

  let outcome: ParticipationBatchOutcome;
  try {
    outcome = await recordRetrying(deps, 'record participations', valid);
  } catch (error) {
    if (!(error instanceof RecordRefusedError)) throw error;
    // Something in the batch is refused for what it is: find it one message at a time, so that one bad message
    // neither stalls the partition nor takes the good ones with it.
    deps.log.error({ err: error, messages: valid.length }, 'batch refused by the store; recording message by message');
    outcome = { recorded: new Map(), duplicates: 0 };
    for (const message of valid) {
      try {
        const single = await recordRetrying(deps, 'record one participation', [message]);
        for (const [kind, count] of single.recorded) outcome.recorded.set(kind, (outcome.recorded.get(kind) ?? 0) + count);
        outcome.duplicates += single.duplicates;
      } catch (singleError) {
        if (!(singleError instanceof RecordRefusedError)) throw singleError;
        letters.push({ source: message.source, reason: STORE_REFUSED, detail: singleError.message });
      }
    }
  }

  // Before the caller commits past them: a crash re-delivers a letter rather than drops it.
  if (letters.length > 0) {
    await retryingClassified(
      deps,
      'write dead letters',
      () => deps.deadLetters.send(letters),
      () => 'unavailable',
    );
  }
  return { ...outcome, deadLettered: letters };
}

function recordRetrying<S>(
  deps: IngestionDeps<S>,
  what: string,
  messages: readonly Exclude<ReceivedParticipation<S>, { ok: false }>[],
): Promise<ParticipationBatchOutcome> {
  return retryingClassified(
    deps,
    what,
    () => recordParticipations({ store: deps.store, zone: deps.zone, now: deps.now }, messages),
    (error) => {
      const failure = classifyStoreFailure(error);
      deps.observer?.storeFailed(failure);
      return failure;
    },
  );
}

/** Runs `work` until it succeeds; a refusal is the caller's to handle, a fatal failure halts, the rest is retried. */
function retryingClassified<S, T>(
  deps: IngestionDeps<S>,
  what: string,
  work: () => Promise<T>,
  classify: (error: unknown) => StoreFailure,
): Promise<T> {
  // `retrying` asks isTransient about a failure and then, if it is retried, tells onRetry: the class of the
  // failure being retried is the one just classified.
  let failure: StoreFailure | undefined;
  return retrying(work, {
    signal: deps.signal,
    backoff: deps.backoff ?? STORE_BACKOFF,
    isTransient: (error) => {
      failure = classify(error);
      if (failure === 'fatal') throw new IngestionHalted(error);
      return failure !== 'refused';
    },
    onRetry: (error, attempt) => {
      if (failure === 'unknown') {
        if (worthLogging(attempt, 10))
          deps.log.error({ err: error, attempt }, `${what}: unexpected error; retrying (never dead-lettered)`);
      } else if (worthLogging(attempt)) {
        deps.log.warn({ err: error, attempt }, `${what}: dependency unavailable; retrying`);
      }
    },
  });
}
