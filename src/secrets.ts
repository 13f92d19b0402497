/**
 * Finding secrets in text that is about to leave the process (log lines, Discord messages).
 *
 * Length rule: a configured secret is redacted everywhere, in every form, only when it has at least
 * MIN_SECRET_LENGTH characters. Replacing a 1–3 character secret wherever it occurs would wreck every
 * line (a password "a" would redact every "a"), so shorter secrets are redacted only in their credential
 * contexts: the password of any `scheme://user:pass@` URL and the value of sensitive query parameters
 * (see redactSensitiveParams), plus the longer `user:pass` pair that secretsOf lists for URL credentials,
 * whose base64 form is the HTTP Basic auth header.
 */

const REDACTED = '[redacted]';
const MIN_SECRET_LENGTH = 4;

const SENSITIVE_PARAMS = ['token', 'access_token', 'query_token', 'api_key', 'apikey', 'key', 'password', 'secret'];
const PARAM_PATTERN = new RegExp(`([?&#](?:${SENSITIVE_PARAMS.join('|')})=)[^&#\\s"'<>\\\\]+`, 'gi');
// The scheme is bounded so a long run of letters (a base64 blob) is not rescanned from every position.
const USERINFO_PATTERN = /\b([a-z][a-z0-9+.-]{0,30}:\/\/[^\s/?#@:"'<>]*):[^\s/?#"'<>]+@/gi;

/**
 * Every form in which each secret may appear in text: raw, JSON-escaped (once and twice), percent-encoded,
 * base64. An Authorization value (`Bearer x`, `Basic b64`) also yields its credential. Applies the length rule.
 */
export function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets.flatMap(credentialsIn)) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of formsOf(secret)) forms.add(form);
  }
  return [...forms];
}

/** What a secret carries when it is an Authorization value: itself, the credential after `Bearer `/`Basic `, and Basic's `user:pass` and password. */
function credentialsIn(value: string): string[] {
  const match = /^(Bearer|Token|Basic)\s+(\S+)$/i.exec(value.trim());
  if (!match?.[1] || !match[2]) return [value];
  const credential = match[2];
  if (match[1].toLowerCase() !== 'basic' || !/^[A-Za-z0-9+/]+={0,2}$/.test(credential)) return [value, credential];
  const pair = Buffer.from(credential, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  return colon < 0 ? [value, credential] : [value, credential, pair, pair.slice(colon + 1)];
}

function formsOf(secret: string): string[] {
  const escaped = jsonEscape(secret);
  return [secret, escaped, jsonEscape(escaped), ...percentForms(secret), ...base64Forms(secret)];
}

function jsonEscape(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** encodeURIComponent, the URL userinfo encoding and form encoding differ (`$`, `&`, `!`, space): list each, in both hex cases. */
function percentForms(secret: string): string[] {
  const userinfo = new URL('http://host');
  userinfo.password = secret;
  const encoded = [encodeURIComponent(secret), userinfo.password, new URLSearchParams({ s: secret }).toString().slice(2)];
  return [...encoded, ...encoded.map((form) => form.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()))];
}

function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const padded = bytes.toString('base64');
  return [padded, padded.replace(/=+$/, ''), bytes.toString('base64url')];
}

const PATTERN_CACHE_SIZE = 16;
const patterns = new Map<string, RegExp | undefined>();

/** One alternation, longest first, in a lookahead so that overlapping occurrences are all found. Cached per form list. */
function patternFor(forms: readonly string[]): RegExp | undefined {
  const key = JSON.stringify(forms);
  if (patterns.has(key)) return patterns.get(key);
  const pattern = buildPattern(forms);
  if (patterns.size >= PATTERN_CACHE_SIZE) patterns.delete(patterns.keys().next().value ?? '');
  patterns.set(key, pattern);
  return pattern;
}

function buildPattern(forms: readonly string[]): RegExp | undefined {
  const usable = forms.filter((form) => form.length > 0).sort((a, b) => b.length - a.length);
  return usable.length === 0 ? undefined : new RegExp(`(?=(${usable.map(escapeRegExp).join('|')}))`, 'g');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces every occurrence of every form with [redacted], in one pass. Overlapping or touching occurrences
 * become one [redacted], so no character of any occurrence survives (a plain alternation would stop at the
 * first match and leave the tail of an overlapping one).
 */
export function scrub(text: string, forms: readonly string[]): string {
  return scrubWith(text, patternFor(forms));
}

function scrubWith(text: string, pattern: RegExp | undefined): string {
  if (!pattern) return text;
  let result = '';
  let end = -1;
  for (const match of text.matchAll(pattern)) {
    if (match.index > end) result += (end < 0 ? '' : REDACTED) + text.slice(Math.max(end, 0), match.index);
    end = Math.max(end, match.index + (match[1] ?? '').length);
  }
  return end < 0 ? text : result + REDACTED + text.slice(end);
}

/** Redacts URL passwords (`scheme://user:[redacted]@`) and the values of sensitive query parameters (`?token=[redacted]`), configured or not. */
export function redactSensitiveParams(text: string): string {
  return text.replace(USERINFO_PATTERN, `$1:${REDACTED}@`).replace(PARAM_PATTERN, `$1${REDACTED}`);
}

/**
 * Cuts long text (an error body) for a message at a separator (space, quote, comma, &, =, ;), never inside a
 * run of token characters, so a configured secret is either whole — and scrubbed — or not there at all.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const cut = Math.max(...[' ', '"', "'", ',', '&', '=', ';', '\n', '<', '>'].map((separator) => head.lastIndexOf(separator)));
  return `${cut > 0 ? head.slice(0, cut) : ''}…`;
}

/** Interaction webhook tokens in routes (discord.js puts the URL in its errors): `/webhooks/<app>/<token>`. */
const WEBHOOK_TOKEN_PATTERN = /(\/(?:webhooks|interactions)\/\d+\/)[A-Za-z0-9_.-]{16,}/g;

/** Everything a line needs: configured secrets in every form, then unconfigured URL credentials and webhook tokens. Build once per secret list. */
export function createScrubber(secrets: readonly string[]): (text: string) => string {
  const pattern = buildPattern(secretForms(secrets));
  return (text) => redactSensitiveParams(scrubWith(text, pattern)).replace(WEBHOOK_TOKEN_PATTERN, `$1${REDACTED}`);
}
