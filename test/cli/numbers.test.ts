/**
 * The command line's number rule. Expected readings follow sev-snp-measure, whose cli.py
 * parses --guest-features and the other integers with `auto_base_int(s) = int(s, 0)`: Python's
 * rule, decimal unless 0x/0o/0b prefixed, and a leading-zero decimal such as "021" refused.
 */
import { describe, expect, it } from 'vitest';
import { hexBytesOption, integerOption, smallIntegerOption } from '../../src/cli/numbers.js';
import { UsageError } from '../../src/cli/errors.js';

describe('integerOption', () => {
  it('reads decimal and prefixed numbers as Python int(x, 0) does', () => {
    expect(integerOption('--guest-features', '21')).toBe(21n);
    expect(integerOption('--guest-features', '0x15')).toBe(21n);
    expect(integerOption('--guest-features', '0b10101')).toBe(21n);
    expect(integerOption('--guest-features', '0o25')).toBe(21n);
    expect(integerOption('--x', '0XFF')).toBe(255n);
  });
  it('refuses what is not a number or out of range', () => {
    for (const bad of ['', 'ff', '0x', '1.5', '-1', '1_000', '0b2', '021']) expect(() => integerOption('--x', bad)).toThrow(UsageError);
    expect(() => integerOption('--x', '0x1' + '0'.repeat(16))).toThrow(/between/);
    expect(() => smallIntegerOption('--vcpus', '0', 1)).toThrow(/between 1/);
    expect(smallIntegerOption('--vcpus', '0x10', 1)).toBe(16);
  });
});

describe('hexBytesOption', () => {
  it('reads hex, and with a length refuses a value of another length', () => {
    expect([...hexBytesOption('--m', '0x0aff')]).toEqual([10, 255]);
    expect(() => hexBytesOption('--measurement', '7a1e5c26', 48)).toThrow(/48 bytes \(96 hex digits\), not 4 bytes/);
    expect(() => hexBytesOption('--m', 'abc')).toThrow(UsageError);
    expect(hexBytesOption('--m', 'ab'.repeat(48), 48).length).toBe(48);
  });
});

describe('digestText', () => {
  it('prints hex and base64 as sev-snp-measure print_measurement does (ld.hex() / b64encode)', async () => {
    const { digestText, digestOutputOf } = await import('../../src/cli/digest-output.js');
    // RFC 4648 §10 test vector: "foobar" -> "Zm9vYmFy".
    const foobar = new TextEncoder().encode('foobar');
    expect(digestText(foobar, 'base64')).toBe('Zm9vYmFy');
    expect(digestText(foobar, 'hex')).toBe('666f6f626172');
    expect(digestOutputOf({ quiet: true })).toEqual({ format: 'hex', digestOnly: true });
    expect(() => digestOutputOf({ 'output-format': 'b64' })).toThrow(UsageError);
  });
});
