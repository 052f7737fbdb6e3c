/** The HTTP load generator's code, run in a worker thread: keep-alive node:http clients posting batches. */

// The HTTP clients. Plain JavaScript, evaluated as a CommonJS worker.
export const CLIENT_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { url, apiKey, templates, placeholder, batch } = workerData;
const http = require('node:http');
// node:http with keep-alive: a lighter client than fetch, so that the load generator, which
// shares the machine's cores with the server, takes as little CPU as it can.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const target = new URL(url + '/v1/events');
function post(body) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
        headers: { authorization: 'Bearer ' + apiKey, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode, text }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
/** The counts at the start of an answer, {"accepted":N,"rejected":M,...}; the whole answer is read only when something was rejected. */
const HEAD = /^\{"accepted":(\d+),"rejected":(\d+),/;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const parts = templates.map((t) => t.split(placeholder));
let sequence = 0;

async function measure({ tag, startAt, warmupMs, windowMs, clients }) {
  const from = startAt + warmupMs;
  const until = from + windowMs;
  const latencies = [];
  let events = 0, requests = 0, rejected = 0, status429 = 0, status503 = 0, otherFailures = 0, firstProblem = null;
  let eluStart = null, eluEnd = null;
  const t1 = setTimeout(() => (eluStart = performance.eventLoopUtilization()), Math.max(0, from - now()));
  const t2 = setTimeout(() => (eluEnd = performance.eventLoopUtilization()), Math.max(0, until - now()));
  const progress = setInterval(() => parentPort.postMessage({ type: 'progress', inWindow: events }), 500);
  const problem = (text) => { if (firstProblem === null) firstProblem = text; };
  async function client() {
    while (now() < until) {
      const n = sequence++;
      const body = parts[n % parts.length].join(tag + '-' + n);
      const started = now();
      let status, text;
      try {
        ({ status, text } = await post(body));
      } catch (error) {
        otherFailures++;
        problem('request failed: ' + (error && error.cause ? error.cause.message : error && error.message));
        await sleep(100);
        continue;
      }
      const ended = now();
      const counted = ended >= from && ended <= until;
      if (status === 200) {
        const head = HEAD.exec(text);
        const answer = head && Number(head[2]) === 0 ? { accepted: Number(head[1]), rejected: 0 } : JSON.parse(text);
        if (answer.rejected > 0 || answer.accepted !== batch) {
          if (counted) rejected += answer.rejected;
          problem('200 with ' + answer.rejected + ' rejected, e.g. ' + JSON.stringify(answer.results.find((r) => r.status === 'rejected')));
        }
        if (counted) {
          events += answer.accepted;
          requests++;
          latencies.push(ended - started);
        }
        continue;
      }
      if (status === 429) status429++;
      else if (status === 503) status503++;
      else otherFailures++;
      problem(status + ': ' + text.slice(0, 400));
      // Back off a little, as a client honouring Retry-After would, without idling the bench.
      await sleep(status === 429 || status === 503 ? 50 : 200);
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  clearInterval(progress);
  clearTimeout(t1);
  clearTimeout(t2);
  const elu = eluStart && eluEnd ? performance.eventLoopUtilization(eluEnd, eluStart).utilization : null;
  return { events, requests, latencies, rejected, status429, status503, otherFailures, firstProblem, clientThreadElu: elu };
}

parentPort.on('message', (message) => {
  if (message.type !== 'measure') return;
  measure(message).then(
    (result) => parentPort.postMessage({ type: 'done', result }),
    (error) => parentPort.postMessage({ type: 'error', message: String((error && error.stack) || error) }),
  );
});
parentPort.postMessage({ type: 'ready' });
`;
