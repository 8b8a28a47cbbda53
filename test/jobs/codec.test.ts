/**
 * The tagged-JSON value codec (src/jobs/codec.ts): exact round trips of every
 * supported type, strict rejection of everything else with the offending
 * path, and safe, strict decoding of hostile input.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeValue,
  encodeValue,
  encodeValueToJson,
  MAX_NESTING_DEPTH,
} from '../../src/jobs/codec.ts';
import { DeserializationError, SerializationError } from '../../src/jobs/errors.ts';
import { isoInstant } from '../../src/time/format.ts';

/** Encode, go through JSON text, decode. */
function roundTrip(value: unknown): unknown {
  return decodeValue(JSON.parse(JSON.stringify(encodeValue(value))));
}

const TYPED_ARRAY_CTORS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Strict structural equality: Object.is on primitives (so -0 ≠ 0 and NaN = NaN),
 * same prototype for non-plain objects, same own keys in the same order
 * (so an `undefined` property differs from a missing one), Map/Set in order.
 * A null-prototype object equals an ordinary one (documented).
 */
function same(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null)
    return Object.is(a, b);
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return false;
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    return ka.every((k) => same(ra[k], rb[k]));
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (Object.hasOwn(a, i) !== Object.hasOwn(b, i) || !same(a[i], b[i])) return false;
    }
    return true;
  }
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime());
  if (a instanceof Map && b instanceof Map) {
    const ea = [...a];
    const eb = [...b];
    return (
      ea.length === eb.length && ea.every(([k, v], i) => same(k, eb[i]?.[0]) && same(v, eb[i]?.[1]))
    );
  }
  if (a instanceof Set && b instanceof Set) return same([...a], [...b]);
  if (a instanceof ArrayBuffer && b instanceof ArrayBuffer)
    return same(new Uint8Array(a), new Uint8Array(b));
  if (a instanceof DataView && b instanceof DataView)
    return same(
      new Uint8Array(a.buffer, a.byteOffset, a.byteLength),
      new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    );
  if (ArrayBuffer.isView(a) && ArrayBuffer.isView(b)) {
    const xa = a as unknown as ArrayLike<unknown>;
    const xb = b as unknown as ArrayLike<unknown>;
    if (xa.length !== xb.length) return false;
    for (let i = 0; i < xa.length; i++) if (!Object.is(xa[i], xb[i])) return false;
    return true;
  }
  return false;
}

function expectExactRoundTrip(value: unknown): void {
  const back = roundTrip(value);
  if (!same(value, back)) {
    expect.fail(`round trip changed the value: ${String(value)} → ${String(back)}`);
  }
}

function rejection(value: unknown, path = 'args'): string {
  try {
    encodeValue(value, path);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return (error as SerializationError).message;
  }
  return expect.fail('expected a SerializationError');
}

function decodeFailure(json: unknown, path = 'args'): DeserializationError {
  try {
    decodeValue(json, path);
  } catch (error) {
    expect(error).toBeInstanceOf(DeserializationError);
    return error as DeserializationError;
  }
  return expect.fail('expected a DeserializationError');
}

describe('plain JSON stays plain', () => {
  it('leaves strings, finite numbers, booleans, null, arrays and plain objects unchanged', () => {
    const value = { a: 'x', b: 1.5, c: -3, d: true, e: null, f: [1, 'two', [false]], g: { h: {} } };
    expect(encodeValue(value)).toStrictEqual(value);
    expect(JSON.stringify(encodeValue(value))).toBe(JSON.stringify(value));
  });
});

describe('tagged forms', () => {
  it('writes the documented format', () => {
    const encoded = encodeValue([
      new Date(Date.UTC(2025, 0, 1)),
      new Date(Number.NaN),
      12345678901234567890n,
      new Map([['k', new Set([1])]]),
      new Uint8Array([1, 2, 3]),
      undefined,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      { $t: 'user data', x: undefined },
    ]);
    expect(encoded).toStrictEqual([
      { $t: 'Date', v: '2025-01-01T00:00:00.000Z' },
      { $t: 'Date', v: null },
      { $t: 'BigInt', v: '12345678901234567890' },
      { $t: 'Map', v: [['k', { $t: 'Set', v: [1] }]] },
      { $t: 'Uint8Array', v: 'AQID' },
      { $t: 'undefined' },
      { $t: 'Number', v: 'NaN' },
      { $t: 'Number', v: 'Infinity' },
      { $t: 'Number', v: '-Infinity' },
      { $t: 'Number', v: '-0' },
      { $t: 'Object', v: { $t: 'user data', x: { $t: 'undefined' } } },
    ]);
  });

  it('stores multi-byte typed arrays little-endian', () => {
    expect(encodeValue(new Uint16Array([0x0102]))).toStrictEqual({ $t: 'Uint16Array', v: 'AgE=' });
  });
});

describe('exact round trips', () => {
  it.each([
    ['-0', -0],
    ['0', 0],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['MAX_VALUE', Number.MAX_VALUE],
    ['MIN_VALUE', Number.MIN_VALUE],
    ['undefined', undefined],
    ['null', null],
    ['empty string', ''],
    ['unicode string', 'héllo 🌍 \u0000 \ud800'],
  ])('number/primitive %s', (_label, value) => {
    expect(Object.is(roundTrip(value), value)).toBe(true);
  });

  it('BigInt, large and negative', () => {
    for (const n of [0n, -1n, 2n ** 200n, -(2n ** 64n) + 1n]) expect(roundTrip(n)).toBe(n);
  });

  it('Date, including an invalid one and the extremes of the range', () => {
    for (const time of [
      0,
      Date.UTC(2025, 2, 30, 1, 30, 0, 123),
      -8.64e15,
      8.64e15,
      -62198755200000,
    ]) {
      const back = roundTrip(new Date(time));
      expect(back).toBeInstanceOf(Date);
      expect((back as Date).getTime()).toBe(time);
    }
    const invalid = roundTrip(new Date(Number.NaN));
    expect(invalid).toBeInstanceOf(Date);
    expect(Number.isNaN((invalid as Date).getTime())).toBe(true);
  });

  it('Map with keys and values of every kind, in insertion order', () => {
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [1, 'one'],
      [{ k: 1 }, [2]],
      [new Date(5), new Map([[null, undefined]])],
      [Number.NaN, -0],
      [10n, new Set(['x'])],
    ]);
    const back = roundTrip(map);
    expect(back).toBeInstanceOf(Map);
    expect(back).toEqual(map);
    expectExactRoundTrip(map);
  });

  it('Set in insertion order', () => {
    const set = new Set<unknown>([3, 'b', { c: [1] }, undefined, Number.NaN, new Date(0)]);
    expect(roundTrip(set)).toEqual(set);
    expectExactRoundTrip(set);
  });

  it('Uint8Array, only the bytes of its view', () => {
    const backing = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const view = new Uint8Array(backing.buffer, 2, 3);
    const back = roundTrip(view) as Uint8Array;
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...back]).toEqual([1, 2, 3]);
    expect(back.byteOffset).toBe(0);
    expect(back.buffer.byteLength).toBe(3);
    expect(roundTrip(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it.each(TYPED_ARRAY_CTORS.map((C) => [C.name, C] as const))('%s', (_name, Ctor) => {
    const bytes = new Uint8Array(Ctor.BYTES_PER_ELEMENT * 4);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 37 + 11) & 0xff;
    const value = new Ctor(bytes.buffer);
    const back = roundTrip(value);
    expect(Object.getPrototypeOf(back)).toBe(Ctor.prototype);
    expectExactRoundTrip(value);
  });

  it('Float64Array keeps -0 and NaN elements', () => {
    const value = new Float64Array([-0, Number.NaN, Number.POSITIVE_INFINITY, 1.5]);
    const back = roundTrip(value) as Float64Array;
    expect(Object.is(back[0], -0)).toBe(true);
    expect(Number.isNaN(back[1])).toBe(true);
    expectExactRoundTrip(value);
  });

  it('ArrayBuffer, DataView and Buffer', () => {
    const ab = new Uint8Array([1, 2, 255]).buffer;
    expect(new Uint8Array(roundTrip(ab) as ArrayBuffer)).toEqual(new Uint8Array([1, 2, 255]));
    const dv = new DataView(new Uint8Array([0, 4, 5, 0]).buffer, 1, 2);
    const backDv = roundTrip(dv) as DataView;
    expect(backDv).toBeInstanceOf(DataView);
    expect([backDv.getUint8(0), backDv.getUint8(1), backDv.byteLength]).toEqual([4, 5, 2]);
    const buf = Buffer.from('héllo');
    const backBuf = roundTrip(buf);
    expect(Buffer.isBuffer(backBuf)).toBe(true);
    expect((backBuf as Buffer).toString()).toBe('héllo');
  });

  it('undefined as an array item and as a property value (the property is kept)', () => {
    const value = { a: undefined, b: [undefined, 1, undefined] };
    const back = roundTrip(value) as typeof value;
    expect(Object.hasOwn(back, 'a')).toBe(true);
    expect(back.a).toBeUndefined();
    expect(back.b).toHaveLength(3);
    expect(Object.hasOwn(back.b, 0)).toBe(true);
    expectExactRoundTrip(value);
  });

  it('objects that themselves have a "$t" key, at every level', () => {
    const value = {
      $t: 'Date',
      v: '2025-01-01T00:00:00.000Z',
      inner: { $t: 'Object', v: { $t: 'undefined' } },
      list: [{ $t: 'Nope' }],
    };
    const back = roundTrip(value);
    expect(back).toStrictEqual(value);
    expectExactRoundTrip(value);
  });

  it('an object with an own "__proto__" key keeps it as data', () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const back = roundTrip(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.hasOwn(back, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ x: 1 });
    expectExactRoundTrip(value);
  });

  it('shared references are duplicated, not rejected', () => {
    const shared = { n: 1 };
    const back = roundTrip([shared, shared, new Map([[shared, shared]])]) as unknown[];
    expect(back[0]).toEqual(shared);
    expect(back[1]).toEqual(shared);
    expect(back[0]).not.toBe(back[1]);
  });

  it('a null-prototype object decodes as an ordinary object', () => {
    const value = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    const back = roundTrip(value);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back).toEqual({ a: 1 });
  });

  it('large arrays (1e5 items)', () => {
    const value = Array.from({ length: 100_000 }, (_, i) =>
      i % 3 === 0 ? i : i % 3 === 1 ? new Date(i) : { i },
    );
    const back = roundTrip(value) as unknown[];
    expect(back).toHaveLength(100_000);
    expect(back).toEqual(value);
  });
});

function nestedArrays(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}

function nestedJson(levels: number): string {
  return '['.repeat(levels) + ']'.repeat(levels);
}

describe('nesting depth', () => {
  it(`${MAX_NESTING_DEPTH} levels round-trip`, () => {
    expect(MAX_NESTING_DEPTH).toBe(1000);
    const value = nestedArrays(MAX_NESTING_DEPTH);
    expect(roundTrip(value)).toEqual(value);
    let mixed: unknown = 1;
    for (let i = 0; i < MAX_NESTING_DEPTH; i++)
      mixed = i % 3 === 0 ? { k: mixed } : i % 3 === 1 ? new Map([['k', mixed]]) : new Set([mixed]);
    expectExactRoundTrip(mixed);
  });

  it('one level more is rejected with a clear error when encoding', () => {
    expect(rejection(nestedArrays(MAX_NESTING_DEPTH + 1), 'args')).toMatch(
      /^args(\[0\]){1000} is nested more than 1000 levels deep/,
    );
  });

  it('100 000 levels fail cleanly in both directions, with no stack overflow', () => {
    expect(rejection(nestedArrays(100_000))).toMatch(/nested more than 1000 levels deep/);
    const json: unknown = JSON.parse(nestedJson(100_000));
    const error = decodeFailure(json);
    expect(error.message).toMatch(/^args(\[0\]){1000}: nested more than 1000 levels deep/);
    expect(decodeFailure(JSON.parse(nestedJson(MAX_NESTING_DEPTH + 1))).path).toBe(
      `args${'[0]'.repeat(1000)}`,
    );
  });
});

/** `[1, <hole>, 3]` */
function sparseArray(): unknown[] {
  const array: unknown[] = [1];
  array[2] = 3;
  return array;
}

class Point {
  x = 1;
}

describe('values that cannot be represented are rejected with their path', () => {
  it('a function deep inside arguments', () => {
    expect(rejection([1, { options: { callback: () => 1 } }])).toMatch(
      /^args\[1\]\.options\.callback is a function; only JSON values/,
    );
  });

  it.each<[string, () => unknown, RegExp]>([
    ['symbol', () => ({ s: Symbol('x') }), /^args\.s is a symbol/],
    ['class', () => [Point], /^args\[0\] is a class/],
    ['class instance', () => ({ p: new Point() }), /^args\.p is an instance of class Point/],
    ['WeakMap', () => [new WeakMap()], /^args\[0\] is a WeakMap/],
    ['WeakSet', () => [new WeakSet()], /^args\[0\] is a WeakSet/],
    ['Promise', () => [Promise.resolve(1)], /^args\[0\] is a Promise/],
    ['Error', () => [new TypeError('boom')], /^args\[0\] is an Error \(TypeError\)/],
    ['RegExp', () => ({ re: /x/g }), /^args\.re is a RegExp/],
    ['URL', () => ({ u: new URL('https://example.com') }), /^args\.u is a URL/],
    [
      'Date subclass',
      () => [new (class Day extends Date {})()],
      /^args\[0\] is an instance of class Day/,
    ],
    [
      'Map subclass',
      () => [new (class Registry extends Map {})()],
      /^args\[0\] is an instance of class Registry/,
    ],
    [
      'Array subclass',
      () => [new (class List extends Array {})()],
      /^args\[0\] is an instance of an Array subclass/,
    ],
    [
      'Uint8Array subclass',
      () => [new (class Bytes extends Uint8Array {})(2)],
      /^args\[0\] is an instance of class Bytes/,
    ],
    ['SharedArrayBuffer', () => [new SharedArrayBuffer(4)], /^args\[0\] is a SharedArrayBuffer/],
    ['boxed primitive', () => [Object(1)], /^args\[0\] is a Number/],
    [
      'symbol key',
      () => [{ [Symbol('k')]: 1 }],
      /^args\[0\] is an object with a symbol-keyed property \(Symbol\(k\)\)/,
    ],
    [
      'sparse array',
      () => ({ list: sparseArray() }),
      /^args\.list is a sparse array \(index 1 is a hole/,
    ],
    [
      'function in a Map value',
      () => new Map([['cb', () => 1]]),
      /^args\.get\("cb"\) is a function/,
    ],
    ['function as a Map key', () => new Map([[() => 1, 1]]), /^args\.keys\(\)\[0\] is a function/],
    ['function in a Set', () => new Set([1, () => 1]), /^args\.values\(\)\[1\] is a function/],
    [
      'odd property name',
      () => ({ 'my key': { 'x-y': () => 1 } }),
      /^args\["my key"\]\["x-y"\] is a function/,
    ],
    ['inside an escaped "$t" object', () => ({ $t: 1, f: () => 1 }), /^args\.f is a function/],
  ])('%s', (_label, make, message) => {
    expect(rejection(make())).toMatch(message);
  });

  it('cycles, naming where they point', () => {
    const a: Record<string, unknown> = { list: [] };
    (a.list as unknown[]).push(a);
    expect(rejection([a])).toMatch(
      /^args\[0\]\.list\[0\] is a circular reference \(to args\[0\]\)/,
    );
    const m = new Map<string, unknown>();
    m.set('self', m);
    expect(rejection(m)).toMatch(/^args\.get\("self"\) is a circular reference \(to args\)/);
    const s = new Set<unknown>();
    s.add([s]);
    expect(rejection({ s })).toMatch(
      /^args\.s\.values\(\)\[0\]\[0\] is a circular reference \(to args\.s\)/,
    );
  });

  it('errors carry the path', () => {
    try {
      encodeValue({ a: [() => 1] }, 'args');
      expect.fail('expected a throw');
    } catch (error) {
      expect((error as SerializationError).path).toBe('args.a[0]');
    }
  });
});

describe('decoding hostile or malformed input', () => {
  it.each<[string, unknown, RegExp]>([
    [
      'unknown tag',
      { x: [{ $t: 'Temporal', v: 'x' }] },
      /^args\.x\[0\]: unknown type tag "Temporal"/,
    ],
    ['non-string tag', { $t: 1, v: 2 }, /^args: the "\$t" tag is a number/],
    ['extra key', { $t: 'Date', v: null, extra: 1 }, /unexpected key "extra"/],
    ['extra key on undefined', { $t: 'undefined', v: 1 }, /unexpected key "v"/],
    ['missing v', { $t: 'BigInt' }, /tagged BigInt value has no "v"/],
    ['Date of a number', { $t: 'Date', v: 0 }, /tagged Date needs an ISO 8601 instant/],
    [
      'Date without offset',
      { $t: 'Date', v: '2025-01-01T00:00:00' },
      /tagged Date needs an ISO 8601/,
    ],
    ['Date that is not a date', { $t: 'Date', v: 'yesterday' }, /tagged Date needs an ISO 8601/],
    ['impossible Date', { $t: 'Date', v: '2025-13-45T00:00:00Z' }, /is not a valid date/],
    ['BigInt of a decimal', { $t: 'BigInt', v: '1.5' }, /"1\.5" is not an integer/],
    ['BigInt of a number', { $t: 'BigInt', v: 15 }, /needs a string "v", not a number/],
    ['Number of a number', { $t: 'Number', v: '1' }, /"1" is not NaN, Infinity, -Infinity or -0/],
    [
      'Map of an object',
      { $t: 'Map', v: {} },
      /tagged Map value needs an array "v", not an object/,
    ],
    ['Map of a bad entry', { $t: 'Map', v: [[1]] }, /Map entry 0 is not a \[key, value\] pair/],
    ['Set of a string', { $t: 'Set', v: 'abc' }, /needs an array "v"/],
    [
      'Object of an array',
      { $t: 'Object', v: [1] },
      /tagged Object needs an object "v", not an array/,
    ],
    ['bad base64', { $t: 'Uint8Array', v: '***' }, /tagged Uint8Array value is not base64/],
    [
      'misaligned bytes',
      { $t: 'Float64Array', v: 'AQID' },
      /3 bytes is not a whole number of Float64Array elements/,
    ],
    [
      'nested bad value in a Map',
      { $t: 'Map', v: [['k', { $t: '?' }]] },
      /^args\.get\("k"\): unknown type tag "\?"/,
    ],
    ['NaN as a raw number', [Number.NaN], /^args\[0\]: NaN is not a JSON number/],
    ['a function', { f: () => 1 }, /^args\.f: a function is not JSON/],
    ['a raw Date', [new Date(0)], /^args\[0\]: a Date is not JSON/],
    ['raw undefined', [undefined], /^args\[0\]: undefined is not JSON/],
    ['a sparse array', sparseArray(), /index 1 is a hole/],
  ])('%s', (_label, json, message) => {
    expect(decodeFailure(json).message).toMatch(message);
  });

  it('"__proto__" keys never touch a prototype', () => {
    const inputs = [
      '{"__proto__": {"polluted": true}}',
      '{"$t": "Object", "v": {"__proto__": {"polluted": true}, "$t": 1}}',
      '{"$t": "Map", "v": [["__proto__", {"__proto__": {"polluted": true}}]]}',
      '[{"constructor": {"prototype": {"polluted": true}}}]',
    ];
    for (const text of inputs) {
      const value = decodeValue(JSON.parse(text));
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype).not.toHaveProperty('polluted');
      if (!(value instanceof Map) && !Array.isArray(value)) {
        const object = value as Record<string, unknown>;
        expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
        expect(Object.hasOwn(object, '__proto__')).toBe(true);
        expect(object.polluted).toBeUndefined();
      }
    }
    const map = decodeValue(
      JSON.parse('{"$t": "Map", "v": [["__proto__", {"__proto__": {"polluted": true}}]]}'),
    ) as Map<string, Record<string, unknown>>;
    const inner = map.get('__proto__');
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect(inner?.polluted).toBeUndefined();
  });

  it('ignores tag-like data on Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.v = 'polluted';
    try {
      expect(decodeFailure({ $t: 'BigInt' }).message).toMatch(/has no "v"/);
    } finally {
      delete proto.v;
    }
  });
});

// ---------------------------------------------------------------------------
// Property: every supported value round-trips exactly.

const keyArb = fc.oneof(
  { weight: 5, arbitrary: fc.string({ maxLength: 6 }) },
  { weight: 1, arbitrary: fc.constantFrom('$t', 'v', '__proto__', 'constructor', '0', '-1') },
);

const typedArrayArb = fc.oneof(
  fc.uint8Array({ maxLength: 8 }),
  fc.int8Array({ maxLength: 8 }),
  fc.uint8ClampedArray({ maxLength: 8 }),
  fc.int16Array({ maxLength: 8 }),
  fc.uint16Array({ maxLength: 8 }),
  fc.int32Array({ maxLength: 8 }),
  fc.uint32Array({ maxLength: 8 }),
  fc.float32Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 8 }),
  fc.bigInt64Array({ maxLength: 8 }),
  fc.bigUint64Array({ maxLength: 8 }),
);

const leafArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  typedArrayArb,
  fc.uint8Array({ maxLength: 8 }).map((a) => a.buffer),
);

const { value: supportedArb } = fc.letrec<{
  value: unknown;
  array: unknown[];
  object: Record<string, unknown>;
  map: Map<unknown, unknown>;
  set: Set<unknown>;
}>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    tie('array'),
    tie('object'),
    tie('map'),
    tie('set'),
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(keyArb, tie('value'), { maxKeys: 5 }),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((e) => new Map(e)),
  set: fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
}));

describe('round-trip property', () => {
  it('every value built from the supported types round-trips exactly', () => {
    fc.assert(
      fc.property(supportedArb, (value) => same(value, roundTrip(value))),
      { numRuns: 500 },
    );
  });

  it('fc.anything with every supported kind switched on round-trips exactly', () => {
    const anything = fc.anything({
      key: keyArb,
      maxDepth: 4,
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: false,
      withBoxedValues: false,
      withUnicodeString: true,
    });
    fc.assert(
      fc.property(anything, (value) => same(value, roundTrip(value))),
      { numRuns: 500 },
    );
  });

  it('encoding is JSON: stringify → parse changes nothing', () => {
    fc.assert(
      fc.property(supportedArb, (value) => {
        const encoded = encodeValue(value);
        return same(JSON.parse(JSON.stringify(encoded)), encoded);
      }),
      { numRuns: 300 },
    );
  });
});

// ---------------------------------------------------------------------------
// The JSON text shortcuts persistent stores write with.

/** `encodeValueToJson`'s error, or its text. */
function textOrError(write: () => string): string | SerializationError {
  try {
    return write();
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
}

describe('encodeValueToJson', () => {
  const flatArb = fc.array(
    fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.double(),
      fc.integer(),
      fc.constantFrom(-0, 0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-324),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
    ),
    { maxLength: 8 },
  );

  it('writes the same text as JSON.stringify(encodeValue(…)) for flat argument lists', () => {
    fc.assert(
      fc.property(flatArb, (args) => {
        expect(encodeValueToJson(args, 'args')).toBe(JSON.stringify(encodeValue(args, 'args')));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes the same text for any supported value', () => {
    fc.assert(
      fc.property(supportedArb, (value) => {
        expect(encodeValueToJson(value)).toBe(JSON.stringify(encodeValue(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('tags -0, NaN and undefined in a flat list, and refuses holes and array subclasses as encodeValue does', () => {
    expect(encodeValueToJson([1, -0, Number.NaN, undefined, 'x'])).toBe(
      '[1,{"$t":"Number","v":"-0"},{"$t":"Number","v":"NaN"},{"$t":"undefined"},"x"]',
    );
    const holed = [1, 2, 3];
    delete holed[1];
    for (const value of [holed, new (class Args extends Array {})(), [() => 1]]) {
      const fast = textOrError(() => encodeValueToJson(value, 'args'));
      const slow = textOrError(() => JSON.stringify(encodeValue(value, 'args')));
      expect(fast).toBeInstanceOf(SerializationError);
      expect((fast as SerializationError).message).toBe((slow as SerializationError).message);
    }
  });
});

describe('isoInstant', () => {
  it('writes what toISOString writes, for every valid time', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 5000 },
    );
  });

  it('at the edges of days, leap days, years 0 and 9999 and beyond', () => {
    const edges = [
      0,
      -1,
      86_399_999,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2100, 1, 28, 12),
      Date.UTC(2000, 1, 29),
      Date.UTC(0, 0, 1) - 1,
      new Date('0000-01-01T00:00:00.000Z').getTime(),
      new Date('9999-12-31T23:59:59.999Z').getTime(),
      new Date('+010000-01-01T00:00:00.000Z').getTime(),
      -8.64e15,
      8.64e15,
    ];
    for (const ms of edges) {
      // Twice: the second call takes the day it remembered.
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
      expect(isoInstant(ms)).toBe(new Date(ms).toISOString());
    }
  });
});
