// node bench/profile-phases.ts [profile.cpuprofile] [--top N]
// Cuts the service's V8 CPU profile (from `npm run bench -- --cpu-prof`) into the benchmark's phases, using
// the CLOCK_MONOTONIC bounds that bench/results/latest.json keeps for each phase (V8 stamps its samples with
// the same clock), and prints where each phase's main-thread time went: by package and by function.
// Native frames (no script of their own, e.g. a socket write) count for the package that called them.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { originalFrame, serviceFile } from '../scripts/lib/original-source.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const resultsDir = resolve(import.meta.dirname, 'results');
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '12' } },
});
const top = Number(values.top);

function newestProfile(): string {
  const dir = join(resultsDir, 'profiles');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}: run npm run bench -- --cpu-prof first`);
  return files.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0] as string;
}

/** node_modules/@scope/name or node_modules/name, node's own modules, or the service's file under src/. */
function ownerOf(url: string): string | undefined {
  if (url === '') return undefined;
  const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return inPackage[1];
  if (url.startsWith('node:')) return 'node (built-in modules)';
  const inService = serviceFile(url);
  return inService ? `service: ${inService}` : url;
}

const profileFile = positionals[0] ?? newestProfile();
const profile: CpuProfile = JSON.parse(readFileSync(profileFile, 'utf8'));
const phases: Record<string, { monotonicUs: [number, number] }> = JSON.parse(
  readFileSync(join(resultsDir, 'latest.json'), 'utf8'),
).phases;

// Each node's owner: its own script's, or for a native frame the nearest caller's that has one.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const owner = new Map<number, string>();
const label = new Map<number, string>();
function walk(node: ProfileNode, inherited: string): void {
  const { functionName } = node.callFrame;
  const { url, lineNumber } = originalFrame(node.callFrame);
  const own = ownerOf(url);
  const special = functionName.startsWith('(') ? functionName : undefined;
  const resolvedOwner = special ?? own ?? `${inherited} (native)`;
  owner.set(node.id, resolvedOwner);
  label.set(
    node.id,
    special ?? `${functionName || '(anonymous)'} ${own ? `${own}:${lineNumber + 1}` : `[native, under ${inherited}]`}`,
  );
  for (const child of node.children ?? []) {
    const next = byId.get(child);
    if (next) walk(next, own ?? inherited);
  }
}
const root = profile.nodes[0];
if (root === undefined) throw new Error('empty profile');
walk(root, 'unknown');

// Sample times: startTime plus the running sum of deltas; each sample stands for the time until the next one.
const sampleTimes: number[] = [];
let clock = profile.startTime;
for (const delta of profile.timeDeltas) {
  clock += delta;
  sampleTimes.push(clock);
}

const pct = (part: number, whole: number) => `${((100 * part) / Math.max(1, whole)).toFixed(1)} %`;
console.log(`# CPU profile by phase\n\nProfile: \`${profileFile}\`\n`);
for (const [phase, { monotonicUs }] of Object.entries(phases)) {
  const [from, to] = monotonicUs;
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const at = sampleTimes[i] as number;
    if (at < from || at >= to) continue;
    const weight = (sampleTimes[i + 1] ?? at) - at;
    const id = profile.samples[i] as number;
    const who = owner.get(id) ?? 'unknown';
    if (who === '(idle)') {
      idle += weight;
      continue;
    }
    busy += weight;
    byOwner.set(who, (byOwner.get(who) ?? 0) + weight);
    const what = label.get(id) ?? 'unknown';
    byFunction.set(what, (byFunction.get(what) ?? 0) + weight);
  }
  if (busy + idle === 0) continue;
  console.log(`## ${phase}\n`);
  console.log(
    `Main thread busy ${(busy / 1000).toFixed(0)} ms of ${((to - from) / 1000).toFixed(0)} ms (${pct(busy, to - from)}).\n`,
  );
  console.log('| where | ms | of busy |\n|---|---:|---:|');
  for (const [who, us] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${who} | ${(us / 1000).toFixed(0)} | ${pct(us, busy)} |`);
  console.log('\n| function (self time) | ms | of busy |\n|---|---:|---:|');
  for (const [what, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`| ${what.replaceAll('|', '\\|')} | ${(us / 1000).toFixed(0)} | ${pct(us, busy)} |`);
  console.log('');
}
