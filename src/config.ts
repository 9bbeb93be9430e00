// The only reader of process.env. Everything the service can be told lives here, typed and validated once
// at start-up: a bad value stops the process with one line that names the variable.

import { TOPIC_SETTINGS, type TopicNames } from './record-kinds/registry.ts';

export type { TopicNames };

export type AuthConfig =
  | { mode: 'gateway' }
  | {
      mode: 'jwt';
      secret: Uint8Array | undefined;
      jwksFile: string | undefined;
      jwksUrl: string | undefined;
      issuer: string | undefined;
      audience: string | undefined;
      identityClaim: string;
      clockToleranceSeconds: number;
      /** How soon a token with an unknown `kid` may make the service fetch JWT_JWKS_URL again. */
      jwksCooldownSeconds: number;
    };

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  databasePoolSize: number;
  /** Upper bound of one database call on the request path; past it the client gets a 503, never a hang. */
  databaseTimeoutMs: number;
  /**
   * Upper bound of one attempt at an ingested batch's transaction; past it the database counts as unavailable
   * (backoff, no offset committed). Longer than a request's: a batch holds thousands of rows.
   */
  databaseBatchTimeoutMs: number;
  kafkaBrokers: string[];
  kafkaGroupId: string;
  kafkaClientId: string;
  kafkaCreateTopics: boolean;
  kafkaTopicPartitions: number;
  kafkaTopicReplicationFactor: number;
  topics: TopicNames;
  /** The CloudEvents `source` of every published event: a URI naming this service. */
  cloudEventsSource: string;
  businessTimeZone: string;
  auth: AuthConfig;
  consumersEnabled: boolean;
  consumerMaxBatch: number;
  /** How often the sweep lease holder looks for outbox rows left behind. */
  outboxPollIntervalMs: number;
  /**
   * Age past which an outbox row counts as left behind by its instance, and is swept. At least 200 ms: an
   * instance hands what it has held for half this age to the sweep, so a tiny value would leave it all there.
   */
  outboxSweepAfterMs: number;
  /** How long a commit waits for others to share its produce request. */
  outboxLingerMs: number;
  outboxBatchSize: number;
  /** Readiness fails when the oldest unpublished event is older than this. */
  outboxMaxAgeMs: number;
  shutdownTimeoutMs: number;
  bodyLimitBytes: number;
  /** A client has this long to send its whole request (slow-loris protection); then 408. */
  httpRequestTimeoutMs: number;
  logLevel: string;
  migrateOnStart: boolean;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string, fallback: string): string {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? fallback : value;
}

function optionalText(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = optionalText(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = optionalText(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = text(env, name, fallback);
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function databaseUrl(env: Env): string {
  const raw = text(env, 'DATABASE_URL', 'mysql://root@127.0.0.1:3306/recording_command');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected mysql://user:password@host:port/database)');
  }
  if (url.protocol !== 'mysql:' && url.protocol !== 'mariadb:') {
    throw new ConfigError('DATABASE_URL', `must start with mysql://, got "${url.protocol}//"`);
  }
  if (url.pathname.replace(/^\//, '') === '') throw new ConfigError('DATABASE_URL', 'must name a database');
  return raw;
}

function brokers(env: Env): string[] {
  const list = text(env, 'KAFKA_BROKERS', 'localhost:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of list) {
    if (!/^[^:\s]+:\d{1,5}$/.test(broker)) throw new ConfigError('KAFKA_BROKERS', `entry "${broker}" is not host:port`);
  }
  return list;
}

function timeZone(env: Env): string {
  const zone = text(env, 'BUSINESS_TIME_ZONE', 'Asia/Seoul');
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ConfigError('BUSINESS_TIME_ZONE', `is not an IANA time zone, got "${zone}"`);
  }
  return zone;
}

function topicName(env: Env, name: string, fallback: string): string {
  const value = text(env, name, fallback);
  // Kafka's own rule for legal topic names.
  if (!/^[a-zA-Z0-9._-]{1,240}$/.test(value)) throw new ConfigError(name, `is not a legal Kafka topic name: "${value}"`);
  return value;
}

function uriReference(env: Env, name: string, fallback: string): string {
  const value = text(env, name, fallback);
  // CloudEvents' source is a URI-reference: an absolute URI (a URN, a URL) or a path.
  if (/[\s\p{Cc}]/u.test(value) || !(URL.canParse(value) || value.startsWith('/'))) {
    throw new ConfigError(
      name,
      `must be an absolute URI (e.g. urn:grewmeet:recording-command-service) or a path, got "${value}"`,
    );
  }
  return value;
}

/** auth-service's rule (peer-contract.md): a secret that is valid standard Base64 is decoded, otherwise its UTF-8 bytes are the key. */
export function hmacKeyFromSecret(secret: string): Uint8Array {
  const isStandardBase64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret);
  return isStandardBase64 ? new Uint8Array(Buffer.from(secret, 'base64')) : new TextEncoder().encode(secret);
}

function auth(env: Env): AuthConfig {
  const mode = oneOf(env, 'AUTH_MODE', 'gateway', ['gateway', 'jwt'] as const);
  if (mode === 'gateway') return { mode };
  const secret = optionalText(env, 'JWT_SECRET');
  const jwksFile = optionalText(env, 'JWT_JWKS_FILE');
  const jwksUrl = optionalText(env, 'JWT_JWKS_URL');
  if (secret === undefined && jwksFile === undefined && jwksUrl === undefined) {
    throw new ConfigError('AUTH_MODE', 'is jwt but none of JWT_SECRET, JWT_JWKS_FILE, JWT_JWKS_URL is set');
  }
  const encoding = oneOf(env, 'JWT_SECRET_ENCODING', 'auto', ['auto', 'base64', 'utf8'] as const);
  let key: Uint8Array | undefined;
  if (secret !== undefined) {
    key =
      encoding === 'auto'
        ? hmacKeyFromSecret(secret)
        : encoding === 'base64'
          ? new Uint8Array(Buffer.from(secret, 'base64'))
          : new TextEncoder().encode(secret);
    if (key.length < 32) throw new ConfigError('JWT_SECRET', 'must give at least 256 bits of key for HS256');
  }
  if (jwksUrl !== undefined && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError('JWT_JWKS_URL', 'must be an http(s) URL');
  return {
    mode,
    secret: key,
    jwksFile,
    jwksUrl,
    issuer: optionalText(env, 'JWT_ISSUER'),
    audience: optionalText(env, 'JWT_AUDIENCE'),
    identityClaim: text(env, 'JWT_IDENTITY_CLAIM', 'sub'),
    clockToleranceSeconds: integer(env, 'JWT_CLOCK_TOLERANCE_SECONDS', 30, 0, 300),
    jwksCooldownSeconds: integer(env, 'JWT_JWKS_COOLDOWN_SECONDS', 30, 0, 3600),
  };
}

export function loadConfig(env: Env = process.env): Config {
  return {
    port: integer(env, 'PORT', 8083, 0, 65535),
    host: text(env, 'HOST', '0.0.0.0'),
    databaseUrl: databaseUrl(env),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 24, 1, 500),
    databaseTimeoutMs: integer(env, 'DATABASE_TIMEOUT_MS', 3000, 100, 60000),
    databaseBatchTimeoutMs: integer(env, 'DATABASE_BATCH_TIMEOUT_MS', 10000, 100, 600000),
    kafkaBrokers: brokers(env),
    kafkaGroupId: text(env, 'KAFKA_GROUP_ID', 'recording-command-service'),
    kafkaClientId: text(env, 'KAFKA_CLIENT_ID', 'recording-command-service'),
    kafkaCreateTopics: flag(env, 'KAFKA_CREATE_TOPICS', true),
    kafkaTopicPartitions: integer(env, 'KAFKA_TOPIC_PARTITIONS', 6, 1, 1000),
    kafkaTopicReplicationFactor: integer(env, 'KAFKA_TOPIC_REPLICATION_FACTOR', 1, 1, 10),
    topics: Object.fromEntries(
      TOPIC_SETTINGS.map((setting) => [setting.key, topicName(env, setting.env, setting.defaultName)]),
    ) as TopicNames,
    cloudEventsSource: uriReference(env, 'CLOUDEVENTS_SOURCE', 'urn:grewmeet:recording-command-service'),
    businessTimeZone: timeZone(env),
    auth: auth(env),
    consumersEnabled: flag(env, 'KAFKA_CONSUMERS_ENABLED', true),
    consumerMaxBatch: integer(env, 'KAFKA_CONSUMER_MAX_BATCH', 2000, 1, 50000),
    outboxPollIntervalMs: integer(env, 'OUTBOX_POLL_INTERVAL_MS', 500, 5, 60000),
    outboxSweepAfterMs: integer(env, 'OUTBOX_SWEEP_AFTER_MS', 2000, 200, 3_600_000),
    outboxLingerMs: integer(env, 'OUTBOX_LINGER_MS', 5, 0, 1000),
    outboxBatchSize: integer(env, 'OUTBOX_BATCH_SIZE', 2000, 1, 50000),
    outboxMaxAgeMs: integer(env, 'OUTBOX_MAX_AGE_MS', 30000, 100, 86_400_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 15000, 100, 600000),
    bodyLimitBytes: integer(env, 'HTTP_BODY_LIMIT_BYTES', 16384, 256, 1048576),
    httpRequestTimeoutMs: integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 10000, 1000, 300000),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const),
    migrateOnStart: flag(env, 'MIGRATE_ON_START', true),
  };
}
