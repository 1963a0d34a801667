// The hand-read plain subset agrees with fast-xml-parser wherever it answers, and answers for what supervisord sends.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeResponse, encodeCall } from '../../../src/supervisor/xmlrpc.ts';
import type { XmlRpcValue } from '../../../src/supervisor/xmlrpc.ts';

const fixtures = path.join(import.meta.dirname, '../../fixtures/supervisor');

/** The value, or the error's class and message: what a caller sees either way. */
function outcome(xml: string, tree: 'plain' | 'library'): unknown {
  try {
    return { value: decodeResponse(xml, tree) };
  } catch (error) {
    return { error: (error as Error).constructor.name, message: (error as Error).message };
  }
}
const outsidePlain = (o: unknown) => (o as { message?: string }).message?.includes('outside the plain subset') === true;

test("every captured supervisord response: the plain reading equals the library's, and only a raw CR or HTML needs the library", () => {
  const needLibrary: string[] = [];
  for (const name of readdirSync(fixtures).filter((f) => f.endsWith('.xml'))) {
    const xml = readFileSync(path.join(fixtures, name), 'utf8');
    const plain = outcome(xml, 'plain');
    if (outsidePlain(plain)) needLibrary.push(name);
    else assert.deepEqual(plain, outcome(xml, 'library'), name);
  }
  assert.deepEqual(needLibrary.sort(), ['fault-bad-name-special-chars.xml', 'http500-tail-invalid-utf8.xml']);
});

test('what the plain reading leaves to the library: comments, CDATA, DOCTYPE, attributes, stray & or <, open tags, two roots', () => {
  const wrap = (inner: string) =>
    `<?xml version="1.0"?><methodResponse><params><param>${inner}</param></params></methodResponse>`;
  for (const xml of [
    wrap('<value><!-- c --><int>1</int></value>'),
    wrap('<value><![CDATA[x]]></value>'),
    `<!DOCTYPE m>${wrap('<value>1</value>')}`,
    wrap('<value a="1">x</value>'),
    wrap('<value>a & b</value>'),
    wrap('<value>a < b</value>'),
    '<methodResponse><params>',
    `${wrap('<value>1</value>')}<methodResponse/>`,
    `x${wrap('<value>1</value>')}`,
    wrap('<value>&bogus;</value>'),
  ])
    assert.ok(outsidePlain(outcome(xml, 'plain')), xml);
});

const xmlRpcValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary' }).filter((s) => !/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u.test(s)),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !k.includes('\r')),
      tie('value'),
      { maxKeys: 4 },
    ),
  ),
})).value as fc.Arbitrary<XmlRpcValue>;

test('property: any value, sent as supervisord would, reads the same both ways', () => {
  fc.assert(
    fc.property(xmlRpcValue, (value) => {
      let call: string;
      try {
        call = encodeCall('x', [value]);
      } catch {
        return; // a value XML-RPC cannot carry (an integer past 2^53, say) never reaches the wire
      }
      const response = call
        .replace('<methodCall><methodName>x</methodName>', '<methodResponse>')
        .replace('</methodCall>', '</methodResponse>');
      const library = outcome(response, 'library');
      const plain = outcome(response, 'plain');
      if (!outsidePlain(plain)) assert.deepEqual(plain, library);
    }),
    { numRuns: 300 },
  );
});
