/**
 * No message, help text or JSON note cites the project's own notes (`spec/*.md`, DESIGN.md, …):
 * they are not shipped, so a user cannot follow the citation. Every string literal and template
 * piece in src/ is read with the TypeScript parser (comments, which may cite them, are not
 * strings) and checked for a `.md` file name other than README.md, which ships with the package.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

const CITATION = /spec\/|\b(?!README\.md\b)[\w-]+\.md\b/;

/** Every string literal and template piece of a file that cites a `.md` note, as `file:line: text`. */
function citations(path: string): string[] {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const isText = ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node);
    const isModuleName = node.parent !== undefined && (ts.isImportDeclaration(node.parent) || ts.isExportDeclaration(node.parent) || ts.isCallExpression(node.parent));
    if (isText && !(isModuleName && /\.js$/.test((node as ts.LiteralLikeNode).text)) && CITATION.test((node as ts.LiteralLikeNode).text)) {
      const line = file.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      found.push(`${path.slice(SRC.length + 1)}:${line}: ${(node as ts.LiteralLikeNode).text.match(CITATION)![0]}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('user-facing strings', () => {
  it('the pattern finds the citations it is meant to find, and not README.md', () => {
    expect(CITATION.test('(firmware-input.md §6.3)')).toBe(true);
    expect(CITATION.test('see spec/snp.md §2.5')).toBe(true);
    expect(CITATION.test('(tdx.md §4.2)')).toBe(true);
    expect(CITATION.test('README.md "Appraisal policy"')).toBe(false);
    expect(CITATION.test('AMD SEV-SNP ABI, pub. 56860')).toBe(false);
  });
  it('cite no spec/*.md (or other unshipped .md) file', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    expect(files.flatMap(citations)).toEqual([]);
  });
});
