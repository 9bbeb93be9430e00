// Plain mysql2 connections from a mysql:// URL, for what a test or a benchmark checks or prepares beside the
// service: rows as they are stored, counts, server counters, databases dropped at the end.

import { type Connection, createConnection } from 'mysql2/promise';

/** The database the URL names (none when it names none); date-times come back as the text that is stored. */
export function connectToDatabase(databaseUrl: string): Promise<Connection> {
  return createConnection({ uri: databaseUrl, dateStrings: true, supportBigNumbers: true, bigNumberStrings: false });
}

/** The server of the URL with no database selected: for server-wide counters and for dropping databases. */
export function connectToServer(databaseUrl: string): Promise<Connection> {
  const url = new URL(databaseUrl);
  url.pathname = '';
  return connectToDatabase(url.href);
}

export function databaseNameOf(databaseUrl: string): string {
  return decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const connection = await connectToServer(databaseUrl);
  try {
    await connection.query(`DROP DATABASE IF EXISTS ${connection.escapeId(databaseNameOf(databaseUrl))}`);
  } finally {
    await connection.end();
  }
}
