/**
 * Test support for the typings tests: compiles small TypeScript projects with the `typescript`
 * package's API (no emit) and returns their diagnostics as readable strings.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const TYPES_WS_CJS = join(ROOT, 'node_modules/@types/ws/index.d.ts');
export const TYPES_WS_ESM = join(ROOT, 'node_modules/@types/ws/index.d.mts');
export const OURS_CJS = join(ROOT, 'index.d.ts');
export const OURS_ESM = join(ROOT, 'index.d.mts');

/** Settings shared by every compilation: strict, Node types only, full checking of .d.ts files. */
const BASE: ts.CompilerOptions = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2022.d.ts'],
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules/@types')],
  skipLibCheck: false,
  noUnusedLocals: false,
};

export const CJS: ts.CompilerOptions = {
  ...BASE,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  esModuleInterop: true,
};

export const NODENEXT: ts.CompilerOptions = {
  ...BASE,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
};

/** A temporary project directory (removed by the returned cleanup). */
export function project(files: Record<string, string>, { linkPackage = false } = {}): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ferrows-types-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  if (linkPackage) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(dir, 'node_modules', 'ferrows'), 'dir');
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Compiles `roots` (relative to `dir`) and returns every diagnostic, formatted. */
export function compile(dir: string, roots: string[], options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(
    roots.map((r) => join(dir, r)),
    options,
  );
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return `TS${d.code}: ${text}`;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName.replace(dir, '<project>')}:${line + 1}:${character + 1} TS${d.code}: ${text}`;
  });
}

/** `paths` mapping the bare specifier `ws` to one declaration file. */
export function mapWs(target: string): ts.CompilerOptions {
  return { paths: { ws: [target] } };
}

/** The source files a compilation resolved `ws` (or `ferrows`) to. */
export function resolvedFiles(dir: string, roots: string[], options: ts.CompilerOptions): string[] {
  const program = ts.createProgram(
    roots.map((r) => join(dir, r)),
    options,
  );
  return program.getSourceFiles().map((f) => f.fileName);
}
