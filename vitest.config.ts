import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// The query service contract test reads every event the other integration test files published, so it runs last.
const runsLast = (spec: TestSpecification) => spec.moduleId.endsWith('/test/integration/query-service-contract.test.ts');

class QueryServiceContractLast extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted.filter((spec) => !runsLast(spec)), ...sorted.filter(runsLast)];
  }
}

export default defineConfig({
  test: {
    reporters: ['default'],
    sequence: { sequencer: QueryServiceContractLast },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          // The HTTP API in process with in-memory ports (testkit/http-api-under-test.ts): no database or broker.
          name: 'http',
          include: ['test/http/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['testkit/global-setup.ts'],
          // The files share one broker and one database server on a 2-core machine: one file at a time keeps
          // them from starving each other; each file still gets its own database and topics.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
