// The layering of the hexagon, held by a tool (npm run lint): the domain knows nothing of the outside, the
// use cases know only the domain, and only the composition root knows every adapter.
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'domain/ holds rules only: no adapters, no use cases, no frameworks, no I/O modules.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: {
        pathNot: ['^src/domain/', '^node_modules/uuid/', '^uuid$'],
      },
    },
    {
      name: 'use-cases-depend-on-ports',
      comment: 'app/ talks to the outside only through the interfaces it declares.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: ['^src/adapters/', '^node_modules/(fastify|kysely|mysql2|@platformatic)'] },
    },
    {
      name: 'adapters-do-not-reach-across',
      comment: 'HTTP does not talk to Kafka or MySQL directly; it goes through a use case.',
      severity: 'error',
      from: { path: '^src/adapters/http/' },
      to: { path: ['^src/adapters/kafka/', '^src/adapters/mysql/'] },
    },
    {
      name: 'service-stands-alone',
      comment: 'The service ships without its tests, benchmark and scripts: src/ imports none of them.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: ['^testkit/', '^test/', '^bench/', '^scripts/'] },
    },
    {
      name: 'bench-runs-without-vitest',
      comment: 'The benchmark is a plain node program: what it uses of the test kit must not need the test runner.',
      severity: 'error',
      from: { path: '^bench/' },
      to: { path: '(^|/)node_modules/vitest/', reachable: true },
    },
    {
      name: 'kafka-and-mysql-do-not-meet',
      comment:
        'The Kafka and MySQL adapters know each other only through the ports of the use cases, wired in the ' +
        'composition root (service.ts, outbox-relay-wiring.ts): ' +
        'what the consumer does with a store failure and how the relay batches and retries are policies, not translations.',
      severity: 'error',
      from: { path: '^src/adapters/(kafka|mysql)/' },
      to: { path: '^src/adapters/(kafka|mysql)/', pathNot: '^src/adapters/$1/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
