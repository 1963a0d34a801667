import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupSection } from '../../../src/inventory/normalise.ts';
import { hostsOfGroups } from '../../../src/inventory/rules.ts';

function group(name: string, hosts: string[], children: string[] = []): GroupSection {
  return {
    name,
    line: 1,
    layer: { section: `group:${name}`, settings: {}, vars: new Map() },
    hosts,
    children,
    flawed: false,
  };
}

function hostsOf(...groups: GroupSection[]): Record<string, string[]> {
  const found = hostsOfGroups(groups, new Map(groups.map((g) => [g.name, g])));
  return Object.fromEntries([...found].map(([name, hosts]) => [name, [...hosts]]));
}

test('a group has its own hosts, then those of its children and their children, each once', () => {
  assert.deepEqual(
    hostsOf(
      group('prod', ['p'], ['web', 'db']),
      group('web', ['w', 'shared'], ['edge']),
      group('db', ['shared']),
      group('edge', ['e']),
    ),
    { prod: ['p', 'w', 'shared', 'e'], web: ['w', 'shared', 'e'], edge: ['e'], db: ['shared'] },
  );
});

test('unknown children add nothing, and a cycle of children does not loop', () => {
  assert.deepEqual(hostsOf(group('a', ['x'], ['b', 'nope']), group('b', ['y'], ['a'])).a, ['x', 'y']);
});
