// Writes the igvm-measure(1) man page to dist/man/igvm-measure.1 (run by `npm run build` after
// tsc): generated from the commands' option tables and help texts by dist/src/cli/man.js, the
// same text `igvm-measure man` prints.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { COMMANDS } = await import('../dist/src/cli/run.js');
const { commandTable } = await import('../dist/src/cli/command-table.js');
const { manPage } = await import('../dist/src/cli/man.js');
const out = join(root, 'dist', 'man', 'igvm-measure.1');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, manPage(await commandTable(COMMANDS)));
