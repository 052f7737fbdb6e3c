/**
 * `c360 import`: CRM exports (CSV and NDJSON) imported into the pipeline on the real engines,
 * rejected rows with their reasons, resuming an interrupted import without counting a row twice,
 * and the server's refusals (429/503, 401, 413) answered by a stand-in server.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectColumns, readPerson } from '../ingest/columns.ts';
import { envelopeOf, ImportError, parseTimestamp, runImport, sniffDelimiter, type ImportProgress } from '../ingest/import/index.ts';
import { waitFor } from './support/engines.ts';
import { KEY_A, KEY_B, startTestRuntime, type TestRuntime } from './support/runtime.ts';

const HEADER = ['Contact ID', 'First Name', 'Last Name', 'E-mail Address', 'Mobile', 'Street Address', 'City', 'Lifecycle Stage', 'Tags', 'Loyalty Number', 'Last Modified'];
const FIRST = ['Chloé', 'José', 'Zoë', 'Ann', 'Bjørn', 'Renée'];
const LAST = ['Müller', 'Núñez', "D'Angelo", 'Lee', 'Østergaard', 'Okafor'];
const STAGES = ['lead', 'Customer', 'SUBSCRIBER', 'prospect'];
/** Rows the importer rejects: no identifier at all, and a time it cannot read. */
const NO_IDENTIFIER_ROWS = [50, 150, 250];
const BAD_TIME_ROW = 77;
/** A row the server rejects: a phone longer than the envelope allows. */
const LONG_PHONE_ROW = 200;
const ROWS = 300;
const GOOD_ROWS = ROWS - NO_IDENTIFIER_ROWS.length - 2;

// 555-0100 to 555-0199 are reserved for fiction: one number per contact, across area codes.
const AREAS = ['415', '510', '650', '408'];
const phoneOf = (i: number) => `(${AREAS[Math.floor(i / 100)]}) 555-0${100 + (i % 100)}`;
const emailOf = (prefix: string, i: number) => `${prefix}.contact${i}@mail.test`;
const recordIdOf = (prefix: string, i: number) => `HS-${prefix}-${1000 + i}`;

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A CRM contacts export as written by a spreadsheet: BOM, CRLF, quoted cells with commas and line breaks. */
function crmExport(prefix: string): string {
  const lines = [HEADER.map(csvCell).join(',')];
  for (let i = 1; i <= ROWS; i++) {
    const noIdentifier = NO_IDENTIFIER_ROWS.includes(i);
    const cells = [
      noIdentifier ? '' : recordIdOf(prefix, i),
      FIRST[i % FIRST.length]!,
      LAST[i % LAST.length]!,
      noIdentifier ? '' : emailOf(prefix, i),
      noIdentifier ? '' : i === LONG_PHONE_ROW ? `+1 415 555 0100${'1'.repeat(40)}` : phoneOf(i),
      i % 7 === 0 ? `${i} Main St, Apt 4\nBuilding B` : `${i} High Street`,
      i % 2 ? 'Zürich' : 'São Paulo',
      STAGES[i % STAGES.length]!,
      i % 3 === 0 ? 'vip;newsletter' : i % 3 === 1 ? 'newsletter' : '',
      `L-${i}`,
      i === BAD_TIME_ROW ? 'next Tuesday' : i % 5 === 0 ? '' : `2026-01-${String((i % 28) + 1).padStart(2, '0')} 10:${String(i % 60).padStart(2, '0')}:00`,
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const readRejects = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { row: number; errors: { path: string; message: string }[]; record: Record<string, unknown> });

describe('c360 import on the real engines', () => {
  let t: TestRuntime;
  let dir: string;
  beforeAll(async () => {
    t = await startTestRuntime();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-import-'));
  });
  afterAll(async () => {
    await t?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const profileOf = async (key: string, email: string) => {
    const r = await t.request('GET', `/v1/profiles?email=${encodeURIComponent(email)}`, key);
    return r.status === 200 ? r.body : null;
  };

  it('imports a CRM export: mapped columns, unknown columns kept, bad rows in the rejects file', async () => {
    const input = path.join(dir, 'contacts.csv');
    fs.writeFileSync(input, crmExport('a'));
    const notices: string[] = [];
    const summary = await runImport({ input, url: t.url, apiKey: KEY_A, batchSize: 100 }, { onNotice: (m) => notices.push(m) });

    expect(summary).toMatchObject({
      status: 'completed',
      format: 'csv',
      rows: ROWS,
      accepted: GOOD_ROWS,
      rejected: ROWS - GOOD_ROWS,
      skipped: 0,
      total: { rows: ROWS, accepted: GOOD_ROWS, rejected: ROWS - GOOD_ROWS },
      rejectsFile: `${input}.rejects.ndjson`,
    });
    expect(summary.mapping).toContain('E-mail Address→email');
    expect(summary.mapping).toContain('Loyalty Number→traits.loyalty_number');
    expect(notices.join('\n')).not.toMatch(/@mail\.test/);

    const rejects = readRejects(summary.rejectsFile!);
    expect(rejects.map((r) => r.row)).toEqual([50, 77, 150, 200, 250]);
    expect(rejects.map((r) => r.errors.map((e) => e.path))).toEqual([['/identity'], ['/occurred_at'], ['/identity'], ['/identity/phone'], ['/identity']]);
    expect(rejects[0]!.errors[0]!.message).toMatch(/no identifier/);
    expect(rejects[1]!.record).toMatchObject({ 'Contact ID': recordIdOf('a', 77), 'Last Modified': 'next Tuesday', 'Loyalty Number': 'L-77' });
    expect(summary.reasons.find((r) => r.path === '/identity')!.count).toBe(3);

    // Row 7: accents, a street with a comma and a line break, tags, the unknown column.
    const profile = await waitFor(() => profileOf(KEY_A, emailOf('a', 7)), 20_000, 'the profile of row 7');
    expect(profile.traits).toMatchObject({
      first_name: FIRST[7 % FIRST.length],
      last_name: LAST[7 % LAST.length],
      street: '7 Main St, Apt 4\nBuilding B',
      city: 'Zürich',
      loyalty_number: 'L-7',
    });
    expect(profile.source_ids.crm).toEqual([recordIdOf('a', 7)]);
    const last = await waitFor(() => profileOf(KEY_A, emailOf('a', ROWS)), 20_000, 'the profile of the last row');
    expect(last.traits.first_name).toBe(FIRST[ROWS % FIRST.length]);

    const state = JSON.parse(fs.readFileSync(summary.stateFile, 'utf8'));
    expect(state).toMatchObject({ completed: true, rows_done: ROWS, accepted: GOOD_ROWS, rejected: ROWS - GOOD_ROWS });
    const again = await runImport({ input, url: t.url, apiKey: KEY_A }, {});
    expect(again).toMatchObject({ status: 'already_completed', rows: 0, accepted: 0, skipped: ROWS, total: { accepted: GOOD_ROWS } });
  });

  it('continues an interrupted import after the rows done, and a row sent again counts once', async () => {
    const input = path.join(dir, 'resume.csv');
    fs.writeFileSync(input, crmExport('r'));
    const controller = new AbortController();
    const progress: ImportProgress[] = [];
    const first = await runImport(
      { input, url: t.url, apiKey: KEY_B, batchSize: 40 },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p);
          if (p.batches === 2) controller.abort();
        },
      },
    );
    expect(first).toMatchObject({ status: 'interrupted', rows: 80, accepted: 78, rejected: 2, skipped: 0 });
    expect(progress.map((p) => p.rows)).toEqual([40, 80]);
    expect(progress[1]!.bytesRead).toBeGreaterThan(0);
    expect(JSON.parse(fs.readFileSync(first.stateFile, 'utf8'))).toMatchObject({ completed: false, rows_done: 80 });

    const notices: string[] = [];
    const second = await runImport({ input, url: t.url, apiKey: KEY_B, batchSize: 40 }, { onNotice: (m) => notices.push(m) });
    expect(second).toMatchObject({
      status: 'completed',
      rows: ROWS - 80,
      skipped: 80,
      accepted: GOOD_ROWS - 78,
      rejected: ROWS - GOOD_ROWS - 2,
      total: { rows: ROWS, accepted: GOOD_ROWS, rejected: ROWS - GOOD_ROWS },
    });
    expect(notices.some((n) => n.startsWith('continuing after row 80'))).toBe(true);
    // The rejects of both runs, each row once.
    expect(readRejects(second.rejectsFile!).map((r) => r.row)).toEqual([50, 77, 150, 200, 250]);

    const firstRow = await waitFor(async () => {
      const p = await profileOf(KEY_B, emailOf('r', 1));
      return p?.aggregates.events_count === 1 ? p : null;
    }, 20_000, 'the profile of row 1 with its event');
    await waitFor(async () => (await profileOf(KEY_B, emailOf('r', ROWS)))?.aggregates.events_count === 1, 20_000, 'the profile of the last row');
    expect(firstRow.traits.loyalty_number).toBe('L-1');

    // Importing the whole file again sends every row again: the server counts each once.
    const restarted = await runImport({ input, url: t.url, apiKey: KEY_B, batchSize: 200, restart: true }, {});
    expect(restarted).toMatchObject({ status: 'completed', rows: ROWS, skipped: 0, accepted: GOOD_ROWS, total: { accepted: GOOD_ROWS } });
    await new Promise((r) => setTimeout(r, 3000));
    for (const i of [1, 41, 120, ROWS]) {
      expect((await profileOf(KEY_B, emailOf('r', i))).aggregates.events_count).toBe(1);
    }
    // The other tenant's import of the same people is another set of profiles.
    expect(await profileOf(KEY_A, emailOf('r', 1))).toBeNull();
  });

  it('imports NDJSON with --map overrides and rejects lines that are not JSON objects', async () => {
    const input = path.join(dir, 'contacts.ndjson');
    const people = [1, 2, 3, 4, 5].map((n) =>
      JSON.stringify({
        crmRef: `N-${n}`,
        contactEmail: `zoe.nd${n}@mail.test`,
        Handy: `+1 212 555 01${String(n).padStart(2, '0')}`,
        fname: n === 1 ? 'Zoë' : `Person ${n}`,
        lname: 'Ndlovu',
        tags: ['vip', 'beta'],
        score: 12 + n,
        lifecycle: 'member',
        updated: '2026-02-01T08:00:00+01:00',
      }),
    );
    const lines = [people[0], people[1], '{"crmRef": "N-bad", ', '', people[2], '[1, 2]', people[3], people[4]];
    fs.writeFileSync(input, `${lines.join('\n')}\n`);
    const summary = await runImport({
      input,
      url: t.url,
      apiKey: KEY_A,
      map: ['crmRef=id,contactEmail=email', 'Handy=phone, fname=first_name,lname=last_name,lifecycle=lifecycle_stage,updated=occurred_at'],
    });
    expect(summary).toMatchObject({ status: 'completed', format: 'ndjson', rows: 7, accepted: 5, rejected: 2 });
    expect(summary.mapping).toContain('crmRef→source_record_id');
    expect(summary.mapping).toContain('score→traits.score');
    const rejects = readRejects(summary.rejectsFile!);
    expect(rejects.map((r) => [r.row, r.errors[0]!.message])).toEqual([
      [3, 'the line is not valid JSON'],
      [5, 'the line is not a JSON object'],
    ]);
    expect(rejects[0]!.record).toBe('{"crmRef": "N-bad", ');

    const profile = await waitFor(() => profileOf(KEY_A, 'zoe.nd1@mail.test'), 20_000, 'the NDJSON profile');
    expect(profile.traits).toMatchObject({ first_name: 'Zoë', last_name: 'Ndlovu', score: '13' });
    expect(profile.source_ids.crm).toEqual(['N-1']);
    expect(profile.phones).toEqual(['+12125550101']);
  });

  it('reads a semicolon-separated export and maps its columns from --map', async () => {
    const input = path.join(dir, 'kunden.csv');
    fs.writeFileSync(input, 'Kundennummer;E-Mail;Vorname;Handy\nK-1;kunde1@mail.test;Jürgen;+1 646 555 0101\nK-2;kunde2@mail.test;"Anna; Maria";\n');
    const summary = await runImport({ input, url: t.url, apiKey: KEY_A, map: 'Kundennummer=id,Vorname=first_name,Handy=phone' });
    expect(summary).toMatchObject({ status: 'completed', rows: 2, accepted: 2, rejected: 0, rejectsFile: null });
    const profile = await waitFor(() => profileOf(KEY_A, 'kunde2@mail.test'), 20_000, 'the profile of K-2');
    expect(profile.traits.first_name).toBe('Anna; Maria');
    expect(profile.source_ids.crm).toEqual(['K-2']);
  });

  it('stops before sending when no column holds an identifier, or --map names a missing column', async () => {
    const input = path.join(dir, 'names.csv');
    fs.writeFileSync(input, 'First Name,City\nAnn,Oakland\n');
    await expect(runImport({ input, url: t.url, apiKey: KEY_A })).rejects.toThrow(/no column holds an identifier/);
    fs.writeFileSync(input, 'Email,City\nann.x@mail.test,Oakland\n');
    await expect(runImport({ input, url: t.url, apiKey: KEY_A, map: 'Mobil=phone' })).rejects.toThrow(/--map names columns the header does not have: "Mobil"/);
    await expect(runImport({ input, url: t.url, apiKey: 'not_a_key_at_all' })).rejects.toThrow(/refused the API key \(401/);
  });

  it('runs as `c360 import` with a summary on stdout and no personal data in its output', async () => {
    const input = path.join(dir, 'cli.csv');
    fs.writeFileSync(input, crmExport('a'));
    const { code, stdout, stderr } = await runCli(['import', '--input', input, '--url', t.url, '--batch', '100'], { C360_API_KEY: KEY_A });
    expect(code).toBe(0);
    expect(stdout).toContain(`accepted:   ${GOOD_ROWS}`);
    expect(stdout).toContain(`rejects:    ${input}.rejects.ndjson`);
    expect(stdout).toContain('/identity the row has no identifier');
    for (const output of [stdout, stderr]) {
      expect(output).not.toMatch(/@mail\.test|555|Chloé|Müller/);
    }
  });
});

function runCli(args: string[], env: Record<string, string>, onStart?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve('bin/c360.js'), ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}

/** A stand-in for POST /v1/events whose answers the test decides. */
async function standIn(answer: (events: { event_id: string }[], request: number) => { status: number; headers?: Record<string, string>; body?: unknown } | Promise<{ status: number; headers?: Record<string, string>; body?: unknown }>) {
  let requests = 0;
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', async () => {
      const events = (JSON.parse(text) as { events: { event_id: string }[] }).events;
      const reply = await answer(events, ++requests);
      if (reply.status === 200) received.push(...events.map((e) => e.event_id));
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.body ?? {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const acceptAll = (events: { event_id: string }[]) => ({
  status: 200,
  body: { accepted: events.length, rejected: 0, results: events.map((e, index) => ({ index, event_id: e.event_id, status: 'accepted' })) },
});

describe('c360 import against a stand-in server', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'c360-import-refusals-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const contacts = (name: string, n: number) => {
    const input = path.join(dir, name);
    const rows = Array.from({ length: n }, (_, i) => `C-${i + 1},person${i + 1}@mail.test`);
    fs.writeFileSync(input, `id,email\n${rows.join('\n')}\n`);
    return input;
  };

  it('retries a batch answered 503 or 429 with Retry-After', async () => {
    const server = await standIn((events, request) =>
      request === 1 ? { status: 503, headers: { 'retry-after': '0' } } : request === 2 ? { status: 429, headers: { 'retry-after': '0' } } : acceptAll(events),
    );
    try {
      const summary = await runImport({ input: contacts('retry.csv', 10), url: server.url, apiKey: 'k', retryBaseMs: 5 });
      expect(summary).toMatchObject({ status: 'completed', accepted: 10 });
      expect(server.requests()).toBe(3);
    } finally {
      await server.close();
    }
  });

  it('stops after its tries with the state saved, and the next run continues after the answered batches', async () => {
    const input = contacts('outage.csv', 25);
    let up = true;
    const server = await standIn((events, request) => (up || request <= 2 ? acceptAll(events) : { status: 503, headers: { 'retry-after': '0' } }));
    try {
      up = false;
      const error = await runImport({ input, url: server.url, apiKey: 'k', batchSize: 10, maxAttempts: 3, retryBaseMs: 5 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImportError);
      expect((error as ImportError).message).toMatch(/rows 21-25 were not accepted after 3 tries: the server answered 503/);
      expect((error as ImportError).summary).toMatchObject({ total: { rows: 20, accepted: 20 } });

      up = true;
      const summary = await runImport({ input, url: server.url, apiKey: 'k', batchSize: 10 });
      expect(summary).toMatchObject({ status: 'completed', rows: 5, skipped: 20, accepted: 5, total: { rows: 25, accepted: 25 } });
      expect(new Set(server.received).size).toBe(25);
    } finally {
      await server.close();
    }
  });

  it('continues an NDJSON import from the byte offset of the rows done', async () => {
    const input = path.join(dir, 'resume.ndjson');
    const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify({ id: `J-${i + 1}`, email: `json${i + 1}@mail.test`, note: 'ü'.repeat(i) }));
    lines.splice(12, 0, '');
    fs.writeFileSync(input, `\uFEFF${lines.join('\r\n')}`);
    const server = await standIn(acceptAll);
    try {
      const controller = new AbortController();
      const first = await runImport(
        { input, url: server.url, apiKey: 'k', batchSize: 10 },
        { signal: controller.signal, onProgress: () => controller.abort() },
      );
      expect(first).toMatchObject({ status: 'interrupted', rows: 10, accepted: 10 });
      const second = await runImport({ input, url: server.url, apiKey: 'k', batchSize: 10 });
      expect(second).toMatchObject({ status: 'completed', rows: 15, skipped: 10, accepted: 15, rejected: 0 });
      expect(server.received).toHaveLength(25);
      expect(new Set(server.received).size).toBe(25);
    } finally {
      await server.close();
    }
  });

  it('sends the rows before a broken quote, rejects rows with a wrong number of fields, and stops at the quote', async () => {
    const input = path.join(dir, 'broken.csv');
    fs.writeFileSync(input, 'id,email,name\n1,a@mail.test,Ann\n2,b@mail.test,Bob,extra\n3,c@mail.test\n4,"d@mail.test,Dan\n5,e@mail.test,Eve\n');
    const server = await standIn(acceptAll);
    try {
      const error = await runImport({ input, url: server.url, apiKey: 'k' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImportError);
      expect((error as ImportError).message).toMatch(/^the CSV cannot be read after data row 3: Quote Not Closed/);
      expect((error as ImportError).summary).toMatchObject({ total: { rows: 3, accepted: 1, rejected: 2 } });
      expect(server.received).toHaveLength(1);
      expect(readRejects(`${input}.rejects.ndjson`)).toEqual([
        { row: 2, errors: [{ path: '/', message: 'has 4 fields where the header has 3; check the quoting of this row' }], record: { id: '2', email: 'b@mail.test', name: 'Bob', _extra: ['extra'] } },
        { row: 3, errors: [{ path: '/', message: 'has 2 fields where the header has 3; check the quoting of this row' }], record: { id: '3', email: 'c@mail.test' } },
      ]);
    } finally {
      await server.close();
    }
  });

  it('halves a batch the server finds too large', async () => {
    const server = await standIn((events) => (events.length > 3 ? { status: 413, body: { error: 'payload_too_large' } } : acceptAll(events)));
    try {
      const summary = await runImport({ input: contacts('large.csv', 10), url: server.url, apiKey: 'k' });
      expect(summary).toMatchObject({ status: 'completed', accepted: 10 });
      expect(new Set(server.received).size).toBe(10);
    } finally {
      await server.close();
    }
  });

  it('gives the same event IDs to the same rows on every run', async () => {
    const server = await standIn(acceptAll);
    try {
      const input = contacts('ids.csv', 5);
      await runImport({ input, url: server.url, apiKey: 'k' });
      await runImport({ input, url: server.url, apiKey: 'k', restart: true });
      expect(server.received.slice(0, 5)).toEqual(server.received.slice(5));
      expect(new Set(server.received).size).toBe(5);
    } finally {
      await server.close();
    }
  });

  it('exits 130 on Ctrl-C after the batch in flight, with the state saved', async () => {
    const server = await standIn(async (events) => {
      await new Promise((r) => setTimeout(r, 100));
      return acceptAll(events);
    });
    try {
      const input = contacts('sigint.csv', 2000);
      const result = await runCli(['import', '--input', input, '--url', server.url, '--key', 'k', '--batch', '10'], {}, (child) => {
        const timer = setInterval(() => {
          if (server.requests() >= 3) {
            clearInterval(timer);
            child.kill('SIGINT');
          }
        }, 20);
      });
      expect(result.code).toBe(130);
      expect(result.stdout).toMatch(/interrupted after row \d+; run the same command again/);
      const state = JSON.parse(fs.readFileSync(`${input}.c360-import.json`, 'utf8'));
      expect(state.completed).toBe(false);
      expect(state.rows_done).toBe(server.received.length);
      expect(state.rows_done % 10).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe('rows to envelopes', () => {
  it('reads the timestamps of CRM exports', () => {
    expect(parseTimestamp('2026-01-31T09:30:00Z')).toBe('2026-01-31T09:30:00.000Z');
    expect(parseTimestamp('2026-01-31T09:30:00+02:00')).toBe('2026-01-31T07:30:00.000Z');
    expect(parseTimestamp('2026-01-31 09:30')).toBe('2026-01-31T09:30:00.000Z');
    expect(parseTimestamp('2026-01-31 09:30:15.250')).toBe('2026-01-31T09:30:15.250Z');
    expect(parseTimestamp('2026/01/31')).toBe('2026-01-31T00:00:00.000Z');
    expect(parseTimestamp('1769851800')).toBe('2026-01-31T09:30:00.000Z');
    expect(parseTimestamp('1769851800000')).toBe('2026-01-31T09:30:00.000Z');
    for (const bad of ['next Tuesday', '31/01/2026', '01/31/2026', '2026-02-30', '2026-13-01', '2026-01-31 25:00', '']) {
      expect([bad, parseTimestamp(bad)]).toEqual([bad, null]);
    }
  });

  it('finds the delimiter of the header line', () => {
    expect(sniffDelimiter('\uFEFFa,b,c\n1;2;3')).toBe(',');
    expect(sniffDelimiter('a;b;"c,d"\n')).toBe(';');
    expect(sniffDelimiter('a\tb\tc\r\n')).toBe('\t');
    expect(sniffDelimiter('email\n')).toBe(',');
  });

  it('builds the envelope: identity, traits, upper-cased lifecycle stage, tags; and a stable event_id', () => {
    const mapping = detectColumns(['Contact ID', 'Email', 'First Name', 'Lifecycle Stage', 'Tags', 'Status', 'Loyalty Number']);
    const person = readPerson(mapping, ['C-1', 'ann@mail.test', 'Ann', 'customer', 'a|b', 'active', 'L-1']);
    const context = { row: 3, type: 'contact_updated', defaultOccurredAt: '2026-03-01T00:00:00.000Z' };
    const built = envelopeOf(person, context);
    expect('envelope' in built && built.envelope).toEqual({
      event_id: expect.stringMatching(/^import-[0-9a-f]{40}$/),
      source: 'crm',
      type: 'contact_updated',
      occurred_at: '2026-03-01T00:00:00.000Z',
      identity: { source_record_id: 'C-1', email: 'ann@mail.test' },
      traits: { first_name: 'Ann', loyalty_number: 'L-1' },
      properties: { lifecycle_stage: 'CUSTOMER', status: 'active', tags: ['a', 'b'] },
    });
    const id = (b: ReturnType<typeof envelopeOf>) => ('envelope' in b ? b.envelope.event_id : null);
    // The same record at another row, or imported at another time: the same event.
    expect(id(envelopeOf(person, { ...context, row: 9, defaultOccurredAt: '2027-01-01T00:00:00.000Z' }))).toBe(id(built));
    // Another content or another type: another event.
    expect(id(envelopeOf(readPerson(mapping, ['C-1', 'ann@mail.test', 'Anne', 'customer', 'a|b', 'active', 'L-1']), context))).not.toBe(id(built));
    expect(id(envelopeOf(person, { ...context, type: 'contact_created' }))).not.toBe(id(built));
    // Without a record ID the row number tells two equal rows apart.
    const noId = readPerson(detectColumns(['Email']), ['ann@mail.test']);
    expect(id(envelopeOf(noId, { ...context, row: 1 }))).not.toBe(id(envelopeOf(noId, { ...context, row: 2 })));
  });

  it('rejects a row with no identifier and a row with a time it cannot read, naming the paths', () => {
    const mapping = detectColumns(['First Name', 'Email', 'Updated At']);
    expect(envelopeOf(readPerson(mapping, ['Ann', '', '2026-01-01']), { row: 1, type: 't', defaultOccurredAt: '' })).toEqual({
      errors: [{ path: '/identity', message: 'the row has no identifier: no record ID, auth user ID, email or phone' }],
    });
    const both = envelopeOf(readPerson(mapping, ['Ann', '', 'soon']), { row: 1, type: 't', defaultOccurredAt: '' });
    expect('errors' in both && both.errors.map((e) => e.path)).toEqual(['/identity', '/occurred_at']);
  });
});
