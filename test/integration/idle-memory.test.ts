// Started as `npm start` starts it (its Node flags, --expose-gc among them), the service gives memory back to
// the system once it has been idle for a while, and says so in its log.

import { describe, expect, it } from 'vitest';
import { cleanupRegistry } from '../../testkit/cleanup.ts';
import { dropDatabase } from '../../testkit/mysql.ts';
import { eventually } from '../../testkit/polling.ts';
import { processMemory } from '../../testkit/process-memory.ts';
import { productionStart } from '../../testkit/service-process.ts';
import { serviceEnvironment, serviceProcess } from '../../testkit/test-environment.ts';

const cleanup = cleanupRegistry();

describe('memory while idle', () => {
  it('is given back after about 10 s without work', { timeout: 60_000 }, async () => {
    const environment = serviceEnvironment({ LOG_LEVEL: 'info' });
    cleanup(() => dropDatabase(environment.config.databaseUrl));
    const service = await serviceProcess('idle-memory', environment, productionStart().nodeFlags);
    cleanup(() => service.dispose());
    service.spawn();
    await service.waitUntil('ready');
    const atReadyMb = processMemory(service.pid as number).rssMb;

    const givenBack = () => /"rssMb":(\d+),"msg":"idle: memory given back"/.exec(service.log());
    expect(await eventually(() => givenBack() !== null, 30_000, 500), service.log()).toBe(true);

    expect(Number(givenBack()?.[1])).toBeLessThan(atReadyMb - 5);
  });
});
