/**
 * §9 `extension` ({ parse, format }) and `subprotocol` ({ parse }), exported since ws 8.20:
 * ws's parsing results (null-prototype maps), every SyntaxError message with its index, and the
 * same answers as the real ws for the same inputs.
 */
import test from 'ava';
import { allNullPrototype, extension, subprotocol } from './helpers-internals.ts';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// ws's own parsers (not exported by path in ws's package "exports", so loaded by file).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wsExtension = require('../node_modules/ws/lib/extension.js') as typeof extension;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const wsSubprotocol = require('../node_modules/ws/lib/subprotocol.js') as typeof subprotocol;

const np = <T extends object>(value: T): T => Object.assign(Object.create(null), value);

test('extension.parse parses a single extension into null-prototype maps', (t) => {
  const parsed = extension.parse('foo');
  t.deepEqual(parsed, np({ foo: [np({})] }));
  t.true(allNullPrototype(parsed));
  t.is(Object.getPrototypeOf(parsed), null);
});

test('extension.parse collects repeated params and values in order', (t) => {
  const parsed = extension.parse('foo;bar;baz=1;bar=2');
  t.deepEqual(parsed, np({ foo: [np({ bar: [true, '2'], baz: ['1'] })] }));
  t.true(allNullPrototype(parsed));
});

test('extension.parse parses several extensions and repeated offers', (t) => {
  const parsed = extension.parse('foo,bar;baz,foo;baz');
  t.deepEqual(parsed, np({ foo: [np({}), np({ baz: [true] })], bar: [np({ baz: [true] })] }));
  t.deepEqual(Object.keys(parsed), ['foo', 'bar']);
  t.true(allNullPrototype(parsed));
});

test('extension.parse unquotes and unescapes quoted values', (t) => {
  t.deepEqual(extension.parse('foo;bar="hi"'), np({ foo: [np({ bar: ['hi'] })] }));
  t.deepEqual(extension.parse('foo;bar="\\0"'), np({ foo: [np({ bar: ['0'] })] }));
  t.deepEqual(extension.parse('foo;bar="b\\a\\z"'), np({ foo: [np({ bar: ['baz'] })] }));
  t.deepEqual(extension.parse('foo;bar="b\\az";bar'), np({ foo: [np({ bar: ['baz', true] })] }));
});

test('extension.parse rejects text after a closing quote with the index', (t) => {
  t.throws(() => extension.parse('foo;bar="baz"qux'), { instanceOf: SyntaxError, message: 'Unexpected character at index 13' });
  t.throws(() => extension.parse('foo;bar="baz" qux'), { instanceOf: SyntaxError, message: 'Unexpected character at index 14' });
});

test('extension.parse keeps names equal to Object.prototype keys as plain keys', (t) => {
  const parsed = extension.parse('hasOwnProperty, toString');
  t.deepEqual(Object.keys(parsed), ['hasOwnProperty', 'toString']);
  t.true(Array.isArray(parsed['hasOwnProperty']));
  t.true(Array.isArray(parsed['toString']));
  const params = extension.parse('foo;constructor')['foo']![0]!;
  t.deepEqual(params['constructor'], [true]);
  t.true(allNullPrototype(params));
});

test('extension.parse makes __proto__ an own key without touching prototypes', (t) => {
  const parsed = extension.parse('__proto__;__proto__=1, constructor;__proto__');
  t.deepEqual(Object.keys(parsed), ['__proto__', 'constructor']);
  t.is(Object.getPrototypeOf(parsed), null);
  t.deepEqual(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value, [np({ ['__proto__']: ['1'] })]);
  t.deepEqual(Object.getOwnPropertyDescriptor(parsed['constructor']![0]!, '__proto__')?.value, [true]);
  t.true(allNullPrototype(parsed));
  t.is(({} as Record<string, unknown>)['1'], undefined);
});

test('extension.parse ignores optional white space around tokens', (t) => {
  const header = 'foo; bar\t; \tbaz=1\t ;  bar="1"\t\t, \tqux\t ;norf';
  t.deepEqual(extension.parse(header), np({ foo: [np({ bar: [true, '1'], baz: ['1'] })], qux: [np({ norf: [true] })] }));
});

const unexpected: [string, number, string][] = [
  // empty names
  [',', 0, 'empty'],
  ['foo,,', 4, 'empty'],
  ['foo,  ,', 6, 'empty'],
  ['foo;=', 4, 'empty'],
  ['foo; =', 5, 'empty'],
  ['foo;;', 4, 'empty'],
  ['foo; ;', 5, 'empty'],
  ['foo;bar=,', 8, 'empty'],
  ['foo;bar=""', 9, 'empty'],
  // misplaced white space
  [' foo', 0, 'white space'],
  ['f oo', 2, 'white space'],
  ['foo;ba r', 7, 'white space'],
  ['foo;bar =', 8, 'white space'],
  ['foo;bar= ', 8, 'white space'],
  ['foo;bar=ba z', 11, 'white space'],
  // invalid token characters
  ['f@o', 1, 'token'],
  ['f\\oo', 1, 'token'],
  ['"foo"', 0, 'token'],
  ['f"oo"', 1, 'token'],
  ['foo;b@r', 5, 'token'],
  ['foo;b\\ar', 5, 'token'],
  ['foo;"bar"', 4, 'token'],
  ['foo;b"ar"', 5, 'token'],
  ['foo;bar=b@z', 9, 'token'],
  ['foo;bar=b\\az ', 9, 'token'],
  ['foo;bar="b@z"', 10, 'token'],
  ['foo;bar="baz;"', 12, 'token'],
  ['foo;bar=b"az"', 9, 'token'],
  ['foo;bar="\\\\"', 10, 'token'],
  ['foo;bar=é', 8, 'token'],
];

test('extension.parse throws SyntaxError "Unexpected character at index N" for each bad header', (t) => {
  for (const [header, index, why] of unexpected) {
    const err = t.throws(() => extension.parse(header), { instanceOf: SyntaxError }, `${why}: ${JSON.stringify(header)}`);
    t.is(err?.message, `Unexpected character at index ${index}`, JSON.stringify(header));
    t.throws(() => wsExtension.parse(header), { message: `Unexpected character at index ${index}` }, 'oracle agrees');
  }
});

test('extension.parse throws SyntaxError "Unexpected end of input" for truncated headers', (t) => {
  for (const header of ['', 'foo ', 'foo\t', 'foo, ', 'foo;', 'foo;bar ', 'foo;bar,', 'foo;bar; ', 'foo;bar=', 'foo;bar="baz', 'foo;bar="1\\', 'foo;bar="baz" ']) {
    t.throws(() => extension.parse(header), { instanceOf: SyntaxError, message: 'Unexpected end of input' }, JSON.stringify(header));
  }
});

test('extension.parse agrees with ws on valid real-world headers', (t) => {
  for (const header of [
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; client_max_window_bits=10; server_no_context_takeover, permessage-deflate',
    'x-webkit-deflate-frame, permessage-deflate; server_max_window_bits="12"',
    'a;b=1;c="2";d, e;f="g\\h"',
  ]) {
    t.deepEqual(extension.parse(header), wsExtension.parse(header), header);
  }
});

test('extension.format formats a single extension, params and repeated values', (t) => {
  t.is(extension.format({ foo: {} }), 'foo');
  t.is(extension.format({ foo: { bar: [true, 2], baz: 1 } }), 'foo; bar; bar=2; baz=1');
  t.is(extension.format({ foo: [{}, { baz: true }], bar: { baz: true } }), 'foo, foo; baz, bar; baz');
});

test('extension.format round-trips what extension.parse returns', (t) => {
  const header = 'permessage-deflate; client_max_window_bits=10; server_no_context_takeover, foo';
  t.is(extension.format(extension.parse(header)), header);
  t.is(extension.format(extension.parse(header)), wsExtension.format(wsExtension.parse(header)));
});

test('subprotocol.parse returns a Set in offer order', (t) => {
  t.deepEqual(subprotocol.parse('foo'), new Set(['foo']));
  const set = subprotocol.parse('foo,bar,baz');
  t.true(set instanceof Set);
  t.deepEqual([...set], ['foo', 'bar', 'baz']);
});

test('subprotocol.parse ignores optional white space', (t) => {
  t.deepEqual([...subprotocol.parse('foo , bar\t, \tbaz\t ,  qux\t\t,norf')], ['foo', 'bar', 'baz', 'qux', 'norf']);
});

test('subprotocol.parse throws SyntaxError with the index of an unexpected character', (t) => {
  for (const [header, index] of [
    [',', 0],
    ['foo,,', 4],
    ['foo,  ,', 6],
    ['f oo', 2],
    [' foo', 0],
    ['f@o', 1],
    ['f\\oo', 1],
    ['foo,b@r', 5],
    ['foo;bar', 3],
  ] as const) {
    t.throws(() => subprotocol.parse(header), { instanceOf: SyntaxError, message: `Unexpected character at index ${index}` }, header);
    t.throws(() => wsSubprotocol.parse(header), { message: `Unexpected character at index ${index}` }, `oracle: ${header}`);
  }
});

test('subprotocol.parse rejects duplicates naming the protocol', (t) => {
  for (const header of ['foo,foo,bar', 'foo,bar,foo', 'foo , foo']) {
    t.throws(() => subprotocol.parse(header), { instanceOf: SyntaxError, message: 'The "foo" subprotocol is duplicated' }, header);
  }
});

test('subprotocol.parse throws "Unexpected end of input" for truncated headers', (t) => {
  for (const header of ['', 'foo ', 'foo, ', 'foo,bar ', 'foo,bar,', 'foo\t']) {
    t.throws(() => subprotocol.parse(header), { instanceOf: SyntaxError, message: 'Unexpected end of input' }, JSON.stringify(header));
  }
});

test('subprotocol.parse and extension.parse reject a long hostile header at the right index', (t) => {
  // A backtracking parser would not finish within the test timeout on this input.
  const header = 'a'.repeat(200_000) + ' '.repeat(200_000) + '@';
  t.throws(() => subprotocol.parse(header), { instanceOf: SyntaxError, message: 'Unexpected character at index 400000' });
  t.throws(() => extension.parse(header), { instanceOf: SyntaxError, message: 'Unexpected character at index 400000' });
});
