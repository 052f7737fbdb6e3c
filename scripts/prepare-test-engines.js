#!/usr/bin/env node
// Prepares what the tests need on a bare Debian machine: installs the Debian packages they use
// with apt when missing (as root), and builds the Kafka test broker (librdkafka's mock cluster)
// from scripts/kafka-test-broker.c unless KAFKA_BROKERS names a broker.
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

function onPath(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Debian packages the tests use: librdkafka-dev (the Kafka test broker is built from it),
// docker-compose (validates docker-compose.yml without a Docker engine) and chromium (the
// console's browser tests drive it with playwright-core).
const missing = [];
if (!process.env.KAFKA_BROKERS && !fs.existsSync('/usr/include/librdkafka/rdkafka_mock.h')) missing.push('librdkafka-dev', 'gcc');
if (!onPath('docker-compose')) missing.push('docker-compose');
if (!fs.existsSync('/usr/bin/chromium')) missing.push('chromium');
if (missing.length > 0) {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    say(`missing: ${missing.join(' ')}; install them, e.g. sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  say(`installing ${missing.join(' ')} with apt`);
  execSync(`apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, { stdio: 'inherit' });
}
if (process.env.KAFKA_BROKERS) {
  say(`KAFKA_BROKERS=${process.env.KAFKA_BROKERS}: using that broker`);
  process.exit(0);
}
const stale = !fs.existsSync(binary) || fs.statSync(binary).mtimeMs < fs.statSync(source).mtimeMs;
if (stale) {
  fs.mkdirSync(path.dirname(binary), { recursive: true });
  execFileSync('gcc', ['-O2', '-o', binary, source, '-lrdkafka'], { stdio: 'inherit' });
  say(`built ${path.relative(root, binary)}`);
}
