import { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { isObject } from '../engine/json.js';
import { REDACTED, type FixtureResponse, type FixtureUpgrade } from './fixture.js';

/**
 * Removes credentials from what the recorder keeps: registry auth headers,
 * password-like JSON fields, `KEY=value` environment entries whose key looks
 * secret (`WORKERPASS=…`), swarm join tokens and unlock keys (kept as
 * `SWMTKN-1-<redacted>`, which replays against any token), and any
 * registered secret string wherever it appears. Inside binary streams a secret is masked with `*` of the same
 * length, so multiplexed frame sizes stay valid.
 */

const SECRET_KEYS = /^(password|auth|identitytoken|registrytoken|secret|token)$/i;
const SECRET_ENV = /^([A-Za-z0-9_]*(?:PASS|PASSWORD|SECRET|TOKEN|CREDENTIALS?)[A-Za-z0-9_]*)=(.*)$/s;
/** Swarm join tokens and unlock keys: the engine generates them, so they cannot be registered beforehand. */
const SWARM_TOKEN = /\b(SWM(?:TKN|KEY)-1-)[A-Za-z0-9+/=_-]+/g;

export class Scrubber {
  private readonly secrets = new Set<string>();

  constructor(secrets: readonly string[] = []) {
    for (const s of secrets) this.add(s);
  }

  add(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }

  /** Scrubs a string: secret env entries and registered secrets. */
  text(value: string): string {
    let out = value;
    const env = SECRET_ENV.exec(out);
    if (env) out = `${env[1] ?? ''}=${REDACTED}`;
    out = out.replace(SWARM_TOKEN, (_token, prefix: string) => `${prefix}${REDACTED}`);
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  }

  /** Scrubs a JSON value recursively. */
  json(value: unknown): unknown {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.json(v));
    if (isObject(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = SECRET_KEYS.test(k) && typeof v === 'string' && v !== '' ? REDACTED : this.json(v);
      }
      return out;
    }
    return value;
  }

  query(q: Record<string, string | string[]>): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(q)) out[k] = Array.isArray(v) ? v.map((x) => this.masked(x)) : this.masked(v);
    return out;
  }

  /** Masks registered secrets with `*` of the same length (for byte streams). */
  bytes(buf: Buffer): Buffer {
    let out = buf;
    for (const s of this.secrets) {
      const needle = Buffer.from(s, 'utf8');
      let at = out.indexOf(needle);
      if (at < 0) continue;
      out = Buffer.from(out);
      while (at >= 0) {
        out.fill(0x2a, at, at + needle.length);
        at = out.indexOf(needle, at + needle.length);
      }
    }
    return out;
  }

  private masked(s: string): string {
    let out = s;
    for (const secret of this.secrets) if (out.includes(secret)) out = out.split(secret).join('*'.repeat(secret.length));
    return out;
  }

  /** Turns a recorded engine response into its fixture form, scrubbed. */
  response(er: IncomingMessage, headers: Record<string, string | string[]>, chunks: Buffer[], open: boolean, head: boolean): FixtureResponse {
    const r: FixtureResponse = { statusCode: er.statusCode ?? 0, headers };
    if (er.statusMessage) r.statusMessage = er.statusMessage;
    if (head) {
      const cl = er.headers['content-length'];
      if (cl !== undefined) r.headers = { ...headers, 'content-length': cl };
      return r;
    }
    const all = Buffer.concat(chunks);
    const streamed = chunks.length > 1 || er.headers['content-length'] === undefined;
    const type = String(er.headers['content-type'] ?? '');
    if (all.length > 0 && type.includes('json') && !open) {
      try {
        r.body = this.json(JSON.parse(all.toString('utf8')));
        return r;
      } catch {
        // JSON lines: keep the chunks
      }
    }
    if (all.length === 0 && !open) return r;
    if (!streamed && !all.includes(0) && isUtf8(all)) {
      r.bodyText = this.text(all.toString('utf8'));
      return r;
    }
    r.chunks = chunks.filter((c) => c.length > 0).map((c) => this.bytes(c).toString('base64'));
    if (open) r.open = true;
    return r;
  }

  upgrade(u: FixtureUpgrade): FixtureUpgrade {
    return {
      ...u,
      toClient: u.toClient.map((c) => typeof c === 'string'
        ? this.bytes(Buffer.from(c, 'base64')).toString('base64')
        : { ...c, data: this.bytes(Buffer.from(c.data, 'base64')).toString('base64') }),
      fromClient: u.fromClient.map((c) => this.bytes(Buffer.from(c, 'base64')).toString('base64')),
    };
  }
}

function isUtf8(buf: Buffer): boolean {
  return Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}
