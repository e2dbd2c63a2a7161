import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { canonicalJson, compareCodePoints, pythonFloatRepr } from './canonical-json';

const hasPython = spawnSync('python3', ['--version']).status === 0;
const itWithPython = hasPython ? it : it.skip;

// Runs the seed's exact json.dumps call over many documents in one python3 process. Results come
// back ASCII-escaped so nothing is lost crossing the pipe; null marks a document Python refused.
function pythonCanonical(texts: string[]): (string | null)[] {
  const script = [
    'import json, sys',
    'out = []',
    'for t in json.loads(sys.stdin.read()):',
    '    try:',
    '        out.append(json.dumps(json.loads(t), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False))',
    '    except Exception:',
    '        out.append(None)',
    'sys.stdout.write(json.dumps(out))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString()) as (string | null)[];
}

function oursOrNull(text: string): string | null {
  try {
    return canonicalJson(text);
  } catch {
    return null;
  }
}

describe('canonicalJson', () => {
  it('sorts keys and drops whitespace', () => {
    expect(canonicalJson('{ "b": 1, "a": [true, false, null] }')).toBe('{"a":[true,false,null],"b":1}');
  });

  it('keeps floats apart from integers as Python does', () => {
    expect(canonicalJson('[2.0, 2, 100.0, 0.5, -3.25, 1e-05, 0.0001, 1e+16, 1E5, 1.5e300]')).toBe(
      '[2.0,2,100.0,0.5,-3.25,1e-05,0.0001,1e+16,100000.0,1.5e+300]',
    );
  });

  it('writes integers exactly at any size and normalises -0', () => {
    expect(canonicalJson('[-0, 123456789012345678901234567890, -0.0, 1e-400]')).toBe(
      '[0,123456789012345678901234567890,-0.0,0.0]',
    );
  });

  it('uses the shortest round-trip digits for floats', () => {
    expect(canonicalJson('[0.1, 0.30000000000000004, 1.00000000000000001, 123456789.123456789]')).toBe(
      '[0.1,0.30000000000000004,1.0,123456789.12345679]',
    );
  });

  it('switches to exponent form where Python repr does', () => {
    expect(pythonFloatRepr(9999999999999998)).toBe('9999999999999998.0');
    expect(pythonFloatRepr(1e16)).toBe('1e+16');
    expect(pythonFloatRepr(0.0001)).toBe('0.0001');
    expect(pythonFloatRepr(0.00001234)).toBe('1.234e-05');
    expect(pythonFloatRepr(5e-324)).toBe('5e-324');
    expect(pythonFloatRepr(-1.7976931348623157e308)).toBe('-1.7976931348623157e+308');
  });

  it('refuses numbers that overflow a float (allow_nan=False)', () => {
    expect(() => canonicalJson('{"x": 1e400}')).toThrow(/out of range/);
    expect(() => canonicalJson('{"x": NaN}')).toThrow(/invalid JSON/);
  });

  it('escapes only quote, backslash and control characters, keeping non-ASCII raw', () => {
    expect(canonicalJson('"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\\/ é 😀"')).toBe(
      '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f\u007f/ é 😀"',
    );
  });

  it('sorts keys by code point, not UTF-16 unit', () => {
    expect(canonicalJson('{"😀": 6, "\uffff": 5, "é": 4, "B": 3, "a": 2, "b": 1}')).toBe(
      '{"B":3,"a":2,"b":1,"é":4,"\uffff":5,"😀":6}',
    );
    expect(['😀', '\uffff'].sort(compareCodePoints)).toEqual(['\uffff', '😀']);
  });

  it('lets the last duplicate key win', () => {
    expect(canonicalJson('{"a": 1, "a": 2.0, "b": {"c": 1, "c": [1]}}')).toBe('{"a":2.0,"b":{"c":[1]}}');
  });

  it('omits top-level keys only', () => {
    expect(canonicalJson('{"signature":"x","a":{"signature":1}}', { omitTopLevelKeys: ['signature'] })).toBe(
      '{"a":{"signature":1}}',
    );
  });

  it('keeps a __proto__ key as data', () => {
    expect(canonicalJson('{"__proto__": {"x": 1}, "a": 1}')).toBe('{"__proto__":{"x":1},"a":1}');
  });

  itWithPython('matches python3 on hand-picked documents', () => {
    const texts = [
      '{"z":[1,2.50,-0.0,1e-7,1e22,12345678901234567890123],"é":"\\u00e9\\ud83d\\ude00","\\u0000":null}',
      '[0.1,0.2,0.3,1.7976931348623157e308,2.2250738585072014e-308,4.9e-324,123e-20,-5E+2]',
      '{"k":"tab\\there\\u001b\\u2028\\u2029","a":{"b":{"c":{}}},"A":[]}',
      ' [ 1 , "x" , { } ] ',
      '{"a":1,"a":{"b":2},"a":[3]}',
      '1e400',
      '[1,]',
    ];
    expect(texts.map(oursOrNull)).toEqual(pythonCanonical(texts));
  });

  itWithPython('matches python3 on many random documents', () => {
    const texts = fc.sample(jsonText(), { numRuns: 1500, seed: 20260101 });
    const expected = pythonCanonical(texts);
    const mismatches = texts
      .map((text, i) => ({ text, ours: oursOrNull(text), python: expected[i] }))
      .filter((r) => r.ours !== r.python);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });
});

// Random JSON text (not values): the point is to exercise number tokens, escapes, whitespace and
// duplicate keys exactly as they appear on the wire.
function jsonText(): fc.Arbitrary<string> {
  const ws = fc.constantFrom('', ' ', '\n', '\t ', '\r\n');
  const digits = fc.stringMatching(/^[0-9]{1,25}$/);
  const intToken = fc.oneof(
    fc.constantFrom('0', '-0', '7', '-3', '9007199254740993', '-123456789012345678901234567890'),
    digits.map((d) => d.replace(/^0+(?=\d)/, '')),
  );
  const floatToken = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => String(x)),
    fc
      .tuple(fc.boolean(), intToken, fc.option(digits), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 330 }))))
      .filter(([, , frac, exp]) => frac !== null || exp !== null)
      .map(([neg, int, frac, exp]) => {
        const body = int.replace(/^-/, '');
        return `${neg ? '-' : ''}${body}${frac !== null ? `.${frac}` : ''}${exp ? `${exp[0]}${exp[1]}${exp[2]}` : ''}`;
      }),
  );
  const char = fc.oneof(
    fc.constantFrom('a', 'b', 'Z', ' ', 'é', '\uffff', '\ue000', '😀', '𝄞', '中', '\u007f', '\u2028'),
    fc.constantFrom('\\"', '\\\\', '\\/', '\\n', '\\t', '\\b', '\\f', '\\r', '\\u0000', '\\u001F', '\\u00e9', '\\ud83d\\ude00', '\\uFFFF'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c >= ' ' && c !== '"' && c !== '\\'),
  );
  const str = fc.array(char, { maxLength: 8 }).map((cs) => `"${cs.join('')}"`);
  const key = fc.oneof(fc.constantFrom('"a"', '"b"', '"B"', '"é"', '"\uffff"', '"😀"', '"\\u00e9"', '""'), str);
  const { value } = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom('true', 'false', 'null'),
      intToken,
      floatToken,
      str,
      // Non-empty arrays: lossless-json treats [] and {} as the same duplicate value (see module).
      fc.tuple(ws, fc.array(fc.tuple(tie('value'), ws), { minLength: 1, maxLength: 4 })).map(
        ([w, items]) => `[${w}${items.map(([v, w2]) => `${v}${w2}`).join(',')}]`,
      ),
      fc.array(fc.tuple(key, ws, tie('value')), { maxLength: 5 }).map(
        (entries) => `{${entries.map(([k, w, v]) => `${k}${w}:${w}${v}`).join(',')}}`,
      ),
    ),
  }));
  return fc.tuple(ws, value, ws).map(([a, v, b]) => `${a}${v}${b}`);
}
