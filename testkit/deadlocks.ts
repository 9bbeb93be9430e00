// Real deadlocks on demand, from another client of the same database: until released, every transaction that
// inserts a given unique key into a table is chosen as a deadlock victim, however often it retries.
//
// How: this client inserts the key first and keeps it uncommitted, then keeps asking for a lock on any row of
// the table newer than its own. An insert of the same key writes its row, then waits for this client's key;
// this client's next lock request waits for that new row: a cycle, which InnoDB breaks at once by rolling back
// the lighter transaction. This one first wrote `weight` filler rows, so the victim is always the other. It
// reads at READ COMMITTED, so it keeps no gap locks: the victim's retry meets the same cycle, not a lock wait.

import { createConnection } from 'mysql2/promise';

export interface ForcedDeadlocks {
  /** Rolls everything back: the key becomes free and the victims' next retry goes through. */
  release(): Promise<void>;
}

export async function forceDeadlocks(options: {
  databaseUrl: string;
  table: string;
  /** The row whose unique key the victims insert. */
  row: Record<string, unknown>;
  /** The n-th filler row: the same columns, another unique key. */
  filler: (n: number) => Record<string, unknown>;
  weight?: number;
}): Promise<ForcedDeadlocks> {
  const { table, row, filler, weight = 300 } = options;
  const connection = await createConnection({ uri: options.databaseUrl, charset: 'utf8mb4_bin' });
  const columns = Object.keys(row);
  const insert = `INSERT INTO ${connection.escapeId(table)} (${columns.map((c) => connection.escapeId(c)).join(', ')}) VALUES ?`;
  await connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  // Its own lock waits end in a second, so that release() never waits long for a request in flight.
  await connection.query('SET SESSION innodb_lock_wait_timeout = 1');
  await connection.query('START TRANSACTION');
  const fillers = Array.from({ length: weight }, (_, n) => filler(n));
  await connection.query(insert, [fillers.map((f) => columns.map((c) => f[c]))]);
  await connection.query(insert, [[columns.map((c) => row[c])]]);
  const [rows] = await connection.query(`SELECT MAX(id) AS newest FROM ${connection.escapeId(table)}`);
  const newest = (rows as { newest: number }[])[0]?.newest;

  let holding = true;
  const lockRequests = (async () => {
    while (holding) {
      await connection.query(`SELECT id FROM ${connection.escapeId(table)} WHERE id > ? FOR UPDATE`, [newest]).catch(() => {
        // A lock wait that timed out here: the next request tries again.
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  return {
    release: async () => {
      holding = false;
      await lockRequests;
      await connection.query('ROLLBACK');
      await connection.end();
    },
  };
}
