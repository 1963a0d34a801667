// The benchmark's SVG chart: text escaped wherever it goes, bars to scale on a round axis, nothing but plain SVG.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart, escapeXml, formatSeconds, niceScale } from '../../../scripts/bench/chart.ts';
import type { Bar } from '../../../scripts/bench/chart.ts';

const bars: Bar[] = [
  { group: 'deploy 20 MB, cold', label: 'convoy', seconds: 84.2, highlight: true },
  { group: 'deploy 20 MB, cold', label: 'convoy --fanout 4', seconds: 21.05 },
  { group: 'status', label: 'convoy', seconds: 0.91, highlight: true },
  { group: 'status', label: 'Ansible', seconds: Number.NaN },
];

/** The width of every bar, in document order. */
const widths = (svg: string) =>
  [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)"/g)].map((m) => Number(m[1]));

test('escapeXml: the five XML specials become character references, the rest stays', () => {
  assert.equal(escapeXml(`a<b>&"c'`), 'a&#60;b&#62;&#38;&#34;c&#39;');
  assert.equal(escapeXml('convoy --persist, warm'), 'convoy --persist, warm');
});

test('labels, groups and the title cannot inject markup', () => {
  const svg = barChart([{ group: '<script>alert(1)</script>', label: '" onload="x', seconds: 1 }], {
    title: 'a & b',
    subtitle: '<i>',
  });
  assert.doesNotMatch(svg, /<script|<i>|" onload=/);
  assert.match(svg, /&#60;script&#62;alert\(1\)&#60;\/script&#62;/);
  assert.match(svg, /a &#38; b/);
});

test('niceScale: a round end at or above the largest value, at most 6 steps', () => {
  assert.deepEqual(niceScale(84.2), { max: 100, step: 20 });
  assert.deepEqual(niceScale(13.6), { max: 15, step: 2.5 });
  assert.deepEqual(niceScale(0.91), { max: 1, step: 0.2 });
  assert.deepEqual(niceScale(60), { max: 60, step: 10 });
  assert.deepEqual(niceScale(0), { max: 1, step: 0.2 });
  for (const max of [0.013, 1, 7.7, 48.6, 99.9, 1234]) {
    const s = niceScale(max);
    assert.ok(s.max >= max && s.max / s.step <= 6 + 1e-9, `${max}: ${JSON.stringify(s)}`);
  }
});

test('bars are to scale: width proportional to seconds on a 0–100 s axis; a missing value draws no bar', () => {
  const svg = barChart(bars, { title: 't', width: 800 });
  const [slow, fast, status, ...rest] = widths(svg);
  assert.deepEqual(rest, [], 'no bar for NaN');
  // Plot width 800 - 290 - 70 = 440 px for 100 s.
  assert.ok(Math.abs(slow! - 440 * 0.842) < 0.1, String(slow));
  assert.ok(Math.abs(slow! / fast! - 84.2 / 21.05) < 0.01);
  assert.ok(Math.abs(status! - 440 * 0.0091) < 0.1);
  assert.match(svg, />84\.2 s</);
  assert.match(svg, />0\.91 s</);
  for (const tick of ['0', '20', '40', '60', '80', '100']) assert.match(svg, new RegExp(`>${tick}</text>`));
});

test('plain SVG: one root element, no script, no external reference, groups as headings in order', () => {
  const svg = barChart(bars, { title: 'Convoy benchmark', subtitle: '50 hosts' });
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="800" height="\d+" viewBox="0 0 800 \d+"/);
  assert.doesNotMatch(svg, /<script|href=|@import|url\(/);
  assert.ok(svg.indexOf('>deploy 20 MB, cold<') < svg.indexOf('>status<'));
  assert.equal(svg.match(/>deploy 20 MB, cold</g)?.length, 1);
  assert.equal(formatSeconds(Number.NaN), '-');
});
