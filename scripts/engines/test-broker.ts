/**
 * The Kafka test broker: librdkafka's mock cluster (a Kafka-protocol broker that Kafka clients
 * are tested against), built by scripts/prepare-test-engines.js and run as a child process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const brokerBinary = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../node_modules/.cache/c360/kafka-test-broker');

export interface TestBroker {
  brokers: string;
  /** Sends a command (topic NAME N, down ID, up ID, rtt ID MS; broker IDs start at 1) and waits for its answer. */
  command(line: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestBroker(brokerCount = 1): Promise<TestBroker> {
  const child: ChildProcessWithoutNullStreams = spawn(brokerBinary, [String(brokerCount)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  const early: string[] = [];
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else early.push(line);
  });
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const ready = early.shift();
      if (ready !== undefined) return resolve(ready);
      waiting.push(resolve);
      child.once('exit', (code) => reject(new Error(`kafka test broker exited with ${code}`)));
    });
  const brokers = await nextLine();
  return {
    brokers,
    async command(line) {
      child.stdin.write(`${line}\n`);
      const answer = await nextLine();
      if (answer !== 'ok') throw new Error(`broker command "${line}": ${answer}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      await exited;
    },
  };
}
