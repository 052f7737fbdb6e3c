import fs from 'node:fs';
import path from 'node:path';
import { ImportError } from './types.ts';

/**
 * The API key: the given one, C360_API_KEY, or the embedded mode's dev key file. Only reads the
 * dev key file: app/runtime.ts writes it when the embedded server starts without keys.
 */
export function resolveApiKey(options: { apiKey?: string; env?: NodeJS.ProcessEnv; dataDir?: string }): string {
  const env = options.env ?? process.env;
  if (options.apiKey) return options.apiKey;
  if (env.C360_API_KEY) return env.C360_API_KEY;
  const file = path.resolve(options.dataDir ?? env.C360_DATA_DIR ?? '.c360', 'dev-api-key');
  try {
    const key = fs.readFileSync(file, 'utf8').trim();
    if (key) return key;
  } catch {
    // no dev key: the message below says what to do
  }
  throw new ImportError(`no API key: pass --key, set C360_API_KEY, or start the server in embedded mode (it writes ${file})`);
}
