/**
 * Store URLs as messages and logs may show them: without any secret, in any
 * form the drivers (pg, mysql2, ioredis, mongodb) accept.
 *
 * The URL is not parsed with the WHATWG parser, which refuses forms the
 * drivers take (several hosts, `mongodb://u:p@h1,h2/db`; a password with an
 * unencoded `/`, `?` or `#`), and would then leave nothing to show or, worse,
 * tempt a fallback that shows everything. Instead:
 *
 * - userinfo is everything before the last `@`: a password holding `@`, `/`,
 *   `?`, `#` or `:` is hidden whole. The user name before the first `:` stays
 *   (it helps to find which account failed), the rest becomes `***`. A Redis
 *   userinfo without `:` is hidden whole (some clients read it as a password).
 * - a parameter whose name (percent-decoded) contains `pass`, `pwd`,
 *   `secret`, `token`, `key` or `credential`, or is
 *   `authMechanismProperties` (MongoDB's AWS session token), shows `***` as
 *   its value: `password`, `pass`, `sslpassword`, `sslkey`,
 *   `tlsCertificateKeyFilePassword`, …; so does a piece without `=` that
 *   follows one (the rest of a value with an unencoded `&`). Parameters are
 *   separated by `?`, `&`, `;` or white space, which also covers keyword
 *   strings (`host=db password=…`).
 * - a fragment (`#…`) is hidden whole.
 *
 * Hiding too much is the safe failure: an `@` inside a query value hides the
 * host as well.
 */

const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:(?:\/\/)?/;
const SECRET_NAME = /pass|pwd|secret|token|key|credential|authmechanismproperties/i;
const HIDDEN = '***';

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function redactUserinfo(userinfo: string, scheme: string): string {
  const colon = userinfo.indexOf(':');
  if (colon >= 0) return `${userinfo.slice(0, colon)}:${HIDDEN}@`;
  return /^rediss?:/i.test(scheme) ? `${HIDDEN}@` : `${userinfo}@`;
}

/** Hides the values of secret parameters in `text` (see the module comment). */
function redactParameters(text: string): string {
  const parts = text.split(/([?&;\s])/);
  let hiding = false;
  let out = '';
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i % 2 === 1) {
      out += part;
      continue;
    }
    const equals = part.indexOf('=');
    if (equals < 0) {
      out += hiding && part !== '' ? HIDDEN : part;
      continue;
    }
    const name = part.slice(0, equals);
    hiding = SECRET_NAME.test(decoded(name));
    out += hiding ? `${name}=${HIDDEN}` : part;
  }
  return out;
}

/** The URL with every secret replaced by `***` (see the module comment). */
export function redactUrl(url: string): string {
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  let rest = url.slice(scheme.length);
  let userinfo = '';
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    userinfo = redactUserinfo(rest.slice(0, at), scheme);
    rest = rest.slice(at + 1);
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = `${rest.slice(0, hash)}#${HIDDEN}`;
  return scheme + userinfo + redactParameters(rest);
}

/**
 * The secrets of a URL (password, secret parameter values; raw and
 * percent-decoded), for {@link redactSecretsIn}.
 */
function secretsOf(url: string): string[] {
  const secrets = new Set<string>();
  const add = (value: string): void => {
    if (value === '') return;
    secrets.add(value);
    secrets.add(decoded(value));
  };
  const scheme = SCHEME.exec(url)?.[0] ?? '';
  let rest = url.slice(scheme.length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) add(userinfo.slice(colon + 1));
    else if (/^rediss?:/i.test(scheme)) add(userinfo);
    rest = rest.slice(at + 1);
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    add(rest.slice(hash + 1));
    rest = rest.slice(0, hash);
  }
  let hiding = false;
  for (const part of rest.split(/[?&;\s]/)) {
    const equals = part.indexOf('=');
    if (equals < 0) {
      if (hiding) add(part);
      continue;
    }
    hiding = SECRET_NAME.test(decoded(part.slice(0, equals)));
    if (hiding) add(part.slice(equals + 1));
  }
  return [...secrets].sort((a, b) => b.length - a.length);
}

/**
 * `text` (a driver's error message, say) with every secret of `url` in it
 * replaced by `***`, and the URL itself by its redacted form. Secrets shorter
 * than four characters are only hidden inside the URL: replacing every
 * occurrence of one or two letters would garble the message.
 */
export function redactSecretsIn(text: string, url: string): string {
  let result = text.split(url).join(redactUrl(url));
  for (const secret of secretsOf(url)) {
    if (secret.length >= 4) result = result.split(secret).join(HIDDEN);
  }
  return result;
}
