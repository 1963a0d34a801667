// Who may use the dashboard (docs/ui.md, "Security"): the token printed at start (then a cookie), a Host header that
// names this server (DNS rebinding), and for actions an anti-CSRF header and a matching Origin. Pure functions.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The secrets of one server run: the token in the printed URL, and the CSRF value derived from it. */
export interface UiSecrets {
  token: string;
  csrf: string;
  /** The cookie's name (cookies are shared between ports of one host: each server has its own). */
  cookieName: string;
}

export const csrfHeader = 'x-convoy-csrf';

/** 32 random bytes, hex; a new one every run, never written anywhere but the printed URL. */
export function newSecrets(port: number, random: (n: number) => Buffer = randomBytes): UiSecrets {
  const token = random(32).toString('hex');
  const csrf = createHmac('sha256', token).update('csrf').digest('hex');
  return { token, csrf, cookieName: `convoy_ui_${port}` };
}

/** Constant-time equality of two strings (a timing difference must not tell how much of a guess was right). */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header, if present. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie header that carries the token from the URL into the browser: not readable by scripts, same site only. */
export function sessionCookie(secrets: UiSecrets): string {
  return `${secrets.cookieName}=${secrets.token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** What a request carries that the checks look at. */
export interface RequestFacts {
  method: string;
  /** The path and query, as in the request line. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export type Verdict =
  | {
      ok: true;
      /** The token came in the URL: set the cookie and send the browser to the URL without it. */ redirect?: string;
    }
  | { ok: false; status: 400 | 401 | 403; reason: string };

function header(facts: RequestFacts, name: string): string | undefined {
  const value = facts.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Requests that change something on the hosts (everything else only reads). */
export function isAction(facts: RequestFacts): boolean {
  return facts.method !== 'GET' && facts.method !== 'HEAD';
}

/**
 * The checks every request passes, in order: the Host header is one of `hosts` (`address:port` this server answers
 * as); the token, in the cookie or once in the URL; for an action, the CSRF header and an Origin of this server.
 */
export function checkRequest(facts: RequestFacts, secrets: UiSecrets, hosts: readonly string[] | 'any'): Verdict {
  const host = header(facts, 'host') ?? '';
  if (hosts !== 'any' && !hosts.includes(host)) {
    return { ok: false, status: 403, reason: `Host '${host}' is not this server (expected ${hosts.join(' or ')})` };
  }
  const url = new URL(facts.url, `http://${host}`);
  const fromUrl = url.searchParams.get('token') ?? undefined;
  const fromCookie = cookieValue(header(facts, 'cookie'), secrets.cookieName);
  const viaUrl = sameSecret(fromUrl, secrets.token);
  if (!viaUrl && !sameSecret(fromCookie, secrets.token)) {
    return { ok: false, status: 401, reason: 'no valid token: open the URL convoy ui printed' };
  }
  if (isAction(facts)) {
    if (!sameSecret(header(facts, csrfHeader), secrets.csrf)) {
      return { ok: false, status: 403, reason: `an action needs the ${csrfHeader} header of the page` };
    }
    const origin = header(facts, 'origin');
    if (origin !== `http://${host}`) {
      return { ok: false, status: 403, reason: `Origin '${origin ?? ''}' is not this server's (http://${host})` };
    }
  }
  if (viaUrl && facts.method === 'GET') {
    url.searchParams.delete('token');
    return { ok: true, redirect: url.pathname + url.search };
  }
  return { ok: true };
}

/**
 * The `address:port` forms a browser may put in the Host header for a server listening on `address`; 'any' for a
 * wildcard address (every name of the machine is then the server's: the token alone guards it).
 */
export function hostNames(address: string, port: number): string[] | 'any' {
  if (address === '0.0.0.0' || address === '::') return 'any';
  const names = [address.includes(':') ? `[${address}]` : address];
  if (address === '127.0.0.1' || address === '::1') names.push('localhost');
  return names.map((n) => `${n}:${port}`);
}
