/** Requests of the main thread to the read API (part 3): JSON in and out over a keep-alive agent of its own. */
import http from 'node:http';
import { API_KEY } from './constants.ts';

export interface Api {
  /** `method route` with `body` as JSON; the answer's status and body (parsed when JSON, else the text). */
  request(method: string, route: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Closes the agent's sockets. */
  destroy(): void;
}

/** An API client of the server at `baseUrl` (the runtime's URL). */
export function createApi(baseUrl: string): Api {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const url = new URL(baseUrl);
  const request = (method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: route,
          method,
          agent,
          headers: { authorization: `Bearer ${API_KEY}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: response.statusCode ?? 0, body: parsed });
          });
          response.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  };
  return { request, destroy: () => agent.destroy() };
}
