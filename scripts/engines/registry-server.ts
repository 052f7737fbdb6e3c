/**
 * A Confluent-compatible Schema Registry server for tests and local use: Apicurio Registry
 * (the distribution it publishes on Maven Central, unpacked by scripts/registry/pom.xml with
 * strict checksums into the engines' cache) with its `kafkasql` storage, so every schema and
 * rule is kept in a topic of the Kafka it is given and survives a restart. Apicurio serves the
 * Confluent API under /apis/ccompat/v7, which is the URL handed out. It runs on Java 21 or newer:
 * the machine's `java` when it is, else the newest JDK in /usr/lib/jvm, else C360_REGISTRY_JAVA.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CACHE, javaAvailable } from './maven.ts';
import { freePort } from './kafka-server.ts';

export const REGISTRY_VERSION = '3.3.3';
const POM = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../registry/pom.xml');

export interface RegistryOptions {
  kafkaBrokers: string;
  port?: number;
  /** Topic of its journal (and `-snapshots`, `-events` beside it). */
  topic?: string;
  /** Folder of its log file. */
  dataDir: string;
  say?: (message: string) => void;
}

export interface RegistryServer {
  /** The Confluent-compatible API: http://host:port/apis/ccompat/v7 */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** `java -version` prints on stderr: read it from there. */
function javaMajor(java: string): number {
  try {
    const out = execFileSync('sh', ['-c', `"${java}" -version 2>&1`], { encoding: 'utf8' });
    return Number(/version "(\d+)/.exec(out)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** A Java of 21 or newer, or null. */
export function registryJava(): string | null {
  const candidates = [process.env.C360_REGISTRY_JAVA, 'java'];
  if (fs.existsSync('/usr/lib/jvm')) for (const d of fs.readdirSync('/usr/lib/jvm').sort().reverse()) candidates.push(path.join('/usr/lib/jvm', d, 'bin/java'));
  for (const java of candidates) if (java && (java === 'java' || fs.existsSync(java)) && javaMajor(java) >= 21) return java;
  return null;
}

/** The unpacked distribution (downloaded the first time). */
export function registryApp(say: (message: string) => void = () => undefined): string {
  const dir = path.join(CACHE, `apicurio-registry-${REGISTRY_VERSION}`);
  const jar = path.join(dir, 'target/quarkus-app/quarkus-run.jar');
  const pom = fs.readFileSync(POM, 'utf8');
  if (fs.existsSync(path.join(dir, 'READY')) && fs.readFileSync(path.join(dir, 'pom.xml'), 'utf8') === pom) return jar;
  if (!javaAvailable()) throw new Error('the Schema Registry server needs Java and Maven on the path (java, mvn)');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pom.xml'), pom);
  say(`downloading Apicurio Registry ${REGISTRY_VERSION} from Maven Central (once; cached in ${path.relative(process.cwd(), dir)})`);
  execFileSync('mvn', ['-q', '-B', '-C', 'package'], { cwd: dir, stdio: ['ignore', 'inherit', 'inherit'] });
  fs.writeFileSync(path.join(dir, 'READY'), new Date().toISOString());
  return jar;
}

export async function startRegistry(options: RegistryOptions): Promise<RegistryServer> {
  const say = options.say ?? (() => undefined);
  const java = registryJava();
  if (!java) throw new Error('the Schema Registry server (Apicurio Registry) needs Java 21 or newer: none found (set C360_REGISTRY_JAVA to one)');
  const jar = registryApp(say);
  const port = options.port ?? (await freePort());
  const management = await freePort();
  const topic = options.topic ?? 'c360-schema-registry';
  fs.mkdirSync(options.dataDir, { recursive: true });
  const logFile = path.join(options.dataDir, 'registry.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(
    java,
    [
      '-Xms64m', '-Xmx384m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      '-Dapicurio.storage.kind=kafkasql',
      `-Dapicurio.kafkasql.bootstrap.servers=${options.kafkaBrokers}`,
      `-Dapicurio.kafkasql.topic=${topic}`,
      '-Dapicurio.kafkasql.topic.partitions=1',
      `-Dapicurio.kafkasql.snapshots.topic=${topic}-snapshots`,
      `-Dapicurio.events.kafka.topic=${topic}-events`,
      '-Dapicurio.kafkasql.consumer.poll.timeout=1000',
      // Confluent's default: a new version must read what the one before wrote.
      '-Dapicurio.rules.global.compatibility=BACKWARD',
      '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${port}`,
      '-Dquarkus.management.host=127.0.0.1', `-Dquarkus.management.port=${management}`,
      '-jar', jar,
    ],
    { stdio: ['ignore', log, log] },
  );
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the Schema Registry exited (${child.exitCode ?? child.signalCode}) while starting; see ${logFile}`);
    const ok = await fetch(`${url}/subjects`).then((r) => r.status === 200, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the Schema Registry did not answer within 120 s; see ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(force);
    },
  };
}
