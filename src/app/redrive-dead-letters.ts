// Use case: once whatever made messages fail has been fixed, send the dead-lettered ones back to the topic
// they came from, untouched, so that the service records them as if they had just arrived (it stores each
// participation once, so a message that was in fact recorded meanwhile changes nothing).
//
// A run reads the dead-letter topic from where the previous run stopped up to where the topic ended when the
// run started: letters written meanwhile (among them the ones this run sent back that failed again) are the
// next run's, so a run always ends. Positions are stored after each batch the broker acknowledged, so an
// interrupted run resumes without sending a letter twice. A message keeps count of its trips back; one that
// has been sent back `maxRedrives` times and failed again is refused rather than looped for ever.

/** A dead-lettered message as the dead-letter topic holds it; `M` is the original message, opaque here. */
export interface DeadLetteredMessage<M> {
  /** Where the letter is in the dead-letter topic. */
  partition: number;
  offset: bigint;
  /** The topic it failed on, where it goes back to; undefined when the letter does not say. */
  originalTopic: string | undefined;
  /** Epoch milliseconds. */
  deadLetteredAt: number;
  /** How often it has been sent back already. */
  redriveCount: number;
  /** The value was too large to travel with the letter: there is nothing to send back. */
  valueDropped: boolean;
  /** Key, value and headers as they came, without what the dead-letter writer and the redrive added. */
  message: M;
}

export interface DeadLetterSource<M> {
  /** How many letters this run looks at (from the stored position to where the topic ended at the start). */
  readonly total: number;
  /** The next letters, in order within each partition; undefined once the run has seen all of them. */
  next(): Promise<DeadLetteredMessage<M>[] | undefined>;
  /** Stores, per partition, the offset of the first letter not done with: a later run starts there. */
  commit(nextOffsets: Map<number, bigint>): Promise<void>;
}

export interface RedriveTarget<M> {
  /** Sends each message to `topic` with its new count; resolves once the broker acknowledged all of them. */
  send(messages: { topic: string; message: M; redriveCount: number }[]): Promise<void>;
}

export type RedriveRefusal = 'no-original-topic' | 'value-dropped' | 'too-many-redrives';

export interface RedriveProgress {
  seen: number;
  total: number;
  redriven: number;
  refused: number;
}

interface RedriveOptions {
  /** Only letters dead-lettered at or after this (epoch ms); earlier ones are passed over for good. */
  from: number | undefined;
  /**
   * Only letters dead-lettered before this (epoch ms). In each partition, the first letter at or after it and
   * all that follow stay for a later run: a partition's position can only move past letters in order.
   */
  to: number | undefined;
  /** A message sent back this often already is refused. */
  maxRedrives: number;
  /** Decide and count, but send nothing and store no position. */
  dryRun: boolean;
  shouldStop(): boolean;
  onProgress(progress: RedriveProgress): void;
  onRefused(letter: DeadLetteredMessage<unknown>, refusal: RedriveRefusal): void;
}

export interface RedriveSummary {
  seen: number;
  /** Sent back (in a dry run: would have been). */
  redriven: number;
  refused: number;
  /** Dead-lettered before `from`, passed over. */
  beforeFrom: number;
  /** At or after `to` (or behind such a letter in its partition), left for a later run. */
  leftForLater: number;
  /** False when stopped before the end; the next run resumes after the last acknowledged batch. */
  complete: boolean;
}

/** Where a letter goes back to, or why it does not. */
function destinationOf(
  letter: DeadLetteredMessage<unknown>,
  maxRedrives: number,
): { topic: string } | { refusal: RedriveRefusal } {
  if (letter.originalTopic === undefined) return { refusal: 'no-original-topic' };
  if (letter.valueDropped) return { refusal: 'value-dropped' };
  if (letter.redriveCount >= maxRedrives) return { refusal: 'too-many-redrives' };
  return { topic: letter.originalTopic };
}

export async function redriveDeadLetters<M>(
  source: DeadLetterSource<M>,
  target: RedriveTarget<M>,
  options: RedriveOptions,
): Promise<RedriveSummary> {
  const summary: RedriveSummary = { seen: 0, redriven: 0, refused: 0, beforeFrom: 0, leftForLater: 0, complete: false };
  const heldBack = new Set<number>();
  options.onProgress({ seen: 0, total: source.total, redriven: 0, refused: 0 });
  for (;;) {
    if (options.shouldStop()) return summary;
    const letters = await source.next();
    if (letters === undefined) break;
    const outgoing: { topic: string; message: M; redriveCount: number }[] = [];
    const nextOffsets = new Map<number, bigint>();
    for (const letter of letters) {
      summary.seen++;
      if (heldBack.has(letter.partition) || (options.to !== undefined && letter.deadLetteredAt >= options.to)) {
        heldBack.add(letter.partition);
        summary.leftForLater++;
        continue;
      }
      nextOffsets.set(letter.partition, letter.offset + 1n);
      if (options.from !== undefined && letter.deadLetteredAt < options.from) {
        summary.beforeFrom++;
        continue;
      }
      const destination = destinationOf(letter, options.maxRedrives);
      if ('refusal' in destination) {
        summary.refused++;
        options.onRefused(letter, destination.refusal);
        continue;
      }
      outgoing.push({ topic: destination.topic, message: letter.message, redriveCount: letter.redriveCount + 1 });
    }
    if (!options.dryRun) {
      if (outgoing.length > 0) await target.send(outgoing);
      // Only after the acknowledgement: a crash in between sends the batch again rather than losing it.
      if (nextOffsets.size > 0) await source.commit(nextOffsets);
    }
    summary.redriven += outgoing.length;
    options.onProgress({ seen: summary.seen, total: source.total, redriven: summary.redriven, refused: summary.refused });
  }
  summary.complete = true;
  return summary;
}
