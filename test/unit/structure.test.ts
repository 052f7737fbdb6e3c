/**
 * The structure of the code, kept: the layering and no import cycles (dependency-cruiser with
 * .dependency-cruiser.cjs: platform -> nothing above it; schemas -> platform; feature folders ->
 * platform, schemas and each other's index.ts; api -> features' index.ts; app -> all), and no
 * source file over 500 lines (generated files aside).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const FOLDERS = ['app', 'api', 'platform', 'schemas', 'ingest', 'resolver', 'enrich', 'warehouse', 'bench', 'scripts', 'test'];
const GENERATED = new Set(['schemas/generated.ts']);
const MAX_LINES = 500;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'data' ? [] : sourceFiles(file);
    return /\.(ts|mts|js|mjs|cjs)$/.test(entry.name) ? [file] : [];
  });
}

describe('the structure of the code', () => {
  it('keeps the layering and has no import cycles', () => {
    // It exits with the number of violations: read its report whatever the status.
    const run = spawnSync(process.execPath, ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', ...FOLDERS.filter((f) => f !== 'test'), 'bin', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(run.stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number } };
    expect(result.summary.totalCruised).toBeGreaterThan(100);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  }, 60_000);

  it(`has no source file over ${MAX_LINES} lines`, () => {
    const files = FOLDERS.flatMap(sourceFiles).filter((f) => !GENERATED.has(f));
    expect(files.length).toBeGreaterThan(100);
    const long = files.map((f) => ({ f, lines: fs.readFileSync(f, 'utf8').split('\n').length })).filter((x) => x.lines > MAX_LINES);
    expect(long.map((x) => `${x.f}: ${x.lines} lines`)).toEqual([]);
  });
});
