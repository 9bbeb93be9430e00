// One rule for ports in tests and benchmarks: see scripts/local-stack/ports.ts.
export { freePort } from '../../scripts/local-stack/ports.ts';
