/**
 * The CLI dispatcher: picks the command, parses its options with `util.parseArgs`, runs it,
 * and turns every error into a message and an exit code (DESIGN.md, "Command line"). Bad
 * input never surfaces as a stack trace.
 */
import { parseArgs } from 'node:util';
import '../node/backends.js';
import { withInputRegistry } from '../node/input-registry.js';
import { declaredInputs } from './declared-inputs.js';
// The error classes come from their own small modules, not the layers' indexes: a command loads
// only the layers it uses (certificates and CBOR only for evidence and release commands).
import { CodedError } from '../format/coded-error.js';
import { IgvmFormatError } from '../format/errors.js';
import { MeasurementError } from '../measure/errors.js';
import { defaultHashBackend, defaultKernels } from '../measure/hash-default.js';
import { EvidenceError } from '../evidence/errors.js';
import { SignError } from '../sign/errors.js';
import { CorimError } from '../sign/corim-errors.js';
import { FirmwareError } from '../firmware/errors.js';
import type { CliIo, Command } from './command.js';
import { EXIT_INVALID_INPUT, EXIT_OK, EXIT_USAGE, InputReadError, UsageError } from './errors.js';
import { stringify } from './json.js';
import { didYouMean } from './suggest.js';
import { VERSION } from './version.js';

/** A command as the dispatcher knows it before loading it: its name, its summary and its module. */
export interface CommandEntry {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Left out of the general help and of completion (generated-document commands). */
  readonly hidden?: boolean;
  load(): Promise<Command>;
}

/**
 * Every command, in the order `--help` lists them. Each module is imported only when its
 * command runs, so `inspect` does not load X.509, CBOR or the evidence layer.
 */
export const COMMANDS: readonly CommandEntry[] = [
  { name: 'inspect', summary: 'show the headers of an IGVM file', load: async () => (await import('./inspect.js')).inspectCommand },
  { name: 'measure', summary: 'compute the SEV-SNP, TDX and VBS launch measurements of an IGVM file', load: async () => (await import('./measure.js')).measureCommand },
  { name: 'report', summary: 'show or verify an SEV-SNP attestation report or a TDX quote', load: async () => (await import('./report.js')).reportCommand },
  { name: 'compare', summary: 'check hardware evidence against the measurement an IGVM file should produce', load: async () => (await import('./compare.js')).compareCommand },
  { name: 'sign', summary: 'add a signed SEV-SNP ID block to an IGVM file (or emit the bytes to sign elsewhere)', load: async () => (await import('./sign.js')).signCommand },
  { name: 'verify', summary: "check a file's SNP ID blocks and CoRIM signatures against its recomputed digests", load: async () => (await import('./verify.js')).verifyCommand },
  { name: 'reference', summary: 'reference values of an IGVM file as JSON or launch-measurement CoRIM', load: async () => (await import('./reference.js')).referenceCommand },
  { name: 'embed', summary: 'store a CoRIM document and its COSE_Sign1 signature in an IGVM file', load: async () => (await import('./embed.js')).embedCommand },
  { name: 'completion', summary: 'print a bash or zsh completion script', load: async () => (await import('./completion.js')).completionCommand },
  { name: 'man', summary: 'print the man page (roff)', hidden: true, load: async () => (await import('./man.js')).manCommand },
];

function generalHelp(): string {
  const listed = COMMANDS.filter((c) => c.hidden !== true);
  const width = Math.max(...listed.map((c) => c.name.length));
  return `Usage: igvm-measure <command> [options]

Read, validate and measure IGVM (Independent Guest Virtual Machine) files.

Commands:
${listed.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help      show this help
  -V, --version   print the version and the hash kernels in use

Run 'igvm-measure <command> --help' (or 'igvm-measure help <command>') for a command's options.
Every command takes --json for one JSON document on stdout.

Exit codes: 0 success, 1 invalid input, 2 usage error, 3 a check failed.
`;
}

/** Runs the CLI with `argv` (without the node and script paths); returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr(generalHelp());
    return EXIT_USAGE;
  }
  if (name === 'help' && rest[0] !== undefined) {
    // `help <command>` is `<command> --help`.
    const entry = COMMANDS.find((c) => c.name === rest[0]);
    if (entry === undefined) return unknownCommand(rest[0], io);
    io.stdout(`${(await entry.load()).help}\n`);
    return EXIT_OK;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(generalHelp());
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    // Which hash kernels this process measures with: the native addon, or the JS fallback.
    io.stdout(`${VERSION}\nkernels: ${defaultKernels.name}; hash: ${defaultHashBackend.name}\n`);
    return EXIT_OK;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (entry === undefined) return unknownCommand(name, io);
  const command = await entry.load();
  let json = false;
  try {
    let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
    rejectRepeatedOptions(rest, command.options);
    try {
      parsed = parseArgs({
        args: [...rest],
        options: { ...command.options, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      throw new UsageError(optionProblem(rest, command.options) ?? (e as Error).message);
    }
    if (parsed.values.help === true) {
      io.stdout(`${command.help}\n`);
      return EXIT_OK;
    }
    json = parsed.values.json === true;
    return await withInputRegistry(() => command.run({ values: parsed.values, positionals: parsed.positionals }, io), declaredInputs(parsed));
  } catch (e) {
    return reportError(e, command, json, io);
  }
}

/** An unknown command (or option in the command's place): usage error, with the closest command. */
function unknownCommand(name: string, io: CliIo): number {
  const what = name.startsWith('-') ? 'option' : 'command';
  const names = what === 'option' ? ['--help', '-h', '--version', '-V'] : [...COMMANDS.map((c) => c.name), 'help'];
  io.stderr(`igvm-measure: unknown ${what} '${name}'${didYouMean(name, names)}\nRun 'igvm-measure --help' for the commands.\n`);
  return EXIT_USAGE;
}

/**
 * What is wrong with the arguments, in our words, when `util.parseArgs` refused them: an
 * unknown option (with the closest of the command's options), an option without its value, a
 * flag given a value. `undefined` when the scan finds nothing (then parseArgs' text is used).
 * Scans up to `--`, as parseArgs does.
 */
export function optionProblem(args: readonly string[], commandOptions: Command['options']): string | undefined {
  const options: Command['options'] = { ...commandOptions, help: { type: 'boolean', short: 'h' } };
  const byShort = new Map(Object.entries(options).filter(([, o]) => o.short !== undefined).map(([n, o]) => [o.short!, n]));
  const longNames = Object.keys(options).map((n) => `--${n}`);
  const needsValue = (shown: string, next: string | undefined): string | undefined => {
    if (next === undefined) return `${shown} needs a value`;
    if (next.startsWith('-')) return `${shown} needs a value (write ${shown}=${next} if '${next}' is its value)`;
    return undefined;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const o = options[name];
      if (o === undefined) return `unknown option '--${name}'${didYouMean(`--${name}`, longNames)}`;
      if (o.type === 'boolean' && eq >= 0) return `--${name} takes no value`;
      if (o.type === 'string' && eq < 0) {
        const p = needsValue(`--${name}`, args[i + 1]);
        if (p !== undefined) return p;
        i++;
      }
    } else if (a.length > 1 && a.startsWith('-')) {
      for (let k = 1; k < a.length; k++) {
        const name = byShort.get(a[k]!);
        if (name === undefined) return `unknown option '-${a[k]}'${didYouMean(`-${a[k]}`, [...[...byShort.keys()].map((c) => `-${c}`)])}`;
        if (options[name]!.type === 'string') {
          if (k === a.length - 1) {
            const p = needsValue(`-${a[k]}`, args[i + 1]);
            if (p !== undefined) return p;
            i++;
          }
          break;
        }
      }
    }
  }
  return undefined;
}

/**
 * `util.parseArgs` keeps the last of a repeated single-value option and drops the others
 * silently; a repeated option that takes one value is a usage error instead (`--vcek A --vcek B`
 * would otherwise verify against B without a word). Scans the raw arguments up to `--`.
 */
export function rejectRepeatedOptions(args: readonly string[], options: Command['options']): void {
  const byShort = new Map(Object.entries(options).filter(([, o]) => o.short !== undefined).map(([n, o]) => [o.short!, n]));
  const seen = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    let name: string | undefined;
    let inline = false;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = a.slice(2, eq < 0 ? undefined : eq);
      inline = eq >= 0;
    } else if (/^-[A-Za-z]$/.test(a)) {
      name = byShort.get(a.slice(1));
    }
    const o = name === undefined ? undefined : options[name];
    if (o === undefined || o.type !== 'string' || o.multiple === true) continue;
    if (seen.has(name!)) throw new UsageError(`--${name} is given more than once; it takes one value`);
    seen.add(name!);
    if (!inline) i++; // its value
  }
}

function reportError(e: unknown, command: Command, json: boolean, io: CliIo): number {
  if (e instanceof UsageError) {
    io.stderr(`igvm-measure ${command.name}: ${e.message}\nRun 'igvm-measure ${command.name} --help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (e instanceof IgvmFormatError) {
    const where = e.offset !== undefined ? ` (at byte 0x${e.offset.toString(16)})` : '';
    io.stderr(`igvm-measure ${command.name}: invalid IGVM file: ${e.code}: ${e.message}${where}\n`);
    if (json) io.stdout(stringify({ error: { code: e.code, message: e.message, offset: e.offset ?? null, header_index: e.headerIndex ?? null, upstream: e.upstream } }));
    return EXIT_INVALID_INPUT;
  }
  if (e instanceof FirmwareError) {
    // Host parameters the caller gave are usage errors; everything else is the image's fault.
    const usage = e.code === 'InvalidHostParameter' || e.code === 'UnknownVcpuType';
    const where = e.offset !== undefined ? ` (at byte 0x${e.offset.toString(16)})` : '';
    io.stderr(`igvm-measure ${command.name}: ${usage ? '' : 'invalid firmware image: '}${e.code}: ${e.message}${where}\n`);
    if (json) io.stdout(stringify({ error: e.toJSON() }));
    return usage ? EXIT_USAGE : EXIT_INVALID_INPUT;
  }
  if (e instanceof MeasurementError) {
    // A request the measurement layer refused as a whole (bad option values).
    io.stderr(`igvm-measure ${command.name}: ${e.code}: ${e.message}\n`);
    if (json) io.stdout(stringify({ error: { code: e.code, message: e.message, offset: null } }));
    return EXIT_USAGE;
  }
  if (e instanceof EvidenceError) {
    const where = e.offset !== undefined ? ` (at byte 0x${e.offset.toString(16)})` : '';
    io.stderr(`igvm-measure ${command.name}: invalid evidence: ${e.code}: ${e.message}${where}\n`);
    if (json) io.stdout(stringify({ error: e.toJSON() }));
    return EXIT_INVALID_INPUT;
  }
  if (e instanceof SignError || e instanceof CorimError) {
    // Invalid keys, signatures or CoRIM documents given as input (the commands map their own
    // check failures to exit 3 themselves).
    io.stderr(`igvm-measure ${command.name}: ${e.code}: ${e.message}\n`);
    if (json) io.stdout(stringify({ error: { code: e.code, message: e.message, offset: null } }));
    return e instanceof SignError && e.code === 'BadOption' ? EXIT_USAGE : EXIT_INVALID_INPUT;
  }
  if (e instanceof CodedError && (e.name === 'CcaError' || e.name === 'SnpStepError')) {
    // A CCA or SEV-SNP step list (or trace) that cannot be read or folded (measure/cca.ts,
    // measure/snp-steps.ts; matched by name so that every command need not load them): the
    // input's fault.
    io.stderr(`igvm-measure ${command.name}: invalid step list: ${e.code}: ${e.message}\n`);
    if (json) io.stdout(stringify({ error: { code: e.code, message: e.message, offset: null } }));
    return EXIT_INVALID_INPUT;
  }
  if (e instanceof InputReadError) {
    io.stderr(`igvm-measure ${command.name}: ${e.message}\n`);
    if (json) io.stdout(stringify({ error: { code: e.code, message: e.message, offset: null } }));
    return EXIT_INVALID_INPUT;
  }
  // A bug of ours, not bad input: say so in one line and point at the issue tracker.
  const message = e instanceof Error ? e.message : String(e);
  io.stderr(`igvm-measure ${command.name}: internal error: ${message}\nThis is a bug in igvm-measure; please report it with the input that caused it.\n`);
  if (json) io.stdout(stringify({ error: { code: 'InternalError', message, offset: null } }));
  return EXIT_INVALID_INPUT;
}
