/**
 * Typings: code written against `@types/ws` compiles unchanged against ferrows' `index.d.ts`
 * (CommonJS) and `index.d.mts` (ESM, module nodenext), our additions compile against our types
 * through the package's "exports" map, and a type error is reported (so the harness can fail).
 * Each program is first compiled against @types/ws itself as a sanity check.
 */
import test from 'ava';
import { join } from 'node:path';
import { CJS, compile, mapWs, NODENEXT, OURS_CJS, OURS_ESM, project, resolvedFiles, ROOT, TYPES_WS_CJS, TYPES_WS_ESM } from './helpers-types.ts';
import { ADDITIONS, APP_CJS, APP_ESM, APP_IMPORT_EQUALS, NEGATIVE } from './types-fixtures.ts';

// Each compilation loads @types/node and takes a few seconds; keep them sequential.
const ESM_PKG = '{"name":"consumer","private":true,"type":"module"}';

for (const [label, source] of [
  ['default import with esModuleInterop', APP_CJS],
  ['import = require', APP_IMPORT_EQUALS],
] as const) {
  test.serial(`a CommonJS program typed against @types/ws (${label}) compiles against @types/ws and against ferrows`, (t) => {
    const { dir, cleanup } = project({ 'app.ts': source });
    try {
      const sanity = compile(dir, ['app.ts'], { ...CJS, ...mapWs(TYPES_WS_CJS) });
      t.deepEqual(sanity, [], 'valid against @types/ws');
      const files = resolvedFiles(dir, ['app.ts'], { ...CJS, ...mapWs(OURS_CJS) });
      t.true(files.includes(OURS_CJS), 'ws resolved to ferrows index.d.ts');
      t.false(files.some((f) => f.includes('@types/ws')), '@types/ws was not loaded');
      t.deepEqual(compile(dir, ['app.ts'], { ...CJS, ...mapWs(OURS_CJS) }), [], 'valid against ferrows');
    } finally {
      cleanup();
    }
  });
}

test.serial('an ES module typed against @types/ws compiles against @types/ws and against ferrows index.d.mts (nodenext)', (t) => {
  const { dir, cleanup } = project({ 'app.mts': APP_ESM, 'package.json': ESM_PKG });
  try {
    t.deepEqual(compile(dir, ['app.mts'], { ...NODENEXT, ...mapWs(TYPES_WS_ESM) }), [], 'valid against @types/ws');
    const files = resolvedFiles(dir, ['app.mts'], { ...NODENEXT, ...mapWs(OURS_ESM) });
    t.true(files.includes(OURS_ESM), 'ws resolved to ferrows index.d.mts');
    t.deepEqual(compile(dir, ['app.mts'], { ...NODENEXT, ...mapWs(OURS_ESM) }), [], 'valid against ferrows');
  } finally {
    cleanup();
  }
});

test.serial('the same programs compile when importing "ferrows" by name through the exports map (CJS and ESM)', (t) => {
  const { dir, cleanup } = project(
    {
      'cjs/app.ts': APP_CJS.replace("from 'ws'", "from 'ferrows'"),
      'cjs/package.json': '{"name":"cjs","private":true,"type":"commonjs"}',
      'esm/app.mts': APP_ESM.replaceAll("from 'ws'", "from 'ferrows'"),
      'package.json': ESM_PKG,
    },
    { linkPackage: true },
  );
  try {
    t.deepEqual(compile(dir, ['cjs/app.ts'], { ...CJS }), [], 'node10 resolution through "types"');
    t.deepEqual(compile(dir, ['cjs/app.ts'], { ...NODENEXT }), [], 'nodenext, CommonJS consumer (require condition)');
    const esmFiles = resolvedFiles(dir, ['esm/app.mts'], { ...NODENEXT });
    t.true(esmFiles.includes(OURS_ESM), 'the import condition picks index.d.mts');
    t.deepEqual(compile(dir, ['esm/app.mts'], { ...NODENEXT }), [], 'nodenext, ES module consumer (import condition)');
  } finally {
    cleanup();
  }
});

test.serial('a program using our additions compiles against our types (ESM and CommonJS)', (t) => {
  const cjsVersion = ADDITIONS.replace(
    /import WebSocket, \{([^}]*)\} from 'ferrows';/,
    "import WebSocket = require('ferrows');\nconst {$1} = WebSocket;\ntype WebSocketStream = InstanceType<typeof WebSocketStream>;",
  );
  const { dir, cleanup } = project(
    { 'esm/additions.mts': ADDITIONS, 'cjs/additions.ts': cjsVersion, 'package.json': ESM_PKG, 'cjs/package.json': '{"type":"commonjs"}' },
    { linkPackage: true },
  );
  try {
    t.deepEqual(compile(dir, ['esm/additions.mts'], { ...NODENEXT }), []);
    t.deepEqual(compile(dir, ['cjs/additions.ts'], { ...CJS }), []);
  } finally {
    cleanup();
  }
});

test.serial('the additions are not in @types/ws (so the previous test checks our declarations)', (t) => {
  const { dir, cleanup } = project({ 'additions.mts': ADDITIONS.replaceAll("'ferrows'", "'ws'"), 'package.json': ESM_PKG });
  try {
    const errors = compile(dir, ['additions.mts'], { ...NODENEXT, ...mapWs(TYPES_WS_ESM) });
    t.true(errors.some((e) => /WebSocketStream/.test(e)), errors.join('\n'));
    t.true(errors.some((e) => /closeTimeout|maxPendingAutoPongs|protocols/.test(e)), errors.join('\n'));
  } finally {
    cleanup();
  }
});

test.serial('type errors are reported: named Server value import under ESM and misuse of the API', (t) => {
  const { dir, cleanup } = project({ 'bad.mts': NEGATIVE, 'package.json': ESM_PKG }, { linkPackage: true });
  try {
    const errors = compile(dir, ['bad.mts'], { ...NODENEXT });
    const codes = new Set(errors.map((e) => /TS(\d+)/.exec(e)?.[1]));
    t.true(errors.some((e) => /bad\.mts:3:.*'Server' only refers to a type/.test(e)), `named Server is type-only:\n${errors.join('\n')}`);
    t.true(codes.has('2322') || codes.has('2769'), 'handshakeTimeout: string and readyState: string are rejected');
    t.true(errors.some((e) => e.includes('bad.mts:5:')), 'send() without data is rejected');
    t.true(errors.some((e) => e.includes('bad.mts:6:')), 'close() with a string code is rejected');
    t.true(errors.some((e) => e.includes('bad.mts:7:')), 'readyState is not a string');
    t.true(errors.length >= 5);
  } finally {
    cleanup();
  }
});

test.serial('index.d.ts and index.d.mts are themselves free of errors with full library checking', (t) => {
  t.deepEqual(compile(ROOT, ['index.d.ts'], { ...CJS }), []);
  const { dir, cleanup } = project({ 'only.mts': "export * from 'ferrows';\nexport { default } from 'ferrows';\n", 'package.json': ESM_PKG }, { linkPackage: true });
  try {
    t.deepEqual(compile(dir, ['only.mts'], { ...NODENEXT }), []);
    t.deepEqual(compile(dir, ['only.mts'], { ...NODENEXT, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] }), [], 'also with the DOM library loaded');
  } finally {
    cleanup();
  }
  t.truthy(join(ROOT, 'index.d.mts'));
});
