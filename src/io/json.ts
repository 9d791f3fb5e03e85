/*
 * A strict JSON reader for the headers and metadata of files rnnkit reads. JSON.parse keeps the last
 * of two equal keys, so a crafted file could say one thing to rnnkit and another to other readers;
 * and a key named __proto__ or a deeply nested value are traps for the code that walks the result.
 * This reader refuses all three and otherwise gives exactly what JSON.parse gives.
 */

/** Nesting deeper than this is refused: no file rnnkit writes comes close. */
export const MAX_JSON_DEPTH = 64;

/** Thrown with what is wrong and where; callers add the file's name. */
export class JsonSyntaxError extends Error {}

export function parseStrictJson(text: string): unknown {
  let i = 0;
  const fail = (why: string): never => {
    throw new JsonSyntaxError(`${why} at character ${i}`);
  };
  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return;
    }
  };
  const str = (): string => {
    // i is at the opening quote
    const start = ++i;
    let escaped = false;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in a string');
      if (c === 0x5c) {
        escaped = true;
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape');
      } else i++;
    }
    const raw = text.slice(start, i++);
    return escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
  };
  const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
  const value = (depth: number): unknown => {
    if (depth > MAX_JSON_DEPTH) fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    skip();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      skip();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        skip();
        if (text[i] !== '"') fail('expected a key');
        const key = str();
        if (key === '__proto__') fail(`the key "__proto__" is not allowed`);
        if (Object.hasOwn(obj, key)) fail(`duplicate key ${JSON.stringify(key)}`);
        skip();
        if (text[i] !== ':') fail('expected \':\'');
        i++;
        obj[key] = value(depth + 1);
        skip();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        fail('expected \',\' or \'}\'');
      }
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      skip();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        skip();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        fail('expected \',\' or \']\'');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail(i >= text.length ? 'unexpected end' : `unexpected ${JSON.stringify(text[i])}`);
    i += m[0].length;
    return Number(m[0]);
  };
  const v = value(1);
  skip();
  if (i < text.length) fail('unexpected text after the JSON value');
  return v;
}
