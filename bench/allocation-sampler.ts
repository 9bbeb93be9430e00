// Preloaded into the measured service by `npm run bench -- --alloc-prof` (node --import). Samples every
// allocation site for the whole run, including objects the GC has already collected: that is where garbage,
// and so GC time and heap growth, comes from. Written on exit to bench/results/profiles/<pid>.heapprofile
// (Chrome DevTools' Memory tab opens it); `node bench/allocation-report.ts` summarises it.

import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join, resolve } from 'node:path';

const SAMPLING_INTERVAL_BYTES = 16 * 1024;
const directory = resolve(import.meta.dirname, 'results', 'profiles');

const session = new Session();
session.connect();
session.post('HeapProfiler.enable');
session.post('HeapProfiler.startSampling', {
  samplingInterval: SAMPLING_INTERVAL_BYTES,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});

// An inspector session in the same thread answers synchronously, so this runs to the end inside 'exit'.
process.on('exit', () => {
  session.post('HeapProfiler.stopSampling', (error, result) => {
    if (error !== null) return;
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, `${process.pid}.heapprofile`), JSON.stringify(result.profile));
  });
});
