#!/usr/bin/env -S node --max-semi-space-size=4 --optimize-for-size
/**
 * The `igvm-measure` executable: runs the CLI on the process's arguments and streams.
 *
 * The interpreter line sets two V8 heap flags. Parsing a large file keeps every header alive:
 * with the default 16 MiB semi-spaces and heap growth V8 reserves far more than it uses, which
 * is RSS and nothing else. `--max-semi-space-size=4` caps the young generation and
 * `--optimize-for-size` makes the old generation grow in smaller steps; together they keep a
 * 1 GiB file's measurement under 128 MiB peak RSS at the same CPU time (bench/RESULTS.md,
 * bench/PROFILE.md). The hot loops are native or node:crypto calls, which the flag does not touch.
 */
import { runCli } from './run.js';

// A reader that stops early (`| head`) closes the pipe; that is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTty: process.stderr.isTTY === true,
});
