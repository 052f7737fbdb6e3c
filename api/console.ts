/**
 * The console: the web UI of console/ (Preact and htm, no build step) served at /console/ by the
 * same process as the API, its vendor modules from node_modules (no CDN), and GET /v1/me, which
 * tells the signed-in page its key's tenant and role. The pages need no key; every call they
 * make to /v1 sends the one the person signed in with (kept in the browser's session storage).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CONSOLE_DIR = path.join(root, 'console');
/** Where a package is installed (its folder under node_modules; not every package exports its package.json). */
const packageDir = (name: string) => path.join(root, 'node_modules', name);

/** The vendor modules the console's import map names, by the file name it asks for. */
const VENDOR: Record<string, { file: () => string; type: string }> = {
  'preact.mjs': { file: () => path.join(packageDir('preact'), 'dist/preact.mjs'), type: 'text/javascript' },
  'hooks.mjs': { file: () => path.join(packageDir('preact'), 'hooks/dist/hooks.mjs'), type: 'text/javascript' },
  'htm.mjs': { file: () => path.join(packageDir('htm'), 'dist/htm.mjs'), type: 'text/javascript' },
  'uPlot.esm.js': { file: () => path.join(packageDir('uplot'), 'dist/uPlot.esm.js'), type: 'text/javascript' },
  'uPlot.min.css': { file: () => path.join(packageDir('uplot'), 'dist/uPlot.min.css'), type: 'text/css' },
};

export async function registerConsole(app: FastifyInstance): Promise<void> {
  const vendor = new Map(Object.entries(VENDOR).map(([name, v]) => [name, { body: fs.readFileSync(v.file()), type: v.type }]));
  app.get<{ Params: { file: string } }>('/console/vendor/:file', async (request, reply) => {
    const found = vendor.get(request.params.file);
    if (!found) return reply.code(404).send({ error: 'not_found', message: 'no such file' });
    return reply.type(found.type).header('cache-control', 'public, max-age=3600').send(found.body);
  });
  app.get('/console', async (_request, reply) => reply.redirect('/console/'));
  if (fs.existsSync(CONSOLE_DIR)) await app.register(fastifyStatic, { root: CONSOLE_DIR, prefix: '/console/', index: ['index.html'], decorateReply: false, cacheControl: false });

  app.get('/v1/me', async (request) => ({ tenant_id: request.tenantId, role: request.keyRole, key_id: request.keyId }));
}
