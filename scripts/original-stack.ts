// Stack traces of the built service point into the bundle (dist/service.js:1:283741): this prints text with
// each such place replaced by the line it was written on (src/adapters/http/server.ts:88:11), read from the
// source map that `npm run build` leaves beside the bundle. Works on log lines too: a place is replaced
// wherever it appears, whatever the directory the bundle ran from (a container's /app/dist/...), as long as
// this checkout's dist/ holds the same build.
//
//   npm run --silent original-stack < error.log
import { join, relative } from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { originalFrame } from './lib/original-source.ts';

const root = join(import.meta.dirname, '..');
const BUNDLE_PLACE = /(?:file:\/\/)?[^\s()"'`]*?\bdist\/((?:cli\/)?[\w.-]+\.js):(\d+):(\d+)/g;

/** `line` with every place in a bundle under `dist` replaced by its place in the original source. */
export function withOriginalPlaces(line: string, dist = join(root, 'dist')): string {
  return line.replace(BUNDLE_PLACE, (place, file: string, line: string, column: string) => {
    const url = pathToFileURL(join(dist, file)).href;
    // Stack traces count lines and columns from 1, source maps from 0.
    const original = originalFrame({ url, lineNumber: Number(line) - 1, columnNumber: Number(column) - 1 });
    if (original.url === url) return place;
    const path = original.url.startsWith('file:') ? fileURLToPath(original.url) : join(dist, original.url);
    return `${relative(root, path)}:${original.lineNumber + 1}:${original.columnNumber + 1}`;
  });
}

if (import.meta.main) process.stdout.write(withOriginalPlaces(await text(process.stdin)));
