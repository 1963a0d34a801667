import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ExitCode } from '../../../src/errors.ts';
import { SupervisorFault } from '../../../src/supervisor/faults.ts';
import {
  XmlRpcEncodeError,
  XmlRpcProtocolError,
  decodeMulticall,
  decodeResponse,
  encodeCall,
} from '../../../src/supervisor/xmlrpc.ts';
import type { XmlRpcValue } from '../../../src/supervisor/xmlrpc.ts';

// Response bodies captured from a real supervisord 4.2.5 (test/fixtures/supervisor/).
function body(name: string): string {
  return readFileSync(path.join(import.meta.dirname, '../../fixtures/supervisor', name), 'utf8');
}
const decodeFixture = (name: string): XmlRpcValue => decodeResponse(body(name));

function response(valueXml: string): string {
  return `<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n${valueXml}\n</param>\n</params>\n</methodResponse>\n`;
}

function fault(check: (f: SupervisorFault) => void) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof SupervisorFault, String(error));
    check(error);
    return true;
  };
}

function protocolError(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof XmlRpcProtocolError, String(error));
    assert.match(error.message, pattern);
    return true;
  };
}

function encodeError(pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof XmlRpcEncodeError, String(error));
    assert.equal(error.exitCode, ExitCode.badInput);
    assert.match(error.message, pattern);
    return true;
  };
}

// ---- encodeCall ----------------------------------------------------------------------------------------------------

test('encodes a call with one string parameter', () => {
  assert.equal(
    encodeCall('supervisor.getProcessInfo', ['web:web1']),
    '<?xml version="1.0"?><methodCall><methodName>supervisor.getProcessInfo</methodName><params>' +
      '<param><value><string>web:web1</string></value></param></params></methodCall>',
  );
});

test('encodes a call without parameters', () => {
  assert.equal(
    encodeCall('supervisor.getState', []),
    '<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName><params></params></methodCall>',
  );
});

test('encodes every scalar type', () => {
  const xml = encodeCall('x.y', [
    42,
    -7,
    0,
    2.5,
    true,
    false,
    null,
    '',
    Buffer.from([0, 255]),
    new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678)),
  ]);
  const params = [
    '<int>42</int>',
    '<int>-7</int>',
    '<int>0</int>',
    '<double>2.5</double>',
    '<boolean>1</boolean>',
    '<boolean>0</boolean>',
    '<nil/>',
    '<string></string>',
    '<base64>AP8=</base64>',
    '<dateTime.iso8601>20260102T03:04:05</dateTime.iso8601>',
  ].map((v) => `<param><value>${v}</value></param>`);
  assert.equal(
    xml,
    `<?xml version="1.0"?><methodCall><methodName>x.y</methodName><params>${params.join('')}</params></methodCall>`,
  );
});

test('escapes &, <, > and \\r (a raw \\r would reach supervisord as \\n); quotes, tabs and Unicode stay as they are', () => {
  assert.equal(
    encodeCall('supervisor.sendProcessStdin', ['a&b <c> "d" \'e\'\r\n\tf é✓ 😀']),
    '<?xml version="1.0"?><methodCall><methodName>supervisor.sendProcessStdin</methodName><params><param><value>' +
      '<string>a&amp;b &lt;c&gt; "d" \'e\'&#13;\n\tf é✓ 😀</string></value></param></params></methodCall>',
  );
});

test("encodes a system.multicall (arrays, structs, nesting) exactly as Python's xmlrpc.client does, minus newlines", () => {
  const xml = encodeCall('system.multicall', [
    [
      { methodName: 'supervisor.stopProcessGroup', params: ['web', true] },
      { methodName: 'supervisor.getState', params: [] },
    ],
  ]);
  assert.equal(
    xml,
    '<?xml version="1.0"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>' +
      '<value><struct><member><name>methodName</name><value><string>supervisor.stopProcessGroup</string></value></member>' +
      '<member><name>params</name><value><array><data><value><string>web</string></value><value><boolean>1</boolean></value>' +
      '</data></array></value></member></struct></value>' +
      '<value><struct><member><name>methodName</name><value><string>supervisor.getState</string></value></member>' +
      '<member><name>params</name><value><array><data></data></array></value></member></struct></value>' +
      '</data></array></value></param></params></methodCall>',
  );
});

test('struct member names are escaped too', () => {
  assert.match(
    encodeCall('x.y', [{ 'a<b': 1 }]),
    /<member><name>a&lt;b<\/name><value><int>1<\/int><\/value><\/member>/,
  );
});

test('characters XML 1.0 cannot carry are refused with the position and code point', () => {
  assert.throws(
    () => encodeCall('x.y', ['red \u001b[31m']),
    encodeError(/params\[0\] = "red \\u001b\[31m": U\+001B at index 4 is not allowed in XML 1\.0/),
  );
  assert.throws(() => encodeCall('x.y', ['nul\u0000']), encodeError(/U\+0000 at index 3/));
  assert.throws(() => encodeCall('x.y', ['\uFFFE']), encodeError(/U\+FFFE/));
  assert.throws(() => encodeCall('x.y', ['lone \uD800 surrogate']), encodeError(/U\+D800 at index 5/));
  assert.throws(
    () => encodeCall('x.y', [[{ env: { PATH: 'a\u0007' } }]]),
    encodeError(/params\[0\]\[0\]\.env\.PATH = /),
  );
  assert.throws(() => encodeCall('x.y', [{ 'bad\u0001key': 1 }]), encodeError(/params\[0\] key = /));
});

test('numbers XML-RPC cannot carry are refused', () => {
  assert.throws(() => encodeCall('x.y', [NaN]), encodeError(/params\[0\] = NaN/));
  assert.throws(() => encodeCall('x.y', [Infinity]), encodeError(/Infinity/));
  assert.throws(() => encodeCall('x.y', [2 ** 53]), encodeError(/9007199254740992/));
});

test('values without an XML-RPC type, cycles and bad dates are refused', () => {
  assert.throws(
    () => encodeCall('x.y', [{ a: undefined } as unknown as XmlRpcValue]),
    encodeError(/params\[0\]\.a: undefined undefined has no XML-RPC type/),
  );
  assert.throws(
    () => encodeCall('x.y', [new Map() as unknown as XmlRpcValue]),
    encodeError(/a Map has no XML-RPC type/),
  );
  const cycle: XmlRpcValue[] = [];
  cycle.push(cycle);
  assert.throws(() => encodeCall('x.y', [cycle]), encodeError(/params\[0\]\[0\]: it contains itself/));
  assert.throws(() => encodeCall('x.y', [new Date(NaN)]), encodeError(/Invalid Date is not a date/));
  const shared = ['same'];
  assert.doesNotThrow(() => encodeCall('x.y', [[shared, shared]]), 'a value used twice is not a cycle');
});

test("method names outside XML-RPC's alphabet are refused", () => {
  assert.throws(
    () => encodeCall('supervisor.get State', []),
    encodeError(/invalid XML-RPC method name "supervisor.get State"/),
  );
  assert.throws(() => encodeCall('', []), encodeError(/invalid XML-RPC method name ""/));
});

test('nested values survive encode → decode', () => {
  const value: XmlRpcValue = {
    name: 'web:web1',
    looksNumeric: ['0012', '1e5', 'true', ' 7 ', '-0', ''],
    text: 'a&b <c> "d"\r\n\tend é✓ 😀',
    numbers: [0, -1, 2147483647, 1.5, -0.25],
    flags: [true, false],
    nothing: null,
    empty: { list: [], struct: {} },
    deep: [[[{ x: [[{ y: 'z' }]] }]]],
    blob: Buffer.from('\u0000binary\u00ff'),
    when: new Date(Date.UTC(1999, 11, 31, 23, 59, 59)),
  };
  const call = encodeCall('x.y', [value]);
  const asResponse = call
    .replace(/^.*?<params>/, '<methodResponse><params>')
    .replace(/<\/methodCall>$/, '</methodResponse>');
  assert.deepEqual(decodeResponse(asResponse), value);
});

// ---- decodeResponse on supervisord's own bodies ----------------------------------------------------------------------

test('getState', () => {
  assert.deepEqual(decodeFixture('getState.xml'), { statecode: 1, statename: 'RUNNING' });
});

test('getAllProcessInfo: an array of structs, sorted by group then name', () => {
  const value = decodeFixture('getAllProcessInfo.xml');
  assert.ok(Array.isArray(value));
  assert.equal(value.length, 4);
  assert.deepEqual(value[0], {
    name: 'fails',
    group: 'fails',
    start: 0,
    stop: 0,
    now: 1795638536,
    state: 0,
    statename: 'STOPPED',
    spawnerr: '',
    exitstatus: 0,
    logfile: '/tmp/convoy-xmlrpc-fixtures.2qXORY/logs/fails-stdout---supervisor-m1ecfxnb.log',
    stdout_logfile: '/tmp/convoy-xmlrpc-fixtures.2qXORY/logs/fails-stdout---supervisor-m1ecfxnb.log',
    stderr_logfile: '/tmp/convoy-xmlrpc-fixtures.2qXORY/logs/fails-stderr---supervisor-2_ss459l.log',
    pid: 0,
    description: 'Not started',
  });
  assert.deepEqual(
    value.map((p) => (p as { group: string; name: string; pid: number }).pid),
    [0, 21022, 21023, 21024],
  );
});

test('reloadConfig: [[added, changed, removed]]', () => {
  assert.deepEqual(decodeFixture('reloadConfig.xml'), [[['extra'], ['web'], ['fails']]]);
});

test('stopProcessGroup: one status struct per member, then [] when there is nothing to do', () => {
  assert.deepEqual(decodeFixture('stopProcessGroup-web.xml'), [
    { name: 'web1', group: 'web', status: 80, description: 'OK' },
    { name: 'web2', group: 'web', status: 80, description: 'OK' },
  ]);
  assert.deepEqual(decodeFixture('stopProcessGroup-web-again.xml'), []);
});

test('tailProcessStdoutLog: [bytes, nextOffset, overflow] with entities decoded', () => {
  assert.deepEqual(decodeFixture('tailProcessStdoutLog-lone.xml'), [
    'hello from lone <&> "quoted"\nsecond line\n',
    41,
    false,
  ]);
});

test('tailProcessStdoutLog passes on the raw ESC bytes supervisord puts in the XML; the offset counts bytes', () => {
  const text = body('tailProcessStdoutLog-colors.xml');
  assert.ok(text.includes('\u001b[31m'), 'the fixture holds a raw ESC, which XML 1.0 does not allow');
  const [log, offset, overflow] = decodeFixture('tailProcessStdoutLog-colors.xml') as [string, number, boolean];
  assert.equal(log, '\u001b[31mred\u001b[0m héllo ✓ tab\there\n');
  assert.equal(offset, Buffer.byteLength(log));
  assert.equal(overflow, false);
});

test('a <fault> throws SupervisorFault: BAD_NAME for a group name given to getProcessInfo', () => {
  assert.throws(
    () => decodeFixture('fault-bad-name.xml'),
    fault((f) => {
      assert.deepEqual([f.code, f.faultName, f.detail, f.faultString], [10, 'BAD_NAME', 'web', 'BAD_NAME: web']);
      assert.equal(f.message, 'supervisord: BAD_NAME: web');
    }),
  );
});

test('startProcess of a program that exits at once: SPAWN_ERROR', () => {
  assert.throws(
    () => decodeFixture('startProcess-fails.xml'),
    fault((f) => {
      assert.deepEqual([f.code, f.faultName, f.detail], [50, 'SPAWN_ERROR', 'fails']);
    }),
  );
});

test('UNKNOWN_METHOD comes without a detail', () => {
  assert.throws(
    () => decodeFixture('fault-unknown-method.xml'),
    fault((f) => {
      assert.deepEqual([f.code, f.faultName, f.detail, f.faultString], [1, 'UNKNOWN_METHOD', '', 'UNKNOWN_METHOD']);
    }),
  );
});

test('CANT_REREAD carries the multi-line parse error', () => {
  assert.throws(
    () => decodeFixture('fault-cant-reread.xml'),
    fault((f) => {
      assert.equal(f.faultName, 'CANT_REREAD');
      assert.equal(
        f.detail,
        "Source contains parsing errors: '/tmp/convoy-xmlrpc-fixtures.2qXORY/supervisord.conf'\n\t[line 38]: 'this line has no delimiter\\n'",
      );
    }),
  );
});

test('a fault echoing a name with special characters: supervisord sends \\r\\n raw, which XML reads as \\n', () => {
  assert.ok(body('fault-bad-name-special-chars.xml').includes('&gt;\r\n"'));
  assert.throws(
    () => decodeFixture('fault-bad-name-special-chars.xml'),
    fault((f) => {
      assert.equal(f.detail, 'a&<>\n"\'\t é✓ 😀');
    }),
  );
});

test("supervisord's HTML 500 page (a log that is not UTF-8) is a protocol error quoting the body", () => {
  const html = body('http500-tail-invalid-utf8.xml');
  assert.throws(
    () => decodeResponse(html),
    (error: unknown) => {
      assert.ok(error instanceof XmlRpcProtocolError);
      assert.ok(
        error.message.startsWith('unexpected XML-RPC response from supervisord: not well-formed XML: '),
        error.message,
      );
      assert.ok(error.message.endsWith(`\nfirst 200 characters of the response:\n${html}`), error.message);
      assert.equal(error.bodyStart, html);
      return true;
    },
  );
});

// ---- system.multicall ----------------------------------------------------------------------------------------------

test('multicall: results come back bare, faults inline; a one-element array result is not unwrapped', () => {
  const results = decodeMulticall(decodeFixture('multicall-mixed.xml'));
  assert.equal(results.length, 6);
  const summary = results.map((r) =>
    r.ok ? { value: r.value } : { fault: [r.fault.code, r.fault.faultName, r.fault.detail] },
  );
  assert.deepEqual(summary, [
    { value: { statecode: 1, statename: 'RUNNING' } },
    { fault: [10, 'BAD_NAME', 'nosuch'] },
    { fault: [70, 'NOT_RUNNING', 'fails'] },
    { value: [[['extra'], ['web'], ['fails']]] },
    { value: [' line\n', 41, true] },
    { value: '4.2.5' },
  ]);
  const second = results[1];
  assert.ok(second !== undefined && !second.ok && second.fault instanceof SupervisorFault);
});

test('multicall: a struct that merely contains faultCode is a result', () => {
  const value = { faultCode: 10, faultString: 'BAD_NAME: x', extra: true };
  assert.deepEqual(decodeMulticall([value]), [{ ok: true, value }]);
  assert.deepEqual(decodeMulticall([{ faultCode: '10', faultString: 'x' }]), [
    { ok: true, value: { faultCode: '10', faultString: 'x' } },
  ]);
});

test('multicall: anything but an array is a protocol error', () => {
  assert.throws(
    () => decodeMulticall({ statecode: 1 }),
    protocolError(/system\.multicall returned a struct, not an array/),
  );
});

// ---- decodeResponse: the XML-RPC corners --------------------------------------------------------------------------

test('a <value> without a type tag is a string, whitespace and all', () => {
  assert.equal(decodeResponse(response('<value>plain text</value>')), 'plain text');
  assert.equal(decodeResponse(response('<value>  padded\n </value>')), '  padded\n ');
  assert.equal(decodeResponse(response('<value>0012</value>')), '0012');
  assert.equal(decodeResponse(response('<value></value>')), '');
  assert.equal(decodeResponse(response('<value/>')), '');
});

test('strings that look like numbers or booleans stay strings', () => {
  for (const s of ['0012', '1e5', 'true', '-3', '0x1F', ' 42 ', 'NaN', '']) {
    assert.equal(decodeResponse(response(`<value><string>${s}</string></value>`)), s);
  }
  assert.equal(decodeResponse(response('<value><string/></value>')), '');
});

test('ints, booleans, doubles and nil', () => {
  assert.equal(decodeResponse(response('<value><i4>-12</i4></value>')), -12);
  assert.equal(decodeResponse(response('<value><int> 42 </int></value>')), 42);
  assert.equal(decodeResponse(response('<value><int>+7</int></value>')), 7);
  assert.equal(decodeResponse(response('<value><boolean>1</boolean></value>')), true);
  assert.equal(decodeResponse(response('<value><boolean>0</boolean></value>')), false);
  assert.equal(decodeResponse(response('<value><double>-1.5e3</double></value>')), -1500);
  assert.equal(decodeResponse(response('<value><double>.25</double></value>')), 0.25);
  assert.equal(decodeResponse(response('<value><nil/></value>')), null);
});

test('dateTime.iso8601 (UTC) and base64 (line breaks allowed)', () => {
  assert.deepEqual(
    decodeResponse(response('<value><dateTime.iso8601>20260102T03:04:05</dateTime.iso8601></value>')),
    new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  );
  assert.deepEqual(
    decodeResponse(response('<value><dateTime.iso8601>2026-01-02T03:04:05</dateTime.iso8601></value>')),
    new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
  );
  assert.deepEqual(decodeResponse(response('<value><base64>aGVs\nbG8=\n</base64></value>')), Buffer.from('hello'));
});

test('empty arrays and structs, nested structs, whitespace and comments between tags', () => {
  assert.deepEqual(decodeResponse(response('<value><array><data/></array></value>')), []);
  assert.deepEqual(decodeResponse(response('<value><array><data></data></array></value>')), []);
  assert.deepEqual(decodeResponse(response('<value><struct></struct></value>')), {});
  const xml = response(`
    <value>
      <struct>
        <member>
          <name>outer</name>
          <value>
            <struct>
              <!-- supervisord sends none, but XML allows them -->
              <member><name>inner</name><value><array><data>
                <value><int>1</int></value>
                <value>two</value>
                <value><struct><member><name>three</name><value><boolean>1</boolean></value></member></struct></value>
              </data></array></value></member>
            </struct>
          </value>
        </member>
      </struct>
    </value>`);
  assert.deepEqual(decodeResponse(xml), { outer: { inner: [1, 'two', { three: true }] } });
});

test('entities and character references are decoded, CDATA is text', () => {
  assert.equal(
    decodeResponse(response('<value><string>&amp;&lt;&gt;&quot;&apos;&#10;&#x41;&#9731;&#x1F600;</string></value>')),
    '&<>"\'\nA☃😀',
  );
  assert.equal(decodeResponse(response('<value><string>&amp;amp;</string></value>')), '&amp;');
  assert.equal(decodeResponse(response('<value><string>&#13;</string></value>')), '\r');
  assert.equal(decodeResponse(response('<value><string>a<![CDATA[<b>&amp;]]>c</string></value>')), 'a<b>&amp;c');
});

test('a member named __proto__ is an ordinary key', () => {
  const value = decodeResponse(
    response(
      '<value><struct><member><name>__proto__</name><value><string>x</string></value></member></struct></value>',
    ),
  );
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.deepEqual(Object.entries(value as object), [['__proto__', 'x']]);
});

test('a later duplicate member wins, as in Python', () => {
  assert.deepEqual(
    decodeResponse(
      response(
        '<value><struct><member><name>a</name><value>1</value></member><member><name>a</name><value>2</value></member></struct></value>',
      ),
    ),
    { a: '2' },
  );
});

test('malformed XML is a protocol error naming the problem and quoting the body', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /not well-formed XML: Start tag expected/],
    ['Internal Server Error', /not well-formed XML/],
    ['<methodResponse><params></methodResponse>', /not well-formed XML: .*params/],
    ['<methodResponse>', /not well-formed XML: Unclosed tag 'methodResponse'/],
    [response('<value><string>a & b</string></value>'), /not well-formed XML: char '&' is not expected/],
    [response('<value><string>&nbsp;</string></value>'), /"&nbsp;" is not an XML entity/],
    [response('<value><string>&amp</string></value>'), /not well-formed XML: char '&' is not expected/],
    [response('<value><string>&#0;</string></value>'), /"&#0;" is not an XML entity or character reference/],
    [response('<value><string>&#x110000;</string></value>'), /"&#x110000;"/],
    [
      '<!DOCTYPE m [<!ENTITY a "aaaa">]><methodResponse><params><param><value>&a;</value></param></params></methodResponse>',
      /a DOCTYPE is not allowed/,
    ],
  ];
  for (const [xml, pattern] of cases) {
    assert.throws(
      () => decodeResponse(xml),
      (error: unknown) => {
        assert.ok(error instanceof XmlRpcProtocolError, `${JSON.stringify(xml)}: ${String(error)}`);
        assert.match(error.message, pattern, JSON.stringify(xml));
        assert.equal(error.bodyStart, xml.slice(0, 200));
        assert.ok(error.message.endsWith(`\nfirst 200 characters of the response:\n${xml.slice(0, 200)}`));
        return true;
      },
    );
  }
});

test('only the first 200 characters of a long body are quoted', () => {
  const xml = `<html>${'x'.repeat(500)}</html>`;
  assert.throws(
    () => decodeResponse(xml),
    (error: unknown) => {
      assert.ok(error instanceof XmlRpcProtocolError);
      assert.equal(error.bodyStart?.length, 200);
      assert.ok(error.message.endsWith(`\n${xml.slice(0, 200)}`));
      assert.ok(!error.message.includes('x'.repeat(201)));
      return true;
    },
  );
});

test('well-formed XML of the wrong shape is a protocol error saying where', () => {
  const param = (inner: string): string => `<methodResponse><params><param>${inner}</param></params></methodResponse>`;
  const member = (name: string, value: string): string =>
    `<member><name>${name}</name><value>${value}</value></member>`;
  const faultWith = (code: string): string =>
    `<methodResponse><fault><value><struct>${member('faultCode', code)}${member('faultString', 'x')}</struct></value></fault></methodResponse>`;
  const cases: Array<[string, RegExp]> = [
    ['<methodCall><methodName>x</methodName></methodCall>', /expected one <methodResponse>, found <methodCall>/],
    ['<methodResponse></methodResponse>', /<methodResponse> holds nothing, expected <params> or <fault>/],
    ['<methodResponse><params></params></methodResponse>', /<params> holds nothing, expected one <param>/],
    [
      '<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>',
      /<params> holds <param>, <param>, expected one <param>/,
    ],
    [param('<value><int>abc</int></value>'), /the result: <int> holds "abc", not an integer/],
    [param('<value><int>1.5</int></value>'), /<int> holds "1.5", not an integer/],
    [param('<value><int>99999999999999999999</int></value>'), /not an integer/],
    [param('<value><boolean>true</boolean></value>'), /<boolean> holds "true", not 0 or 1/],
    [param('<value><double>1,5</double></value>'), /<double> holds "1,5", not a number/],
    [param('<value><double>inf</double></value>'), /<double> holds "inf"/],
    [
      param('<value><dateTime.iso8601>20261302T00:00:00</dateTime.iso8601></value>'),
      /<dateTime.iso8601> holds "20261302T/,
    ],
    [param('<value><base64>a$b=</base64></value>'), /<base64> holds invalid base64/],
    [param('<value><nil>x</nil></value>'), /<nil> is not empty/],
    [param('<value><bigint>1</bigint></value>'), /unknown XML-RPC type <bigint>/],
    [param('<value>text<string>x</string></value>'), /unexpected text "text"/],
    [
      param('<value><string>a</string><string>b</string></value>'),
      /<value> holds <string>, <string>, expected one type/,
    ],
    [param('<value><string><b>x</b></string></value>'), /<string> holds <b>, expected text/],
    [param('<value><array><value>1</value></array></value>'), /<array> holds <value>, expected one <data>/],
    [param('<value><array><data><int>1</int></data></array></value>'), /found <int> where <value> belongs/],
    [
      param('<value><array><data><value>0</value><value><int>x</int></value></data></array></value>'),
      /the result\[1\]: <int> holds "x"/,
    ],
    [
      param('<value><struct><member><name>pid</name></member></struct></value>'),
      /the result: <member> holds <name>, expected <name>, <value>/,
    ],
    [
      param(`<value><struct>${member('a', `<struct>${member('pid', '<int>?</int>')}</struct>`)}</struct></value>`),
      /the result\.a\.pid: <int> holds "\?"/,
    ],
    [
      '<methodResponse><fault><value><string>boom</string></value></fault></methodResponse>',
      /<fault> is not a struct with an int faultCode and a string/,
    ],
    [faultWith('<string>10</string>'), /<fault> is not a struct with an int faultCode/],
    [faultWith('<int>10</int>') + '<extra/>', /expected one <methodResponse>, found <methodResponse>, <extra>/],
  ];
  for (const [xml, pattern] of cases) {
    assert.throws(
      () => decodeResponse(xml),
      (error: unknown) => {
        assert.ok(error instanceof XmlRpcProtocolError, `${xml}: ${String(error)}`);
        assert.match(error.message, pattern, xml);
        assert.equal(error.bodyStart, xml.slice(0, 200));
        return true;
      },
    );
  }
});
