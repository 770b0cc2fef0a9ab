#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * The `igvm-measure` executable: runs the CLI on the process's arguments and streams.
 *
 * The interpreter line caps V8's young generation at 4 MiB per semi-space: parsing a large
 * file keeps every header alive, which makes V8 grow the young generation to its 16 MiB
 * default for nothing but RSS (bench/RESULTS.md: the 1 GiB file stays under 160 MiB).
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
