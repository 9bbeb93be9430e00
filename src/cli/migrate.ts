// npm run migrate: applies the schema migrations to DATABASE_URL (creating the database if needed) and exits.

import { ConfigError, loadConfig } from '../config.ts';
import { migrate } from '../service.ts';

try {
  const config = loadConfig();
  const applied = await migrate(config);
  process.stdout.write(applied.length === 0 ? 'schema is up to date\n' : `applied: ${applied.join(', ')}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`}\n`);
  process.exit(1);
}
