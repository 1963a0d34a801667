// What the connect tests share: settings for an in-process server, and the SshError a connection attempt rejects with.
import assert from 'node:assert/strict';
import type { ConnectSettings } from '../../../src/ssh/connect.ts';
import { SshError } from '../../../src/ssh/errors.ts';
import { KnownHostsStore } from '../../../src/ssh/known-hosts-store.ts';

/** Short timeouts, no keepalives, an empty known_hosts store, `homeDir` for default keys. */
export function connectSettings(homeDir: string, extra: Partial<ConnectSettings> = {}): ConnectSettings {
  return {
    knownHosts: new KnownHostsStore([]),
    acceptNewHostKeys: false,
    connectTimeoutMs: 3000,
    serverAliveIntervalMs: 0,
    homeDir,
    ...extra,
  };
}

/** The SshError `promise` rejects with (the test fails if it resolves or rejects with anything else). */
export async function rejection(promise: Promise<unknown>): Promise<SshError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SshError, `expected SshError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}
