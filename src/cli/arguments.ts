// What the command-line tools share in reading their arguments.

import { ConfigError } from '../config.ts';
import { type LocalDateTime, parseWireDateTime } from '../domain/local-date-time.ts';

/** A wrong argument: the tool prints the message alone and exits with 2. */
export class UsageError extends Error {}

/**
 * A `--from` / `--to` value as a local date-time of the business zone. A date means the whole day:
 * --from 2025-01-01 --to 2025-01-31 covers all of January; a date-time with Z or an offset is converted.
 */
export function timeBound(text: string | undefined, zone: string, side: 'from' | 'to'): LocalDateTime | undefined {
  if (text === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = parseWireDateTime(`${text}T00:00:00`, zone);
    if (!day.ok) throw new UsageError(`--${side} ${text} ${day.reason}`);
    if (side === 'from') return day.value;
    const next = new Date(`${text}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return `${next.toISOString().slice(0, 10)}T00:00:00` as LocalDateTime;
  }
  const time = parseWireDateTime(text, zone);
  if (!time.ok) throw new UsageError(`--${side} ${text} ${time.reason}`);
  return time.value;
}

/**
 * Runs a tool and sets its exit code from what `main` answers. A wrong argument or setting prints its message
 * alone and exits with 2; `explain` may turn a known refusal into one line (exit 1); anything else prints its
 * stack and exits with 1.
 */
export async function runTool(
  name: string,
  main: () => Promise<number>,
  explain: (error: unknown) => string | undefined = () => undefined,
): Promise<void> {
  try {
    process.exitCode = await main();
  } catch (error) {
    const usage =
      error instanceof ConfigError ||
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true;
    const explained = usage ? undefined : explain(error);
    if (usage) process.stderr.write(`${(error as Error).message}\n`);
    else if (explained !== undefined) process.stderr.write(`${name} refused: ${explained}\n`);
    else process.stderr.write(`${name} failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = usage ? 2 : 1;
  }
}
