/** The migrations of each engine, from the folders of the modules that own the tables. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readMigrations } from '../platform/migrate.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const postgresMigrations = () => [
  ...readMigrations(path.join(root, 'platform/migrations'), 'platform'),
  ...readMigrations(path.join(root, 'resolver/migrations'), 'resolver'),
];
export const clickhouseMigrations = () => readMigrations(path.join(root, 'warehouse/migrations'), 'warehouse');
