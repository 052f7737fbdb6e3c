#!/usr/bin/env node
// The one entry point: every mode and tool of Customer 360 is a subcommand.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../app/cli.ts');
await main(process.argv);
