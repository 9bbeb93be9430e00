// The service runs bundled (dist/service.js, see scripts/build.ts): a place in the bundle is traced back
// through the bundle's source map to the file it was written in, a package's under node_modules or the
// service's under src/, so that profiles are still read by package and by source file, and stack traces by
// the line that threw.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface CallFrame {
  url: string;
  /** 0-based, as V8 reports it. */
  lineNumber: number;
  columnNumber?: number;
}

const maps = new Map<string, SourceMap | undefined>();

function sourceMapOf(url: string): SourceMap | undefined {
  if (!maps.has(url)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(url, map);
  }
  return maps.get(url);
}

/** The frame's place in its original source; unchanged for a file that has no source map beside it. */
export function originalFrame(frame: CallFrame): Required<CallFrame> {
  const unchanged = { ...frame, columnNumber: frame.columnNumber ?? 0 };
  if (!frame.url.startsWith('file:') || frame.url.includes('/node_modules/')) return unchanged;
  const entry = sourceMapOf(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber ?? 0);
  if (entry === undefined || !('originalSource' in entry)) return unchanged;
  return { url: entry.originalSource, lineNumber: entry.originalLine, columnNumber: entry.originalColumn };
}

/** A file of the service: its path under src/. */
export function serviceFile(url: string): string | undefined {
  return /(?:^|\/)src\/(.+)$/.exec(url)?.[1];
}
