/**
 * The value codec of persistent job stores: a tagged JSON that we own, because
 * the stored format is a long-term contract between Horarium versions.
 *
 * Plain JSON values stay plain: strings, finite numbers, booleans, null,
 * arrays and plain objects. What JSON cannot hold becomes a tagged object
 * `{"$t": <tag>, "v": <payload>}`:
 *
 * | value | encoded |
 * |---|---|
 * | `undefined` | `{"$t":"undefined"}` (kept as an array item and as a property value) |
 * | `NaN`, `Infinity`, `-Infinity`, `-0` | `{"$t":"Number","v":"NaN"}` … `{"$t":"Number","v":"-0"}` |
 * | `123n` | `{"$t":"BigInt","v":"123"}` |
 * | `Date` | `{"$t":"Date","v":"2025-01-01T00:00:00.000Z"}`; an invalid date has `"v":null` |
 * | `Map` | `{"$t":"Map","v":[[key, value], …]}`, keys and values encoded recursively |
 * | `Set` | `{"$t":"Set","v":[item, …]}` |
 * | `Uint8Array`, other typed arrays, `ArrayBuffer`, `DataView`, Node `Buffer` | `{"$t":"Uint8Array","v":"<base64>"}` (tag = class name; multi-byte elements little-endian) |
 * | a plain object with its own `"$t"` key | `{"$t":"Object","v":{…its properties, encoded…}}` |
 *
 * Everything else is rejected with a {@link SerializationError} naming the
 * value's type and its path: functions, symbols, class instances (including
 * `Error`, `Promise`, `WeakMap`, `RegExp`, subclasses of the supported
 * classes), cycles, sparse arrays and values nested more than
 * {@link MAX_NESTING_DEPTH} containers deep. Shared (non-cyclic) references
 * are written once per occurrence, so they decode as separate copies.
 *
 * Details that are not kept, as with JSON: non-enumerable and named (non-index)
 * properties of arrays, extra properties of dates, maps, sets and typed arrays,
 * and the null prototype of `Object.create(null)` objects (they decode as
 * ordinary objects).
 *
 * Decoding is strict and safe against hostile input: unknown tags, tagged
 * objects with extra or missing keys, bad payloads, non-JSON values and
 * over-deep nesting throw a {@link DeserializationError} naming the path, and
 * a `"__proto__"` key becomes an own property, never a prototype.
 */
import { Buffer } from 'node:buffer';
import { isoInstant } from '../time/format.ts';
import { DeserializationError, SerializationError } from './errors.ts';

/** A value JSON can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

/**
 * How many containers (arrays, objects, maps, sets) deep a value may nest.
 * Deeper values are rejected, in both directions, with a clear error rather
 * than a stack overflow.
 */
export const MAX_NESTING_DEPTH = 1000;

const TAG = '$t';

const WHAT_IS_SUPPORTED =
  'only JSON values, undefined, non-finite numbers, -0, BigInt, Date, Map, Set, ArrayBuffer, DataView, typed arrays and Buffer can be serialized';

const TYPED_ARRAYS = {
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
} as const;
type TypedArrayName = keyof typeof TYPED_ARRAYS;

const typedArrayByPrototype = new Map<object, TypedArrayName>(
  (Object.keys(TYPED_ARRAYS) as TypedArrayName[]).map((name) => [
    TYPED_ARRAYS[name].prototype,
    name,
  ]),
);

function isTypedArrayName(tag: string): tag is TypedArrayName {
  return Object.hasOwn(TYPED_ARRAYS, tag);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `size`-byte element, in place. */
function swapBytes(bytes: Uint8Array, size: number): void {
  for (let at = 0; at + size <= bytes.length; at += size) {
    bytes.subarray(at, at + size).reverse();
  }
}

/** The view's bytes as base64, multi-byte elements in little-endian order. */
function viewToBase64(view: ArrayBufferView, elementSize: number): string {
  const bytes = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  if (LITTLE_ENDIAN || elementSize === 1) return bytes.toString('base64');
  const copy = Buffer.from(bytes);
  swapBytes(copy, elementSize);
  return copy.toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

// ---------------------------------------------------------------------------
// Paths and descriptions

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * A location inside a value, as a chain of steps from a root name. Steps are
 * small objects, so walking a large value builds no strings; a path is
 * rendered (`args[1].options.callback`) only for an error message.
 */
type Path = string | PathStep;
interface PathStep {
  readonly parent: Path;
  readonly kind: StepKind;
  /** The property name or Map key. */
  readonly key: unknown;
  /** The array index, or the position of a Map entry or Set item. */
  readonly index: number;
}
type StepKind = 'index' | 'property' | 'mapKey' | 'mapValue' | 'setItem';

function stepTo(parent: Path, kind: StepKind, key: unknown, index: number): PathStep {
  return { parent, kind, key, index };
}

/** `m.get("a")` for a primitive key, `m.values()[3]` otherwise. */
function mapValueStep(key: unknown, index: number): string {
  if (typeof key === 'string') return `.get(${JSON.stringify(key)})`;
  if (typeof key === 'number' && Number.isFinite(key) && !Object.is(key, -0)) return `.get(${key})`;
  if (typeof key === 'boolean' || key === null) return `.get(${String(key)})`;
  if (typeof key === 'bigint') return `.get(${key}n)`;
  return `.values()[${index}]`;
}

function renderStep(step: PathStep): string {
  switch (step.kind) {
    case 'index':
      return `[${step.index}]`;
    case 'property': {
      const key = step.key as string;
      return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
    }
    case 'mapKey':
      return `.keys()[${step.index}]`;
    case 'mapValue':
      return mapValueStep(step.key, step.index);
    case 'setItem':
      return `.values()[${step.index}]`;
  }
}

function renderPath(path: Path): string {
  const steps: PathStep[] = [];
  let at = path;
  while (typeof at !== 'string') {
    steps.push(at);
    at = at.parent;
  }
  let out = at;
  for (let i = steps.length - 1; i >= 0; i--) out += renderStep(steps[i] as PathStep);
  return out;
}

function article(word: string): string {
  return /^[AEIO]/i.test(word) ? `an ${word}` : `a ${word}`;
}

function constructorName(proto: object): string | null {
  try {
    const ctor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
    if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '')
      return ctor.name;
  } catch {
    // A hostile proxy: fall through to the generic description.
  }
  return null;
}

/** "a function", "a symbol", "an instance of class Foo", "a Promise", … */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  switch (typeof value) {
    case 'function':
      return /^class[\s{]/.test(Function.prototype.toString.call(value)) ? 'a class' : 'a function';
    case 'symbol':
      return 'a symbol';
    case 'object':
      break;
    default:
      return article(typeof value);
  }
  if (value instanceof Error) return `an Error (${value.name})`;
  if (Array.isArray(value)) return 'an instance of an Array subclass';
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === null || proto === Object.prototype || typeof proto !== 'object') return 'an object';
  const name = constructorName(proto);
  if (name === null) return 'an object with a custom prototype';
  const builtin = (globalThis as Record<string, unknown>)[name];
  if (typeof builtin === 'function' && builtin.prototype === proto) return article(name);
  return `an instance of class ${name}`;
}

function reject(at: Path, what: string): never {
  const path = renderPath(at);
  throw new SerializationError(`${path} is ${what}; ${WHAT_IS_SUPPORTED}`, { path });
}

function malformed(at: Path, problem: string): never {
  const path = renderPath(at);
  throw new DeserializationError(`${path}: ${problem}`, { path });
}

/** Sets an own data property, also for `"__proto__"` (which plain assignment would treat as the prototype). */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  } else {
    target[key] = value;
  }
}

function isStackOverflow(error: unknown): boolean {
  return error instanceof RangeError && /call stack/i.test(error.message);
}

// ---------------------------------------------------------------------------
// Encoding

/**
 * Encodes `value` as a JSON-compatible value (see the module documentation).
 * `path` names the value in error messages, e.g. `'args'`.
 *
 * @throws SerializationError when the value holds something the codec cannot represent.
 */
export function encodeValue(value: unknown, path = 'value'): JsonValue {
  try {
    return encodeNode(value, path, 0, new Map());
  } catch (error) {
    if (isStackOverflow(error))
      throw new SerializationError(
        `${path} is nested too deeply to serialize`,
        { path },
        {
          cause: error,
        },
      );
    throw error;
  }
}

/**
 * `JSON.stringify(encodeValue(value, path))`, the same text, faster for the
 * common case of an array of strings, booleans, nulls and finite numbers
 * (other than -0), which encodes to itself.
 *
 * @throws SerializationError as {@link encodeValue}.
 */
export function encodeValueToJson(value: unknown, path = 'value'): string {
  return flatArrayJson(value) ?? JSON.stringify(encodeValue(value, path));
}

/**
 * The JSON text of an array of JSON scalars that encode to themselves, or
 * null for anything else. Each item is read once, so what is checked is what
 * is written.
 */
function flatArrayJson(value: unknown): string | null {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) return null;
  const array = value as unknown[];
  if (array.length === 0) return '[]';
  let text = '[';
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    let json: string;
    if (typeof item === 'string') json = JSON.stringify(item);
    else if (typeof item === 'number') {
      // NaN, the infinities and -0 are tagged by encodeValue.
      if (!Number.isFinite(item) || Object.is(item, -0)) return null;
      json = String(item);
    } else if (typeof item === 'boolean') json = item ? 'true' : 'false';
    else if (item === null) json = 'null';
    // Anything else (undefined, a hole, an object) is for encodeValue to tag or refuse.
    else return null;
    text += i === 0 ? json : `,${json}`;
  }
  return `${text}]`;
}

function encodeNode(
  value: unknown,
  path: Path,
  depth: number,
  ancestors: Map<object, Path>,
): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isNaN(value)) return { [TAG]: 'Number', v: 'NaN' };
      if (value === Number.POSITIVE_INFINITY) return { [TAG]: 'Number', v: 'Infinity' };
      if (value === Number.NEGATIVE_INFINITY) return { [TAG]: 'Number', v: '-Infinity' };
      if (Object.is(value, -0)) return { [TAG]: 'Number', v: '-0' };
      return value;
    case 'undefined':
      return { [TAG]: 'undefined' };
    case 'bigint':
      return { [TAG]: 'BigInt', v: value.toString() };
    case 'object':
      if (value === null) return null;
      break;
    default:
      // function, symbol
      return reject(path, describe(value));
  }

  const proto: unknown = Object.getPrototypeOf(value);

  // Values without children.
  if (proto === Date.prototype) {
    const time = (value as Date).getTime();
    return { [TAG]: 'Date', v: Number.isNaN(time) ? null : isoInstant(time) };
  }
  if (proto !== null && typeof proto === 'object') {
    const typed = typedArrayByPrototype.get(proto);
    if (typed !== undefined) {
      const view = value as ArrayBufferView;
      return { [TAG]: typed, v: viewToBase64(view, TYPED_ARRAYS[typed].BYTES_PER_ELEMENT) };
    }
  }
  if (proto === Buffer.prototype) return { [TAG]: 'Buffer', v: viewToBase64(value as Buffer, 1) };
  if (proto === ArrayBuffer.prototype) {
    return { [TAG]: 'ArrayBuffer', v: Buffer.from(value as ArrayBuffer).toString('base64') };
  }
  if (proto === DataView.prototype) {
    return { [TAG]: 'DataView', v: viewToBase64(value as DataView, 1) };
  }

  // Containers.
  const isArray = proto === Array.prototype && Array.isArray(value);
  const isPlain = proto === Object.prototype || proto === null;
  const isMap = proto === Map.prototype;
  const isSet = proto === Set.prototype;
  if (!isArray && !isPlain && !isMap && !isSet) return reject(path, describe(value));

  const cycleTarget = ancestors.get(value);
  if (cycleTarget !== undefined)
    return reject(path, `a circular reference (to ${renderPath(cycleTarget)})`);
  if (depth >= MAX_NESTING_DEPTH)
    throw new SerializationError(
      `${renderPath(path)} is nested more than ${MAX_NESTING_DEPTH} levels deep, which cannot be serialized`,
      { path: renderPath(path) },
    );
  ancestors.set(value, path);
  let result: JsonValue;
  if (isArray) {
    const array = value as unknown[];
    const out: JsonValue[] = new Array<JsonValue>(array.length);
    for (let i = 0; i < array.length; i++) {
      if (!Object.hasOwn(array, i))
        reject(path, `a sparse array (index ${i} is a hole; fill it with undefined to store it)`);
      out[i] = encodeNode(array[i], stepTo(path, 'index', undefined, i), depth + 1, ancestors);
    }
    result = out;
  } else if (isMap) {
    const entries: JsonValue[] = [];
    let index = 0;
    for (const [key, item] of value as Map<unknown, unknown>) {
      entries.push([
        encodeNode(key, stepTo(path, 'mapKey', key, index), depth + 1, ancestors),
        encodeNode(item, stepTo(path, 'mapValue', key, index), depth + 1, ancestors),
      ]);
      index++;
    }
    result = { [TAG]: 'Map', v: entries };
  } else if (isSet) {
    const items: JsonValue[] = [];
    let index = 0;
    for (const item of value as Set<unknown>) {
      items.push(encodeNode(item, stepTo(path, 'setItem', undefined, index), depth + 1, ancestors));
      index++;
    }
    result = { [TAG]: 'Set', v: items };
  } else {
    const object = value as Record<string | symbol, unknown>;
    for (const symbol of Object.getOwnPropertySymbols(object)) {
      if (Object.prototype.propertyIsEnumerable.call(object, symbol))
        reject(path, `an object with a symbol-keyed property (${String(symbol)})`);
    }
    const out: JsonObject = {};
    for (const key of Object.keys(object)) {
      setOwn(
        out,
        key,
        encodeNode(object[key], stepTo(path, 'property', key, 0), depth + 1, ancestors),
      );
    }
    result = Object.hasOwn(out, TAG) ? { [TAG]: 'Object', v: out } : out;
  }
  ancestors.delete(value);
  return result;
}

// ---------------------------------------------------------------------------
// Decoding

/**
 * Decodes a value written by {@link encodeValue} (typically the result of
 * `JSON.parse`). `path` names the value in error messages.
 *
 * @throws DeserializationError on unknown tags, malformed tagged objects, non-JSON input or over-deep nesting.
 */
export function decodeValue(json: unknown, path = 'value'): unknown {
  try {
    return decodeNode(json, path, 0);
  } catch (error) {
    if (isStackOverflow(error))
      throw new DeserializationError(
        `${path}: nested too deeply to deserialize`,
        { path },
        {
          cause: error,
        },
      );
    throw error;
  }
}

function enterContainer(path: Path, depth: number): void {
  if (depth >= MAX_NESTING_DEPTH)
    malformed(path, `nested more than ${MAX_NESTING_DEPTH} levels deep`);
}

function isPlainJsonObject(json: object): json is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(json);
  return proto === Object.prototype || proto === null;
}

function decodeNode(json: unknown, path: Path, depth: number): unknown {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return json;
  if (typeof json === 'number') {
    if (!Number.isFinite(json))
      malformed(path, `${String(json)} is not a JSON number (write it as a tagged Number)`);
    return json;
  }
  if (typeof json !== 'object') return malformed(path, `${describe(json)} is not JSON`);
  if (Array.isArray(json)) return decodeArray(json, path, depth);
  if (!isPlainJsonObject(json)) return malformed(path, `${describe(json)} is not JSON`);
  if (Object.hasOwn(json, TAG)) return decodeTagged(json, path, depth);
  enterContainer(path, depth);
  return decodeProperties(json, path, depth);
}

function decodeArray(json: unknown[], path: Path, depth: number): unknown[] {
  if (Object.getPrototypeOf(json) !== Array.prototype)
    malformed(path, `${describe(json)} is not JSON`);
  enterContainer(path, depth);
  const out = new Array<unknown>(json.length);
  for (let i = 0; i < json.length; i++) {
    if (!Object.hasOwn(json, i)) malformed(path, `index ${i} is a hole, which JSON cannot hold`);
    out[i] = decodeNode(json[i], stepTo(path, 'index', undefined, i), depth + 1);
  }
  return out;
}

function decodeProperties(
  json: Record<string, unknown>,
  path: Path,
  depth: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(json)) {
    setOwn(out, key, decodeNode(json[key], stepTo(path, 'property', key, 0), depth + 1));
  }
  return out;
}

function payload(json: Record<string, unknown>, tag: string, path: Path): unknown {
  for (const key of Object.keys(json)) {
    if (key !== TAG && key !== 'v')
      malformed(path, `a tagged ${tag} value has an unexpected key ${JSON.stringify(key)}`);
  }
  if (!Object.hasOwn(json, 'v')) malformed(path, `a tagged ${tag} value has no "v"`);
  return json.v;
}

function payloadString(json: Record<string, unknown>, tag: string, path: Path): string {
  const v = payload(json, tag, path);
  if (typeof v !== 'string')
    malformed(path, `a tagged ${tag} value needs a string "v", not ${describePayload(v)}`);
  return v;
}

function payloadArray(json: Record<string, unknown>, tag: string, path: Path): unknown[] {
  const v = payload(json, tag, path);
  if (!Array.isArray(v))
    malformed(path, `a tagged ${tag} value needs an array "v", not ${describePayload(v)}`);
  return v;
}

function describePayload(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return describe(v);
}

function decodeBytes(v: string, path: Path, tag: string): Buffer {
  if (v.length % 4 !== 0 || !BASE64.test(v)) malformed(path, `a tagged ${tag} value is not base64`);
  return Buffer.from(v, 'base64');
}

const ISO_INSTANT =
  /^(?:[+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const SPECIAL_NUMBERS: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  '-0': -0,
};

function decodeTagged(json: Record<string, unknown>, path: Path, depth: number): unknown {
  const tag = json[TAG];
  if (typeof tag !== 'string')
    return malformed(path, `the "$t" tag is ${describePayload(tag)}, not a string`);
  switch (tag) {
    case 'undefined':
      for (const key of Object.keys(json)) {
        if (key !== TAG)
          malformed(path, `a tagged undefined has an unexpected key ${JSON.stringify(key)}`);
      }
      return undefined;
    case 'Number': {
      const v = payloadString(json, tag, path);
      if (!Object.hasOwn(SPECIAL_NUMBERS, v))
        malformed(path, `${JSON.stringify(v)} is not NaN, Infinity, -Infinity or -0`);
      return SPECIAL_NUMBERS[v];
    }
    case 'BigInt': {
      const v = payloadString(json, tag, path);
      if (!/^-?\d+$/.test(v)) malformed(path, `${JSON.stringify(v)} is not an integer`);
      return BigInt(v);
    }
    case 'Date': {
      const v = payload(json, tag, path);
      if (v === null) return new Date(Number.NaN);
      if (typeof v !== 'string' || !ISO_INSTANT.test(v))
        return malformed(
          path,
          `a tagged Date needs an ISO 8601 instant with an offset or null, not ${typeof v === 'string' ? JSON.stringify(v) : describePayload(v)}`,
        );
      const date = new Date(v);
      if (Number.isNaN(date.getTime())) malformed(path, `${JSON.stringify(v)} is not a valid date`);
      return date;
    }
    case 'Map': {
      const entries = payloadArray(json, tag, path);
      enterContainer(path, depth);
      const map = new Map<unknown, unknown>();
      entries.forEach((entry, index) => {
        if (!Array.isArray(entry) || entry.length !== 2)
          malformed(path, `Map entry ${index} is not a [key, value] pair`);
        const key = decodeNode(entry[0], stepTo(path, 'mapKey', undefined, index), depth + 1);
        map.set(key, decodeNode(entry[1], stepTo(path, 'mapValue', key, index), depth + 1));
      });
      return map;
    }
    case 'Set': {
      const items = payloadArray(json, tag, path);
      enterContainer(path, depth);
      const set = new Set<unknown>();
      items.forEach((item, index) => {
        set.add(decodeNode(item, stepTo(path, 'setItem', undefined, index), depth + 1));
      });
      return set;
    }
    case 'Object': {
      const v = payload(json, tag, path);
      if (typeof v !== 'object' || v === null || Array.isArray(v) || !isPlainJsonObject(v))
        return malformed(path, `a tagged Object needs an object "v", not ${describePayload(v)}`);
      enterContainer(path, depth);
      return decodeProperties(v, path, depth);
    }
    case 'Buffer':
      return decodeBytes(payloadString(json, tag, path), path, tag);
    case 'ArrayBuffer': {
      const bytes = decodeBytes(payloadString(json, tag, path), path, tag);
      return new Uint8Array(bytes).buffer;
    }
    case 'DataView': {
      const bytes = decodeBytes(payloadString(json, tag, path), path, tag);
      return new DataView(new Uint8Array(bytes).buffer);
    }
    default: {
      if (!isTypedArrayName(tag))
        return malformed(
          path,
          `unknown type tag ${JSON.stringify(tag)} (written by a newer version of Horarium?)`,
        );
      const Ctor = TYPED_ARRAYS[tag];
      const bytes = new Uint8Array(decodeBytes(payloadString(json, tag, path), path, tag));
      if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0)
        malformed(path, `${bytes.length} bytes is not a whole number of ${tag} elements`);
      if (!LITTLE_ENDIAN) swapBytes(bytes, Ctor.BYTES_PER_ELEMENT);
      return new Ctor(bytes.buffer);
    }
  }
}
