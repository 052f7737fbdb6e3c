/**
 * A real Apache Kafka broker for tests and local use: one node in KRaft mode (broker and
 * controller in one process), its jars from Maven Central (maven.ts), run on the machine's Java,
 * its log on disk in a folder of its own. A broker started again on the same folder and ports
 * keeps its topics, messages and committed offsets, as after a crash of a real one.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { mavenLibrary, type MavenArtifact } from './maven.ts';

export const KAFKA_VERSION = '4.1.1';
const KAFKA_ARTIFACTS: MavenArtifact[] = [
  { groupId: 'org.apache.kafka', artifactId: 'kafka_2.13', version: KAFKA_VERSION },
  // Kafka logs through SLF4J 1.7; log4j 2 writes the broker's log file.
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: '2.24.3' },
  { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: '2.24.3' },
];

export interface KafkaServerOptions {
  /** The broker's folder (log, configuration, its own log file); a new temporary one when absent. */
  dataDir?: string;
  /** Client port; a free one when absent. The controller listens on another. */
  port?: number;
  controllerPort?: number;
  /** Partitions of a topic created on first use. */
  partitions?: number;
  heapMb?: number;
  say?: (message: string) => void;
}

export interface KafkaServer {
  /** host:port for clients. */
  brokers: string;
  dataDir: string;
  /** The broker's Java process. */
  pid: number;
  port: number;
  controllerPort: number;
  /** SIGTERM: the broker shuts down cleanly. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash: the next start on the same folder recovers its log. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** The broker's jars (downloaded on first use) as a Java class path. */
export function kafkaClasspath(say: (message: string) => void = () => undefined): string {
  return `${path.join(mavenLibrary(`kafka-${KAFKA_VERSION}`, KAFKA_ARTIFACTS, say), 'lib')}/*`;
}

const LOG4J = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders><File name="file" fileName="\${sys:kafka.logs.dir}/broker.log"><PatternLayout pattern="[%d] %p %m (%c)%n"/></File></Appenders>
  <Loggers><Root level="INFO"><AppenderRef ref="file"/></Root><Logger name="kafka.request.logger" level="WARN"/></Loggers>
</Configuration>
`;

function serverProperties(dir: string, port: number, controllerPort: number, partitions: number): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${path.join(dir, 'log')}`,
    `num.partitions=${partitions}`,
    'auto.create.topics.enable=true',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    // A consumer group forms at once (a test or a bench does not wait three seconds per group).
    'group.initial.rebalance.delay.ms=0',
    '',
  ].join('\n');
}

/** Waits until the broker answers a metadata request and its group coordinator is up. */
async function untilAnswering(brokers: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const kafka = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Kafka exited (${child.exitCode ?? child.signalCode}) while starting; see ${logFile}`);
    }
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      // The group coordinator answers once __consumer_offsets can be created.
      await admin.describeGroups(['c360-engine-probe']);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Kafka did not answer within ${timeoutMs / 1000} s (${(error as Error).message}); see ${logFile}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

export async function startKafka(options: KafkaServerOptions = {}): Promise<KafkaServer> {
  const say = options.say ?? (() => undefined);
  const classpath = kafkaClasspath(say);
  const dir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'c360-kafka-'));
  fs.mkdirSync(dir, { recursive: true });
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const config = path.join(dir, 'server.properties');
  fs.writeFileSync(config, serverProperties(dir, port, controllerPort, options.partitions ?? 4));
  fs.writeFileSync(path.join(dir, 'log4j2.xml'), LOG4J);
  const jvm = [`-Xmx${options.heapMb ?? 512}m`, '-XX:+UseG1GC', `-Dkafka.logs.dir=${dir}`, `-Dlog4j2.configurationFile=${path.join(dir, 'log4j2.xml')}`, '-cp', classpath];
  if (!fs.existsSync(path.join(dir, 'log', 'meta.properties'))) {
    const clusterId = execFileSync('java', [...jvm, 'kafka.tools.StorageTool', 'random-uuid'], { encoding: 'utf8' }).trim().split('\n').pop()!;
    execFileSync('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config], { stdio: 'ignore' });
  }
  const child = spawn('java', [...jvm, 'kafka.Kafka', config], { stdio: 'ignore', detached: false });
  const brokers = `127.0.0.1:${port}`;
  const logFile = path.join(dir, 'broker.log');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await untilAnswering(brokers, child, 90_000, logFile);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(force);
  };
  return { brokers, dataDir: dir, pid: child.pid!, port, controllerPort, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
