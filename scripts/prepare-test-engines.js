#!/usr/bin/env node
// Prepares what the tests need on a bare Debian machine: the Kafka test broker (librdkafka's
// mock cluster) is built from scripts/kafka-test-broker.c, installing librdkafka-dev with apt
// when its header is missing and this user may. Skipped when KAFKA_BROKERS names a broker.
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'scripts/kafka-test-broker.c');
const binary = path.join(root, 'node_modules/.cache/c360/kafka-test-broker');

function say(message) {
  process.stdout.write(`[prepare] ${message}\n`);
}

if (process.env.KAFKA_BROKERS) {
  say(`KAFKA_BROKERS=${process.env.KAFKA_BROKERS}: using that broker`);
  process.exit(0);
}
if (!fs.existsSync('/usr/include/librdkafka/rdkafka_mock.h')) {
  if (process.getuid?.() !== 0) {
    say('librdkafka-dev is missing; install it: sudo apt-get install -y librdkafka-dev');
    process.exit(1);
  }
  say('installing librdkafka-dev with apt (the Kafka test broker is built from it)');
  execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq librdkafka-dev gcc', { stdio: 'inherit' });
}
const stale = !fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs;
if (stale) {
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  execFileSync('gcc', ['-O2', '-o', binary, source, '-lrdkafka'], { stdio: 'inherit' });
  say(`built ${path.relative(root, binary)}`);
}
