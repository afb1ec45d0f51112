/**
 * ws's `extension` helper (`{ parse, format }`, exported since 8.20) over the Rust core's linear
 * `Sec-WebSocket-Extensions` parser. Parsed maps have null prototypes, so names such as
 * `__proto__` or `constructor` are plain keys (npm advisory 550).
 */
import { native } from './native';

/** `{ extensionName: [ { param: [value | true, ...] }, ... ] }` with null-prototype objects. */
export type Extensions = Record<string, Record<string, (string | true)[]>[]>;

/** Parses a `Sec-WebSocket-Extensions` value; throws `SyntaxError` with ws's message. */
export function parse(header: string): Extensions {
  let parsed: { name: string; params: (string | null | undefined)[][] }[];
  try {
    parsed = native.parseExtensions(String(header));
  } catch (err) {
    throw new SyntaxError((err as Error).message);
  }
  const offers: Extensions = Object.create(null);
  for (const { name, params } of parsed) {
    const config: Record<string, (string | true)[]> = Object.create(null);
    for (const [key, value] of params) {
      if (config[key!] === undefined) config[key!] = [];
      config[key!]!.push(value === null || value === undefined ? true : value);
    }
    if (offers[name] === undefined) offers[name] = [];
    offers[name]!.push(config);
  }
  return offers;
}

type Params = Record<string, unknown>;

/** Formats `{ name: params | params[] }` as ws's `extension.format` does. */
export function format(extensions: Record<string, Params | Params[]>): string {
  return Object.keys(extensions)
    .map((extension) => {
      const raw = extensions[extension]!;
      const configurations = Array.isArray(raw) ? raw : [raw];
      return configurations
        .map((params) =>
          [extension]
            .concat(
              Object.keys(params).map((key) => {
                const value = params[key];
                const values = Array.isArray(value) ? value : [value];
                return values.map((v) => (v === true ? key : `${key}=${v}`)).join('; ');
              }),
            )
            .join('; '),
        )
        .join(', ');
    })
    .join(', ');
}
