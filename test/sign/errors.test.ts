/**
 * The sign layer's two error types share `CodedError` (DESIGN.md "Errors"): a stable `code`,
 * the message, `instanceof` telling the layers apart, and the JSON shapes the CLI documents
 * (`SignError`: `{code, message}`; `CorimError`: `{code, message, offset}`).
 */
import { describe, expect, it } from 'vitest';
import { CodedError } from '../../src/format/coded-error.js';
import { CorimError } from '../../src/sign/corim-errors.js';
import { SignError } from '../../src/sign/errors.js';

describe('sign errors', () => {
  it('SignError is a CodedError with its code and message, and JSON {code, message}', () => {
    const e = new SignError('WrongCurve', 'not P-384');
    expect(e).toBeInstanceOf(CodedError);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(CorimError);
    expect([e.name, e.code, e.message, e.offset]).toEqual(['SignError', 'WrongCurve', 'not P-384', undefined]);
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'WrongCurve', message: 'not P-384' });
  });

  it('CorimError is a CodedError with JSON {code, message, offset}', () => {
    const e = new CorimError('BadCbor', 'truncated', 7);
    expect(e).toBeInstanceOf(CodedError);
    expect(e).not.toBeInstanceOf(SignError);
    expect(e.name).toBe('CorimError');
    expect(JSON.parse(JSON.stringify(e))).toEqual({ code: 'BadCbor', message: 'truncated', offset: 7 });
    expect(new CorimError('NotCorim', 'x').toJSON()).toEqual({ code: 'NotCorim', message: 'x', offset: null });
  });
});
