// Jars from Maven Central, fetched once into .cache/ by a pom.xml that only lists dependencies: Java and
// Maven are all a machine needs for the Kafka broker of the local stack and the tests' Java programs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from './processes.ts';

const mavenTimeoutMs = 10 * 60_000;

export interface MavenJars {
  /** A pom.xml whose dependencies are the jars wanted; nothing is built from it. */
  pomFile: string;
  /** Where the jars go, e.g. .cache/kafka/4.1.1/libs. */
  libsDir: string;
  /** What the jars are for, in error messages: "Kafka 4.1.1". */
  what: string;
  /** A jar whose name starts with this must be among them, or Maven did not do what was asked. */
  requiredJarPrefix: string;
}

/** Copies the pom's dependencies into libsDir with Maven unless a previous run completed for the same pom; returns libsDir. */
export async function ensureMavenJars({ pomFile, libsDir, what, requiredJarPrefix }: MavenJars): Promise<string> {
  // The marker holds the hash of the pom: a changed pom (other versions, other jars) fetches the jars again.
  const completeMarker = join(libsDir, '.complete');
  const pomHash = createHash('sha256').update(readFileSync(pomFile)).digest('hex');
  if (existsSync(completeMarker) && readFileSync(completeMarker, 'utf8').trim() === pomHash) return libsDir;

  // Fetch into a private directory and rename it into place, so that two processes running
  // this at the same time (stack:up and a test run) never see a half-filled libs directory.
  const stagingDir = `${libsDir}.${process.pid}.tmp`;
  rmSync(stagingDir, { recursive: true, force: true });
  mkdirSync(dirname(libsDir), { recursive: true });
  try {
    await run(
      'mvn',
      ['-B', '-q', '-f', pomFile, 'dependency:copy-dependencies', `-DoutputDirectory=${stagingDir}`],
      mavenTimeoutMs,
      {
        // Maven's JVM would otherwise leave /tmp/hsperfdata_<user> behind.
        MAVEN_OPTS: [process.env.MAVEN_OPTS, '-XX:-UsePerfData'].filter(Boolean).join(' '),
      },
      dirname(pomFile),
    );
  } catch (error) {
    rmSync(stagingDir, { recursive: true, force: true });
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'Maven (mvn) is not installed' : (error as Error).message;
    throw new Error(
      `Cannot fetch the ${what} jars with Maven: ${reason}. Install Maven 3.8+ and Java 17+, then run this again.`,
      {
        cause: error,
      },
    );
  }
  const jars = readdirSync(stagingDir).filter((name) => name.endsWith('.jar'));
  if (!jars.some((name) => name.startsWith(requiredJarPrefix))) {
    throw new Error(`Maven finished but ${stagingDir} holds no ${requiredJarPrefix}*.jar.`);
  }
  writeFileSync(join(stagingDir, '.complete'), `${pomHash}\n`);
  rmSync(libsDir, { recursive: true, force: true });
  try {
    renameSync(stagingDir, libsDir);
  } catch (error) {
    rmSync(stagingDir, { recursive: true, force: true });
    // Another process won the race; its copy is as good as ours.
    if (!existsSync(completeMarker)) throw error;
  }
  return libsDir;
}
