// A process's memory as the kernel counts it, from /proc/<pid>/status (VmHWM is its own high-water mark of the
// resident set): for the benchmark's memory figures and for tests of what the service holds.
import { readFileSync } from 'node:fs';

/** A reader of /proc/<pid>/status's "Field:   123 kB" lines, read once. */
export function procStatusKb(pid: number): (field: string) => number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
}

/** Resident set of a process now and its peak since it started, in MB. */
export function processMemory(pid: number): { rssMb: number; peakRssMb: number } {
  const kb = procStatusKb(pid);
  return { rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}
