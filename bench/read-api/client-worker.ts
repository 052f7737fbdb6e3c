/**
 * The source of the lookup client's worker thread (CommonJS, run with `eval`): open-loop lookups
 * at a fixed rate, closed-loop capacity, and streamed segment exports over a keep-alive agent.
 * A worker, so that building requests and reading answers does not take turns with the server on
 * the main thread's event loop (an external client would not).
 */
export const WORKER_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const fs = require('node:fs');
const { port, apiKey, profiles, maxSockets } = workerData;
const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
const headers = { authorization: 'Bearer ' + apiKey };

// mulberry32: the same people in every run of a seed.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Half by email, half by phone, in the formats a checkout would send (normalized by the API).
function lookupPaths(count, seed) {
  const random = seeded(seed);
  const paths = new Array(count);
  for (let k = 0; k < count; k++) {
    const i = Math.floor(random() * profiles);
    if (random() < 0.5) {
      paths[k] = '/v1/profiles?email=' + encodeURIComponent('Person' + i + '@Mail.test');
    } else {
      const digits = String(2000000 + (i % 7000000)).padStart(7, '0');
      paths[k] = '/v1/profiles?phone=' + encodeURIComponent('(415) ' + digits.slice(0, 3) + '-' + digits.slice(3));
    }
  }
  return paths;
}

// At its deadline a request still waiting for one of the agent's sockets is dropped, never
// sent; one already sent is waited for and marked late. Abandoning sent requests would not
// spare the server their work, and the agent would open new sockets meanwhile: the server
// would pile up work without bound. So at most maxSockets requests are ever at the server.
function get(path, deadline) {
  return new Promise((resolve) => {
    let settled = false, sent = false, late = false;
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers }, (response) => {
      response.on('data', () => {});
      response.on('end', () => finish({ status: response.statusCode, late }));
      response.on('error', (error) => finish({ status: 0, late, error: String(error.message) }));
    });
    request.on('socket', () => { sent = true; });
    const timer = setTimeout(() => {
      if (sent) {
        late = true;
        return;
      }
      finish({ status: 0, dropped: true });
      request.destroy();
    }, Math.max(0, deadline - now()));
    request.on('error', (error) => finish({ status: 0, late, error: String(error.message) }));
  });
}

// Open loop: request k is due at start + k / rps whatever happened to the ones before it.
function lookups({ seconds, rps, seed, timeoutMs }) {
  const total = Math.max(1, Math.round(seconds * rps));
  const paths = lookupPaths(total, seed);
  const interval = 1000 / rps;
  const latencies = new Float64Array(total);
  const statuses = {};
  let next = 0, finished = 0, ok = 0, errors = 0, dropped = 0, late = 0, firstError = null, lastOkEnd = 0, maxAnswered = 0, maxLag = 0;
  const start = now() + 20;
  return new Promise((resolve) => {
    const report = setInterval(() => parentPort.postMessage({ type: 'progress', sent: next, finished, errors }), 1000);
    const fire = (k) => {
      const scheduled = start + k * interval;
      maxLag = Math.max(maxLag, now() - scheduled);
      get(paths[k], scheduled + timeoutMs).then((result) => {
        const end = now();
        if (result.dropped) {
          dropped++;
          latencies[k] = Infinity;
        } else {
          if (result.late) late++;
          latencies[k] = end - scheduled;
          maxAnswered = Math.max(maxAnswered, end - scheduled);
          statuses[result.status] = (statuses[result.status] || 0) + 1;
          if (result.status === 200) {
            ok++;
            lastOkEnd = Math.max(lastOkEnd, end);
          } else {
            errors++;
            if (firstError === null) firstError = result.error ? result.error : 'HTTP ' + result.status + ' for ' + paths[k];
          }
        }
        if (++finished === total) {
          clearInterval(report);
          resolve({ total, ok, errors, dropped, late, firstError, statuses, start, lastOkEnd, maxAnswered, maxScheduleLagMs: maxLag, latencies });
        }
      });
    };
    const tick = () => {
      const t = now();
      while (next < total && start + next * interval <= t) fire(next++);
      if (next < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 15);
  });
}

// Closed loop: each of the concurrency clients sends its next request when the last is answered,
// for the given seconds: the most the server answers, and the latency at that load.
async function capacity({ seconds, concurrency, seed }) {
  const paths = lookupPaths(200000, seed);
  const latencies = [];
  let next = 0, ok = 0, errors = 0, firstError = null;
  const start = now();
  const end = start + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (now() < end) {
      const t = now();
      const result = await get(paths[next++ % paths.length], t + 600000);
      latencies.push(now() - t);
      if (result.status === 200) ok++;
      else {
        errors++;
        if (firstError === null) firstError = result.error || 'HTTP ' + result.status;
      }
    }
  }));
  return { seconds: (now() - start) / 1000, ok, errors, firstError, latencies };
}

function rssNow() {
  return process.memoryUsage.rss();
}

// A streamed export: rows counted as the body arrives; RSS of the process sampled meanwhile.
function exportOnce({ path }) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    let firstByte = null, bytes = 0, newlines = 0, peakSampled = rssNow();
    const sampler = setInterval(() => { peakSampled = Math.max(peakSampled, rssNow()); }, 20);
    const request = http.get({ host: '127.0.0.1', port, path, agent, headers }, (response) => {
      if (response.statusCode !== 200) {
        clearInterval(sampler);
        let text = '';
        response.on('data', (c) => { text += c; });
        response.on('end', () => reject(new Error('GET ' + path + ' answered ' + response.statusCode + ': ' + text.slice(0, 300))));
        return;
      }
      response.on('data', (chunk) => {
        if (firstByte === null) firstByte = now() - t0;
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) newlines++;
      });
      response.on('end', () => {
        clearInterval(sampler);
        peakSampled = Math.max(peakSampled, rssNow());
        resolve({ seconds: (now() - t0) / 1000, firstByteMs: firstByte, bytes, lines: newlines, peakSampledRss: peakSampled });
      });
      response.on('error', (error) => { clearInterval(sampler); reject(error); });
    });
    request.on('error', (error) => { clearInterval(sampler); reject(error); });
  });
}

parentPort.on('message', (message) => {
  const work = message.type === 'lookups' ? lookups(message) : message.type === 'capacity' ? capacity(message) : exportOnce(message);
  work.then(
    (result) => parentPort.postMessage({ type: 'done', id: message.id, result }, ArrayBuffer.isView(result.latencies) ? [result.latencies.buffer] : []),
    (error) => parentPort.postMessage({ type: 'error', id: message.id, message: String((error && error.stack) || error) }),
  );
});
parentPort.postMessage({ type: 'ready' });
`;
