// The GrewMeet query service's own parser, as a program of ours: a small Java program (query-service-contract/
// *.java) holding its topic names, its event classes and its ObjectMapper, compiled once against Jackson and
// kafka-clients from Maven Central and kept in .cache/ under the hash of its sources.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureMavenJars } from '../scripts/local-stack/maven-jars.ts';
import { run } from '../scripts/local-stack/processes.ts';

const sourceDir = join(import.meta.dirname, 'query-service-contract');
const cacheDir = resolve(import.meta.dirname, '../.cache/query-service-contract');
const libsDir = join(cacheDir, 'libs');
const classesRoot = join(cacheDir, 'classes');
const mainClass = 'CheckPublishedEvents';
const jvmOptions = ['-XX:-UsePerfData', '-XX:TieredStopAtLevel=1', '-Xmx256m'];
const checkTimeoutMs = 120_000;

/** Fetches the jars and compiles the program unless its sources are compiled already; returns its class path. */
export async function ensureQueryServiceParser(): Promise<string> {
  const pomFile = join(sourceDir, 'pom.xml');
  const libs = await ensureMavenJars({
    pomFile,
    libsDir,
    what: 'query service parser',
    requiredJarPrefix: 'jackson-databind-',
  });
  const sources = readdirSync(sourceDir)
    .filter((name) => name.endsWith('.java'))
    .sort();
  const hash = createHash('sha256');
  for (const name of [...sources, 'pom.xml']) {
    hash.update(`${name}\0`).update(readFileSync(join(sourceDir, name)));
  }
  const classesDir = join(classesRoot, hash.digest('hex').slice(0, 16));
  const classPath = `${classesDir}:${libs}/*`;
  if (existsSync(join(classesDir, '.complete'))) return classPath;

  // Compiled beside its final place and renamed into it, so that a concurrent run never uses half a build.
  const stagingDir = `${classesDir}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  mkdirSync(stagingDir, { recursive: true });
  try {
    await run(
      'javac',
      ['--release', '17', '-encoding', 'UTF-8', '-J-XX:-UsePerfData', '-d', stagingDir, '-cp', `${libs}/*`, ...sources],
      checkTimeoutMs,
      {},
      sourceDir,
    );
    writeFileSync(join(stagingDir, '.complete'), '');
    renameSync(stagingDir, classesDir);
  } catch (error) {
    rmSync(stagingDir, { recursive: true, force: true });
    if (!existsSync(join(classesDir, '.complete'))) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'javac is not installed' : (error as Error).message;
      throw new Error(
        `Cannot compile the query service's parser (testkit/query-service-contract): ${reason}. Install a JDK 17+.`,
        { cause: error },
      );
    }
  }
  // Builds of older sources are of no further use.
  for (const name of readdirSync(classesRoot)) {
    if (join(classesRoot, name) === classesDir || name.endsWith('.tmp')) continue;
    rmSync(join(classesRoot, name), { recursive: true, force: true });
  }
  return classPath;
}

/** The topics the query service's listeners read, each with the name of the class it maps their messages into. */
export async function queryServiceTopics(): Promise<Record<string, string>> {
  const output = await run('java', [...jvmOptions, '-cp', await ensureQueryServiceParser(), mainClass, 'topics'], checkTimeoutMs);
  return (JSON.parse(output) as { topics: Record<string, string> }).topics;
}

export interface MappingFailure {
  partition?: number;
  offset?: number;
  error: string;
  value?: string | null;
}

export interface TopicCheck {
  topic: string;
  /** The query service's topic whose listener this topic was read as. */
  contractTopic: string;
  eventClass: string;
  messages: number;
  /** Fields of the query service's class that a message left null, with how many messages did. */
  absentFields: Record<string, number>;
  failures: MappingFailure[];
  /** With `echo`: each message's fields as the query service holds them (ids in full, date-times in ISO form). */
  mapped?: { partition: number; offset: number; fields: Record<string, string | null> }[];
}

/** Reads each topic from the beginning the way the query service reads `contractTopic`, and maps every message. */
export async function readAsQueryService(
  bootstrap: string,
  bindings: { topic: string; contractTopic: string }[],
  options: { echo?: boolean } = {},
): Promise<TopicCheck[]> {
  if (bindings.length === 0) return [];
  const args = [
    ...jvmOptions,
    '-cp',
    await ensureQueryServiceParser(),
    mainClass,
    'check',
    bootstrap,
    ...(options.echo === true ? ['--echo'] : []),
    ...bindings.map(({ topic, contractTopic }) => `${contractTopic}=${topic}`),
  ];
  // Exit 1 means "some message did not map", and the report says which; anything else is a broken check.
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
    execFile('java', args, { timeout: checkTimeoutMs, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') fail(error);
      else done({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
  if (code !== 0 && code !== 1) throw new Error(`the query service contract check failed (exit ${code}):\n${stderr.trim()}`);
  return (JSON.parse(stdout) as { topics: TopicCheck[] }).topics;
}
