/**
 * Who may do what, and the defences of every response: the access level of a
 * request (`authorize`, `basicAuth`, `readOnly`), the CSRF token (a
 * double-submit cookie, `SameSite=Strict`), the check that a change comes
 * from the dashboard's own origin, and the headers every response carries.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** What a request may do: nothing, read every page and the API, or also change jobs. */
export type Access = 'none' | 'read' | 'write';

export type Authorize = (request: Request) => Access | Promise<Access>;

export interface BasicAuthCredentials {
  readonly username: string;
  readonly password: string;
}

/** The cookie that holds a browser's CSRF token. */
export const CSRF_COOKIE = 'horarium_csrf';
/** The form field (and API header) that repeats it. */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function newCsrfToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const RANK: Record<Access, number> = { none: 0, read: 1, write: 2 };

/** The lower of two access levels. */
export function atMost(access: Access, cap: Access): Access {
  return RANK[access] <= RANK[cap] ? access : cap;
}

export function isAccess(value: unknown): value is Access {
  return value === 'none' || value === 'read' || value === 'write';
}

/** `write` for a request with these credentials, `none` for any other. */
export function basicAuthorize(credentials: BasicAuthCredentials): Authorize {
  const expected = `${credentials.username}:${credentials.password}`;
  return (request) => {
    const header = request.headers.get('authorization') ?? '';
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim());
    if (match === null) return 'none';
    const given = Buffer.from(match[1] as string, 'base64').toString('utf8');
    return sameSecret(given, expected) ? 'write' : 'none';
  };
}

/**
 * Is this request from a page of the dashboard's own origin (or from a tool
 * that is no browser)? Browsers send `Sec-Fetch-Site` and `Origin` with every
 * POST; a cross-site one is refused whatever its token.
 */
export function isSameOrigin(request: Request): boolean {
  const site = request.headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.get('origin');
  if (origin === null || origin === 'null') return origin === null;
  const host = request.headers.get('host') ?? new URL(request.url).host;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** The headers of every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
