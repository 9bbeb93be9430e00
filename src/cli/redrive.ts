// npm run redrive -- --topic <dead-letter topic> [--from TIME] [--to TIME] [--dry-run] [--max-redrives N]
// Sends dead-lettered messages back to the topic they failed on, once the cause is fixed (the policy is
// src/app/redrive-dead-letters.ts). Safe beside a running service: it reads the dead-letter topic as a
// consumer group of its own and sends like any producer; the service stores each participation once.
// Ctrl-C stops after the current batch; the same command resumes.

import { parseArgs } from 'node:util';
import {
  KafkaDeadLetterSource,
  KafkaRedriveTarget,
  RedriveRefused,
  redriveGroupOf,
} from '../adapters/kafka/dead-letter-redrive.ts';
import { createEventProducer } from '../adapters/kafka/kafka-clients.ts';
import {
  type DeadLetteredMessage,
  type RedriveRefusal,
  type RedriveSummary,
  redriveDeadLetters,
} from '../app/redrive-dead-letters.ts';
import { loadConfig } from '../config.ts';
import { instantOf } from '../domain/local-date-time.ts';
import { runTool, timeBound, UsageError } from './arguments.ts';
import { terminalProgress } from './progress.ts';

/** Refusals listed one by one at most; beyond, only counted. */
const MAX_LISTED_REFUSALS = 100;

function wholeNumber(text: string, option: string, min: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min)
    throw new UsageError(`--${option} must be a whole number of at least ${min}, not "${text}"`);
  return value;
}

function why(letter: DeadLetteredMessage<unknown>, refusal: RedriveRefusal, maxRedrives: number): string {
  switch (refusal) {
    case 'too-many-redrives':
      return `sent back ${letter.redriveCount} time(s) already and failed again (--max-redrives ${maxRedrives})`;
    case 'no-original-topic':
      return 'the letter has no dlq-original-topic header';
    case 'value-dropped':
      return 'the message was too large to keep in the letter (dlq-value-dropped)';
  }
}

function summaryLine(topic: string, s: RedriveSummary, dryRun: boolean): string {
  const parts = [
    `${s.seen} letter(s) read`,
    `${s.redriven} ${dryRun ? 'would be sent back' : 'sent back'}`,
    `${s.refused} refused`,
  ];
  if (s.beforeFrom > 0) parts.push(`${s.beforeFrom} from before --from passed over`);
  if (s.leftForLater > 0) parts.push(`${s.leftForLater} from --to on left for a later run`);
  const ending = !s.complete
    ? 'interrupted; run the same command again to resume'
    : dryRun
      ? 'dry run: nothing sent, position unchanged'
      : s.seen === 0
        ? 'nothing new since the last run'
        : 'done';
  return `${topic}: ${parts.join(', ')} (${ending})\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      topic: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'max-redrives': { type: 'string', default: '3' },
      'batch-size': { type: 'string', default: '500' },
    },
    strict: true,
  });
  const config = loadConfig();
  const topic = values.topic;
  if (topic === undefined || topic === '')
    throw new UsageError('--topic <dead-letter topic> is required, e.g. --topic grewmeet.dating.participation.completed.dlq');
  const maxRedrives = wholeNumber(values['max-redrives'], 'max-redrives', 1);
  const batchSize = wholeNumber(values['batch-size'], 'batch-size', 1);
  const zone = config.businessTimeZone;
  const instant = (side: 'from' | 'to') => {
    const local = timeBound(values[side], zone, side);
    return local === undefined ? undefined : Date.parse(instantOf(local, zone));
  };
  const from = instant('from');
  const to = instant('to');
  if (from !== undefined && to !== undefined && from >= to) throw new UsageError('--from must be before --to');
  const dryRun = values['dry-run'];

  const clientId = `${config.kafkaClientId}-redrive`;
  const source = await KafkaDeadLetterSource.open({
    brokers: config.kafkaBrokers,
    clientId,
    groupId: redriveGroupOf(config.kafkaGroupId, topic),
    topic,
    batchSize,
  });
  const producer = createEventProducer({ brokers: config.kafkaBrokers, clientId });
  let stopRequested = false;
  const stop = () => {
    stopRequested = true;
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const bar = terminalProgress<{ redriven: number; refused: number }>(
    `${topic} [{bar}] {percentage}% {value}/{total} letters | {redriven} ${dryRun ? 'to send back' : 'sent back'}, {refused} refused | {eta_formatted}`,
  );
  const refusals: string[] = [];
  let summary: RedriveSummary;
  try {
    summary = await redriveDeadLetters(source, new KafkaRedriveTarget(producer), {
      from,
      to,
      maxRedrives,
      dryRun,
      shouldStop: () => stopRequested,
      onProgress: (p) => bar.update(p.seen, p.total, { redriven: p.redriven, refused: p.refused }),
      onRefused: (letter, refusal) => {
        if (refusals.length < MAX_LISTED_REFUSALS)
          refusals.push(
            `refused ${topic} partition ${letter.partition} offset ${letter.offset}: ${why(letter, refusal, maxRedrives)}\n`,
          );
      },
    });
  } finally {
    bar.stop();
    await source.close();
    await producer.close().catch(() => undefined);
  }
  for (const line of refusals) process.stdout.write(line);
  if (summary.refused > refusals.length) process.stdout.write(`… and ${summary.refused - refusals.length} more refused\n`);
  process.stdout.write(summaryLine(topic, summary, dryRun));
  return summary.complete ? 0 : 130;
}

await runTool('redrive', main, (error) => (error instanceof RedriveRefused ? error.message : undefined));
