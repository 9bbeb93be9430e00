// node bench/allocation-report.ts [file.heapprofile] [--top N]
// Summarises an allocation profile of `npm run bench -- --alloc-prof`: the bytes allocated over the run, by
// package, by function, and by the nearest function of the service itself on the stack (which use of a
// library the garbage comes from).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { originalFrame, serviceFile } from '../scripts/lib/original-source.ts';

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  selfSize: number;
  children: SampleNode[];
}

const profilesDir = resolve(import.meta.dirname, 'results', 'profiles');
const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
const top = Number(values.top);

function newestProfile(): string {
  const files = readdirSync(profilesDir)
    .filter((f) => f.endsWith('.heapprofile'))
    .map((f) => join(profilesDir, f));
  if (files.length === 0) throw new Error(`no .heapprofile in ${profilesDir}: run npm run bench -- --alloc-prof first`);
  // The measured service allocates far more than the short start-up run before it.
  return files.sort((a, b) => statSync(b).size - statSync(a).size)[0] as string;
}

/** node_modules/@scope/name or node_modules/name, node's own modules, or the service's file under src/. */
function ownerOf(url: string): { owner: string; service: boolean } | undefined {
  if (url === '') return undefined;
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return { owner: inPackage[1] as string, service: false };
  if (url.startsWith('node:')) return { owner: 'node (built-in modules)', service: false };
  const inService = serviceFile(url);
  return inService ? { owner: `service: ${inService}`, service: true } : { owner: url, service: false };
}

const file = positionals[0] ?? newestProfile();
const head: SampleNode = JSON.parse(readFileSync(file, 'utf8')).head;
const byOwner = new Map<string, number>();
const byFunction = new Map<string, number>();
const byServiceCaller = new Map<string, number>();
let total = 0;
const add = (map: Map<string, number>, key: string, bytes: number) => map.set(key, (map.get(key) ?? 0) + bytes);

function walk(node: SampleNode, inheritedOwner: string, serviceCaller: string): void {
  const { functionName } = node.callFrame;
  const { url, lineNumber } = originalFrame(node.callFrame);
  const own = ownerOf(url);
  const owner = own?.owner ?? inheritedOwner;
  const name = functionName || '(anonymous)';
  const caller = own?.service ? `${name} (${own.owner.slice('service: '.length)}:${lineNumber + 1})` : serviceCaller;
  if (node.selfSize > 0) {
    total += node.selfSize;
    add(byOwner, owner, node.selfSize);
    add(byFunction, own ? `${name} ${own.owner}:${lineNumber + 1}` : `${name} [under ${inheritedOwner}]`, node.selfSize);
    add(byServiceCaller, caller, node.selfSize);
  }
  for (const child of node.children) walk(child, owner, caller);
}
walk(head, 'unknown', '(no service function on the stack)');

const table = (title: string, map: Map<string, number>) => {
  console.log(`\n| ${title} | MB | of all |\n|---|---:|---:|`);
  for (const [key, bytes] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${key.replaceAll('|', '\\|')} | ${(bytes / 2 ** 20).toFixed(0)} | ${((100 * bytes) / total).toFixed(1)} % |`);
};
console.log(`# Allocations\n\nProfile: \`${file}\`; ${(total / 2 ** 20).toFixed(0)} MB allocated in all (sampled).`);
table('package', byOwner);
table('function', byFunction);
table('nearest service function on the stack', byServiceCaller);
