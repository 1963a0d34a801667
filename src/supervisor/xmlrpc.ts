// XML-RPC as supervisord speaks it: build a methodCall, read a methodResponse (a <fault> becomes a SupervisorFault).
// Requests are written here; responses in the plain XML supervisord writes are read here too, and anything else goes
// to fast-xml-parser (which also words the errors). The rest maps XML-RPC's <value> shapes to JS values and back.
import { createRequire } from 'node:module';
import type { EntityDecoderOptions, XMLParser } from 'fast-xml-parser';
import type * as FastXmlParser from 'fast-xml-parser';
import { faultFromResponse } from './faults.ts';
import type { SupervisorFault } from './faults.ts';

import { XmlRpcEncodeError, XmlRpcProtocolError, isStruct } from './xmlrpc-values.ts';
import type { MulticallResult, XmlRpcStruct, XmlRpcValue } from './xmlrpc-values.ts';

export { XmlRpcEncodeError, XmlRpcProtocolError, isStruct };
export type { MulticallResult, XmlRpcStruct, XmlRpcValue };

// ---- encoding ----------------------------------------------------------------------------------------------------

type BuildNode = { [tag: string]: BuildNode[] | string };

// Elements in order, as `{tag: children}`; text is escaped where it is made (`text()`: a raw \r would reach the
// server as \n, so it goes as &#13;). Writing tags needs no library.
function serialize(nodes: readonly BuildNode[]): string {
  return nodes
    .map((node) =>
      Object.entries(node)
        .map(([tag, content]) => {
          if (typeof content === 'string') return content;
          return tag === 'nil' && content.length === 0 ? '<nil/>' : `<${tag}>${serialize(content)}</${tag}>`;
        })
        .join(''),
    )
    .join('');
}
const notXmlChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };

function el(tag: string, ...children: BuildNode[]): BuildNode {
  return { [tag]: children };
}

function text(value: string, path: string): BuildNode {
  const bad = notXmlChar.exec(value);
  if (bad) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw new XmlRpcEncodeError(
      `cannot send ${path} = ${JSON.stringify(value)}: U+${code} at index ${bad.index} is not allowed in XML 1.0`,
    );
  }
  return { '#text': value.replace(/[&<>\r]/g, (c) => escapes[c] ?? c) };
}

/** The request body for `method(...params)`, e.g. `encodeCall('supervisor.getProcessInfo', ['web:web1'])`. */
export function encodeCall(method: string, params: readonly XmlRpcValue[]): string {
  // The XML-RPC spec's methodName alphabet; supervisord's own names are `namespace.method`.
  if (!/^[A-Za-z0-9_.:/]+$/.test(method)) {
    throw new XmlRpcEncodeError(`invalid XML-RPC method name ${JSON.stringify(method)} (allowed: A-Z a-z 0-9 _ . : /)`);
  }
  const paramNodes = params.map((p, i) => el('param', encodeValue(p, `params[${i}]`, new Set())));
  const call = el('methodCall', el('methodName', text(method, 'methodName')), el('params', ...paramNodes));
  return `<?xml version="1.0"?>${serialize([call])}`;
}

function encodeValue(value: unknown, path: string, open: Set<object>): BuildNode {
  return el('value', encodeTyped(value, path, open));
}

function encodeTyped(value: unknown, path: string, open: Set<object>): BuildNode {
  if (value === null) return el('nil');
  if (typeof value === 'string') return el('string', text(value, path));
  if (typeof value === 'boolean') return el('boolean', { '#text': value ? '1' : '0' });
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return el('int', { '#text': String(value) });
    if (Number.isFinite(value) && !Number.isInteger(value)) return el('double', { '#text': String(value) });
    throw new XmlRpcEncodeError(
      `cannot send ${path} = ${value}: XML-RPC carries only finite numbers and exact integers`,
    );
  }
  if (value instanceof Date) return el('dateTime.iso8601', { '#text': dateTimeText(value, path) });
  if (Buffer.isBuffer(value)) return el('base64', { '#text': value.toString('base64') });
  if (typeof value !== 'object' || (!Array.isArray(value) && !isPlainObject(value))) {
    throw new XmlRpcEncodeError(`cannot send ${path}: ${describe(value)} has no XML-RPC type`);
  }
  if (open.has(value)) throw new XmlRpcEncodeError(`cannot send ${path}: it contains itself`);
  open.add(value);
  const node = Array.isArray(value)
    ? el('array', el('data', ...value.map((item, i) => encodeValue(item, `${path}[${i}]`, open))))
    : el(
        'struct',
        ...Object.entries(value).map(([key, item]) =>
          el('member', el('name', text(key, `${path} key`)), encodeValue(item, `${path}.${key}`, open)),
        ),
      );
  open.delete(value);
  return node;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// XML-RPC's dateTime.iso8601 is `YYYYMMDDTHH:MM:SS` with no zone; Convoy always means UTC.
function dateTimeText(date: Date, path: string): string {
  const iso = Number.isNaN(date.getTime()) ? '' : date.toISOString();
  if (!/^\d{4}-/.test(iso)) {
    throw new XmlRpcEncodeError(`cannot send ${path}: ${String(date)} is not a date between years 0 and 9999`);
  }
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 19)}`;
}

function describe(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a dateTime';
  if (Buffer.isBuffer(value)) return 'base64 data';
  if (typeof value === 'object') return isPlainObject(value) ? 'a struct' : `a ${value.constructor.name}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 80))}`;
  return typeof value === 'function' ? 'a function' : `${typeof value} ${String(value)}`;
}

// ---- decoding ----------------------------------------------------------------------------------------------------

// XML's five entities and character references only; a DOCTYPE (and so any custom entity) is refused. The parser's
// own decoder expands numeric references only together with ~250 HTML names, and keeps unknown `&x;` as text.
const predefined: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const entityDecoder: EntityDecoderOptions = {
  setExternalEntities: () => undefined,
  addInputEntities: () => {
    throw new Error('a DOCTYPE is not allowed in XML-RPC');
  },
  reset: () => undefined,
  setXmlVersion: () => undefined,
  decode: (raw) =>
    raw.replace(/&([^&;<\s]*)(;?)/g, (whole: string, name: string, semicolon: string) => {
      const char = semicolon === ';' ? (predefined[name] ?? characterReference(name)) : undefined;
      if (char === undefined) throw new Error(`${JSON.stringify(whole)} is not an XML entity or character reference`);
      return char;
    }),
};

// `#10` or `#x41` to its character; undefined for anything else, including code points XML 1.0 does not allow.
function characterReference(name: string): string | undefined {
  const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
  const code = m ? parseInt(m[1] ?? m[2] ?? '', m[1] === undefined ? 10 : 16) : NaN;
  if (!(code <= 0x10ffff)) return undefined;
  const char = String.fromCodePoint(code);
  return notXmlChar.test(char) ? undefined : char;
}

// fast-xml-parser, loaded on first need (only a response outside the plain subset needs it): everything stays text
// (no number coercion, no trimming); structure comes back in document order.
let library: { parser: XMLParser; validator: typeof FastXmlParser.XMLValidator } | undefined;
function loadLibrary() {
  if (!library) {
    const fxp = createRequire(import.meta.url)('fast-xml-parser') as typeof FastXmlParser;
    library = {
      validator: fxp.XMLValidator,
      parser: new fxp.XMLParser({
        preserveOrder: true,
        ignoreAttributes: true,
        parseTagValue: false,
        trimValues: false,
        ignoreDeclaration: true,
        ignorePiTags: true,
        processEntities: true,
        entityDecoder,
      }),
    };
  }
  return library;
}

interface Element {
  tag: string;
  children: Array<Element | string>;
}

// A wrong shape found while walking the tree; decodeResponse adds the body and rethrows it as XmlRpcProtocolError.
class ShapeError extends Error {}

/**
 * The value of a methodResponse body; throws SupervisorFault for a <fault>, XmlRpcProtocolError for anything odd.
 * `tree`: 'plain' reads only the plain subset by hand (tests compare it with 'library').
 */
export function decodeResponse(xml: string, tree: 'auto' | 'plain' | 'library' = 'auto'): XmlRpcValue {
  const plain = tree === 'library' ? undefined : plainTree(xml);
  if (plain === undefined && tree === 'plain') throw new XmlRpcProtocolError('outside the plain subset', { body: xml });
  const nodes = plain ?? libraryTree(xml);
  try {
    return decodeMethodResponse(nodes);
  } catch (error) {
    if (error instanceof ShapeError) throw new XmlRpcProtocolError(error.message, { body: xml });
    throw error;
  }
}

// The tree from fast-xml-parser, after its validator: what decides (and words the error) for anything unusual.
function libraryTree(xml: string): Array<Element | string> {
  const { parser, validator } = loadLibrary();
  const valid = validator.validate(xml);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlRpcProtocolError(`not well-formed XML: ${msg} (line ${line}, column ${col})`, { body: xml });
  }
  try {
    return toTree(parser.parse(xml));
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new XmlRpcProtocolError(`not well-formed XML: ${reason}`, { body: xml, cause });
  }
}

const plainTag = /<(\/?)([A-Za-z_][A-Za-z0-9_.-]*)[ \t\r\n]*(\/?)>/y;

/**
 * The same tree, read by hand, for the plain XML that supervisord writes: an optional `<?xml …?>` declaration, one
 * root element, tags without attributes, text with XML's five entities and character references. Anything else
 * (comments, CDATA, a DOCTYPE, attributes, a stray `&` or `<`, a raw CR, a tag left open) gives undefined and goes to the
 * library. It is several times faster than the library on a run's first calls, where nothing is optimised yet.
 */
function plainTree(xml: string): Array<Element | string> | undefined {
  let i = 0;
  if (xml.startsWith('<?xml')) {
    const end = xml.indexOf('?>');
    if (end < 0) return undefined;
    i = end + 2;
  }
  const top: Element = { tag: '', children: [] };
  const open: Element[] = [top];
  while (i < xml.length) {
    const current = open[open.length - 1] as Element;
    const lt = xml.indexOf('<', i);
    const textEnd = lt < 0 ? xml.length : lt;
    if (textEnd > i) {
      const raw = xml.slice(i, textEnd);
      if (current === top && !/^[ \t\r\n]*$/.test(raw)) return undefined;
      if (raw.includes('\r')) return undefined; // XML's line-end rules: the library applies them
      let text: string;
      try {
        text = raw.includes('&') ? entityDecoder.decode(raw) : raw;
      } catch {
        return undefined;
      }
      current.children.push(text);
      i = textEnd;
      continue;
    }
    plainTag.lastIndex = i;
    const m = plainTag.exec(xml);
    if (!m) return undefined;
    i = plainTag.lastIndex;
    const [, closing, name = '', selfClosing] = m;
    if (closing) {
      if (selfClosing || current === top || current.tag !== name) return undefined;
      open.pop();
      continue;
    }
    if (current === top && top.children.some((c) => typeof c !== 'string')) return undefined; // a second root
    const element: Element = { tag: name, children: [] };
    current.children.push(element);
    if (!selfClosing) open.push(element);
  }
  return open.length === 1 && top.children.some((c) => typeof c !== 'string') ? top.children : undefined;
}

/** Splits system.multicall's answer: supervisord returns each result bare and each fault as {faultCode, faultString}. */
export function decodeMulticall(value: XmlRpcValue): MulticallResult[] {
  if (!Array.isArray(value))
    throw new XmlRpcProtocolError(`system.multicall returned ${describe(value)}, not an array`);
  return value.map((item): MulticallResult => {
    const fault = isStruct(item) && Object.keys(item).length === 2 ? faultOf(item) : undefined;
    return fault ? { ok: false, fault } : { ok: true, value: item };
  });
}

function faultOf(struct: XmlRpcStruct): SupervisorFault | undefined {
  const { faultCode, faultString } = struct;
  if (typeof faultCode !== 'number' || typeof faultString !== 'string') return undefined;
  return faultFromResponse(faultCode, faultString);
}

function toTree(nodes: unknown): Array<Element | string> {
  if (!Array.isArray(nodes)) throw new Error('the parser returned no node list');
  return nodes.map((node: unknown) => {
    if (typeof node !== 'object' || node === null) throw new Error('the parser returned a malformed node');
    const entries = Object.entries(node).filter(([key]) => key !== ':@');
    const [entry] = entries;
    if (entry === undefined || entries.length > 1) throw new Error('the parser returned a malformed node');
    const [tag, content] = entry;
    return tag === '#text' ? String(content) : { tag, children: toTree(content) };
  });
}

function decodeMethodResponse(nodes: Array<Element | string>): XmlRpcValue {
  const [root, ...others] = elementsIn(nodes, 'the document');
  if (root?.tag !== 'methodResponse' || others.length > 0) {
    throw new ShapeError(`expected one <methodResponse>, found ${list([root, ...others])}`);
  }
  const [body, ...extra] = elementsIn(root.children, '<methodResponse>');
  if (body?.tag === 'params' && extra.length === 0) {
    return decodeValue(only(only(body, 'param'), 'value'), 'the result');
  }
  if (body?.tag === 'fault' && extra.length === 0) {
    const value = decodeValue(only(body, 'value'), 'the fault');
    const fault = isStruct(value) ? faultOf(value) : undefined;
    if (!fault) throw new ShapeError('<fault> is not a struct with an int faultCode and a string faultString');
    throw fault;
  }
  throw new ShapeError(`<methodResponse> holds ${list([body, ...extra])}, expected <params> or <fault>`);
}

function decodeValue(value: Element, path: string): XmlRpcValue {
  if (value.children.every((c) => typeof c === 'string')) return textOf(value, path); // <value>text</value> is a string
  const [typed, ...extra] = elementsIn(value.children, `${path} <value>`);
  if (typed === undefined || extra.length > 0) {
    throw new ShapeError(`${path}: <value> holds ${list([typed, ...extra])}, expected one type`);
  }
  switch (typed.tag) {
    case 'string':
      return textOf(typed, path);
    case 'int':
    case 'i4':
    case 'i8':
      return integer(textOf(typed, path).trim(), typed.tag, path);
    case 'boolean':
      return boolean(textOf(typed, path).trim(), path);
    case 'double':
      return double(textOf(typed, path).trim(), path);
    case 'nil':
      if (typed.children.some((c) => typeof c !== 'string' || c.trim() !== '')) {
        throw new ShapeError(`${path}: <nil> is not empty`);
      }
      return null;
    case 'dateTime.iso8601':
      return dateTime(textOf(typed, path).trim(), path);
    case 'base64':
      return base64(textOf(typed, path).replace(/\s+/g, ''), path);
    case 'array':
      return elementsIn(only(typed, 'data', path).children, `${path} <data>`).map((item, i) =>
        decodeValue(expectTag(item, 'value', `${path} <data>`), `${path}[${i}]`),
      );
    case 'struct':
      return struct(typed, path);
    default:
      throw new ShapeError(`${path}: unknown XML-RPC type <${typed.tag}>`);
  }
}

function struct(element: Element, path: string): XmlRpcStruct {
  const result: XmlRpcStruct = {};
  for (const member of elementsIn(element.children, `${path} <struct>`)) {
    expectTag(member, 'member', `${path} <struct>`);
    const [nameElement, valueElement, ...extra] = elementsIn(member.children, `${path} <member>`);
    if (nameElement?.tag !== 'name' || valueElement?.tag !== 'value' || extra.length > 0) {
      const found = list([nameElement, valueElement, ...extra]);
      throw new ShapeError(`${path}: <member> holds ${found}, expected <name>, <value>`);
    }
    const name = textOf(nameElement, `${path} member name`);
    const value = decodeValue(valueElement, `${path}.${name}`);
    // defineProperty, so a member named "__proto__" is data, not a prototype.
    Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function integer(raw: string, tag: string, path: string): number {
  const n = Number(raw);
  if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(n)) {
    throw new ShapeError(`${path}: <${tag}> holds ${JSON.stringify(raw)}, not an integer`);
  }
  return n;
}

function boolean(raw: string, path: string): boolean {
  if (raw !== '0' && raw !== '1') throw new ShapeError(`${path}: <boolean> holds ${JSON.stringify(raw)}, not 0 or 1`);
  return raw === '1';
}

function double(raw: string, path: string): number {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(raw)) {
    throw new ShapeError(`${path}: <double> holds ${JSON.stringify(raw)}, not a number`);
  }
  return Number(raw);
}

function dateTime(raw: string, path: string): Date {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):?(\d{2}):?(\d{2})$/.exec(raw);
  const date = new Date(0);
  if (m) {
    date.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
    date.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6]));
  }
  // Date rolls month 13 or second 60 over; formatting it back catches that.
  if (!m || dateTimeText(date, path) !== `${m[1]}${m[2]}${m[3]}T${m[4]}:${m[5]}:${m[6]}`) {
    throw new ShapeError(`${path}: <dateTime.iso8601> holds ${JSON.stringify(raw)}, not YYYYMMDDTHH:MM:SS`);
  }
  return date;
}

function base64(raw: string, path: string): Buffer {
  if (raw.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) {
    throw new ShapeError(`${path}: <base64> holds invalid base64`);
  }
  return Buffer.from(raw, 'base64');
}

// The element children; whitespace between tags is layout, any other text there is an error.
function elementsIn(children: Array<Element | string>, where: string): Element[] {
  const elements: Element[] = [];
  for (const child of children) {
    if (typeof child !== 'string') elements.push(child);
    else if (!/^[ \t\r\n]*$/.test(child)) {
      throw new ShapeError(`${where}: unexpected text ${JSON.stringify(child.slice(0, 40))}`);
    }
  }
  return elements;
}

function only(parent: Element, tag: string, path?: string): Element {
  const where = path === undefined ? `<${parent.tag}>` : `${path}: <${parent.tag}>`;
  const [first, ...rest] = elementsIn(parent.children, where);
  if (first?.tag !== tag || rest.length > 0) {
    throw new ShapeError(`${where} holds ${list([first, ...rest])}, expected one <${tag}>`);
  }
  return first;
}

function expectTag(element: Element, tag: string, where: string): Element {
  if (element.tag !== tag) throw new ShapeError(`${where}: found <${element.tag}> where <${tag}> belongs`);
  return element;
}

function textOf(element: Element, path: string): string {
  const child = element.children.find((c): c is Element => typeof c !== 'string');
  if (child !== undefined) throw new ShapeError(`${path}: <${element.tag}> holds <${child.tag}>, expected text`);
  return element.children.join('');
}

function list(elements: Array<Element | undefined>): string {
  const tags = elements.filter((e) => e !== undefined).map((e) => `<${e.tag}>`);
  return tags.length === 0 ? 'nothing' : tags.join(', ');
}
