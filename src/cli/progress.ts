// The command-line tools' progress: a bar on a terminal (cli-progress), nothing otherwise, where each tool
// prints its one summary line instead.

import { SingleBar } from 'cli-progress';

export interface Progress<P extends object> {
  update(value: number, total: number, payload?: P): void;
  stop(): void;
}

/** `format` is cli-progress's: `{bar}`, `{percentage}`, `{value}`, `{total}`, `{eta_formatted}` and the payload's fields. */
export function terminalProgress<P extends object>(format: string): Progress<P> {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ format, hideCursor: true });
  let started = false;
  return {
    update: (value, total, payload) => {
      if (!started) bar.start(total, value, payload);
      started = true;
      bar.setTotal(total);
      bar.update(value, payload);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
