import {
  DockerArgumentError, DockerConfigError, DockerError, DockerIgnore, DockerProtocolError, DockerStreamError, VolumeSpecError,
  containerVolumes, parseVolumeSpec,
} from '../../src/index.js';
import { parseHost, resolveEndpoint, type EndpointEnvironment, type EndpointOptions } from '../../src/engine/endpoint.js';
import { translate } from '../../src/engine/build/ignore-pattern.js';
import { re2ToLinear, re2ToRegExp, Re2SyntaxError } from '../../src/engine/build/re2-regexp.js';
import { FrameDecoder, demux } from '../../src/engine/streams/demux.js';
import { JsonLineDecoder, jsonLines, progress } from '../../src/engine/streams/json-lines.js';
import { messageStream } from '../../src/engine/streams/messages.js';
import { Prng, decodeAll, fromChunks, randomChunks } from './streams.js';

/**
 * The fuzz targets: for each, a generator of random and mutated inputs
 * and the property every input must keep. The property is the same for
 * all: the code under test returns, or throws the typed error its
 * contract names — never another exception, never a hang (the runner's
 * watchdog sees that). Some add an oracle: a result that must not depend
 * on how a stream is chunked, an endpoint that reads back the same, a
 * linear matcher that agrees with JavaScript's backtracking one.
 *
 * Every case draws from its own generator, seeded by (seed, target, index),
 * so one case can be replayed alone.
 */

/** A failed case: what broke, on which input. */
export class FuzzFailure extends Error {
  readonly input: string;
  constructor(message: string, input: unknown) {
    super(message);
    this.input = JSON.stringify(input, (_k, v: unknown) => (Buffer.isBuffer(v) ? `hex:${v.toString('hex')}` : v));
  }
}

export interface FuzzTarget {
  name: string;
  /** Cases in the default run (before the BERTH_FUZZ_SCALE multiplier). */
  cases: number;
  /** Runs one case; throws a {@link FuzzFailure} when the property breaks. Returns whether the input was refused. */
  run(rand: Prng): Promise<boolean> | boolean;
}

/** The generator of case `index` of `target` in a run seeded `seed` (FNV-1a of the three). */
export function caseRng(seed: number, target: string, index: number): Prng {
  let h = 0x811c9dc5 ^ seed;
  for (const c of `${target}#${index}`) h = Math.imul(h ^ (c.codePointAt(0) as number), 0x01000193) >>> 0;
  return new Prng(h);
}

const INTERESTING = [
  ':', '/', '//', '\\', '[', ']', '[^', '*', '**', '?', '!', '#', '@', '.', '..', '-', ' ', '\t', '\r', '\n', '\u0000', '%', '=', ',',
  '{', '}', '(', ')', '|', '+', '$', '^', '~', '\uFEFF', '\u00a0', '\u0085', 'é', '😀', '\u200b', '0', '65535', '65536', '[::1]',
];

/** Random text from interesting pieces and random code points. */
function randomText(rand: Prng, maxPieces = 12): string {
  let out = '';
  const n = rand.int(maxPieces + 1);
  for (let i = 0; i < n; i++) {
    const k = rand.int(4);
    if (k === 0) out += String.fromCodePoint(rand.int(0x80));
    else if (k === 1) out += String.fromCodePoint(0x80 + rand.int(0x2000));
    else out += rand.pick(INTERESTING);
  }
  return out;
}

/** A mutation of a seed string: flips, insertions, deletions, splices, repetitions. */
function mutate(rand: Prng, base: string, corpus: readonly string[]): string {
  let s = Array.from(base);
  const rounds = 1 + rand.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = rand.int(s.length + 1);
    switch (rand.int(7)) {
      case 0: if (s.length > 0) s[Math.min(at, s.length - 1)] = rand.pick(INTERESTING); break;
      case 1: s.splice(at, 0, ...Array.from(rand.pick(INTERESTING))); break;
      case 2: s.splice(at, 1 + rand.int(3)); break;
      case 3: s = [...s.slice(0, at), ...Array.from(rand.pick(corpus))]; break;
      case 4: { const from = rand.int(s.length + 1); s.splice(at, 0, ...s.slice(from, from + 1 + rand.int(6))); break; }
      case 5: { const piece = s.slice(at, at + 1 + rand.int(4)); for (let i = rand.int(12); i > 0; i--) s.splice(at, 0, ...piece); break; }
      default: s = s.slice(0, at); break;
    }
  }
  return s.join('');
}

function input(rand: Prng, corpus: readonly string[]): string {
  return rand.int(4) === 0 ? randomText(rand) : mutate(rand, rand.pick(corpus), corpus);
}

/** Runs `fn`; a thrown error must be one of `allowed` (and a DockerError). */
function expectTyped<T>(what: string, subject: unknown, allowed: ReadonlyArray<abstract new (...args: never[]) => Error>, fn: () => T): { value?: T; error?: Error } {
  try {
    return { value: fn() };
  } catch (err) {
    if (err instanceof DockerError && allowed.some((c) => err instanceof c)) return { error: err };
    const text = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
    throw new FuzzFailure(`${what} threw ${text}`, subject);
  }
}

// ---- endpoint ---------------------------------------------------------------

const HOSTS = [
  'unix:///var/run/docker.sock', 'unix://', 'tcp://127.0.0.1:2376', 'tcp://[::1]:2375/base', 'tcp://localhost', 'tcp://h:1/a/b/',
  'ssh://user@build-host:22/run/docker.sock', 'ssh://h', 'https://engine.example.com', 'http://10.0.0.5:2375', 'npipe:////./pipe/docker_engine',
  'fd://', 'localhost:2375', '10.1.2.3', 'tcp://[fe80::1%eth0]:2376', 'HTTP://UPPER:2375', 'tcp://a_b-c.d:65535',
];

const hostTarget: FuzzTarget = {
  name: 'endpoint: parseHost',
  cases: 20_000,
  run(rand) {
    const host = input(rand, HOSTS);
    const r = expectTyped('parseHost', host, [DockerConfigError], () => parseHost(host, 'DOCKER_HOST'));
    if (r.error) {
      if (!r.error.message.startsWith(`DOCKER_HOST="${host}": `)) throw new FuzzFailure(`the error does not name the variable and value: ${r.error.message}`, host);
      return true;
    }
    // what parsed reads back the same through the resolved endpoint's URL
    const first = resolveEndpoint({ host }, fakeEnvironment({}, {}, () => false));
    const again = expectTyped('parseHost of the endpoint URL', first.url, [DockerConfigError], () => parseHost(first.url, 'url'));
    const p = again.value;
    if (!p || p.protocol !== first.protocol || p.host !== first.host || (p.port ?? undefined) !== (first.protocol === 'ssh' ? first.ssh?.port : first.port)
      || (p.socketPath ?? undefined) !== (first.protocol === 'unix' ? first.socketPath : undefined) || p.basePath !== first.basePath) {
      throw new FuzzFailure(`${first.url} does not read back as the endpoint it names`, { host, parsedAgain: p });
    }
    first.describe();
    return false;
  },
};

const CONFIGS = ['{"currentContext":"remote"}', '{"currentContext":""}', '{}', '[]', 'null', '{"currentContext":"default"}', '{"currentContext":5}', ''];
const METAS = [
  '{"Endpoints":{"docker":{"Host":"tcp://h:2376","SkipTLSVerify":false}}}', '{"Endpoints":{"docker":{"Host":"unix:///x.sock"}}}',
  '{"Endpoints":{"docker":{"Host":"ssh://u@h","SkipTLSVerify":true}}}', '{"Endpoints":{}}', '{"Endpoints":{"docker":{"Host":""}}}', '{',
];
const VARIABLES = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_TLS', 'DOCKER_CERT_PATH', 'DOCKER_CONFIG', 'XDG_RUNTIME_DIR'];

function fakeEnvironment(env: Record<string, string>, files: Record<string, string>, exists: (path: string) => boolean): EndpointEnvironment {
  return { env, homedir: '/home/u', readFile: (path) => files[path], exists: (path) => path in files || exists(path) };
}

const resolveTarget: FuzzTarget = {
  name: 'endpoint: resolveEndpoint',
  cases: 10_000,
  run(rand) {
    const env: Record<string, string> = {};
    for (const name of VARIABLES) {
      if (rand.int(3) !== 0) continue;
      env[name] = name === 'DOCKER_HOST' ? input(rand, HOSTS) : name === 'DOCKER_CONTEXT' ? input(rand, ['remote', 'default', 'x']) : input(rand, ['1', '', '/certs', '0', '/tmp/cfg']);
    }
    const configDir = env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : '/home/u/.docker';
    const files: Record<string, string> = {};
    if (rand.int(2) === 0) files[`${configDir}/config.json`] = input(rand, CONFIGS);
    const existing = new Set<string>();
    const exists = (path: string): boolean => {
      if (!existing.has(path) && rand.int(3) === 0) existing.add(path); // a file system that answers at random, once per path
      return existing.has(path);
    };
    const options: EndpointOptions = {};
    switch (rand.int(5)) {
      case 0: options.host = input(rand, HOSTS); break;
      case 1: options.socketPath = input(rand, ['/run/docker.sock', '']); break;
      case 2: options.context = input(rand, ['remote', 'default']); break;
      default: break;
    }
    if (rand.int(3) === 0) options.tls = rand.int(2) === 0 ? rand.int(2) === 0 : { verify: rand.int(2) === 0, ...(rand.int(2) ? { certPath: '/certs' } : {}), ...(rand.int(3) === 0 ? { cert: 'x' } : {}) };
    const environment = fakeEnvironment(env, files, exists);
    // every context name resolves to a meta.json that may exist
    const readFile = environment.readFile;
    const metas = new Map<string, string | undefined>();
    const withMeta: EndpointEnvironment = {
      ...environment,
      readFile: (path) => {
        if (!path.endsWith('/meta.json')) return readFile(path);
        if (!metas.has(path)) metas.set(path, rand.int(4) === 0 ? undefined : input(rand, METAS));
        return metas.get(path);
      },
    };
    const r = expectTyped('resolveEndpoint', { options, env, files }, [DockerConfigError], () => resolveEndpoint(options, withMeta));
    if (r.value) {
      r.value.describe();
      if (r.value.protocol === 'tcp' && r.value.tls && options.tls === undefined && !('DOCKER_TLS' in env) && env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && !r.value.tls.verify && r.value.source === 'DOCKER_HOST') {
        throw new FuzzFailure('DOCKER_TLS_VERIFY was set but verification is off', { options, env });
      }
    }
    return r.error !== undefined;
  },
};

// ---- .dockerignore ------------------------------------------------------------

const IGNORE_LINES = [
  '*.log', '!keep.log', '**/node_modules', '# comment', 'a/**/b', '[a-z]?.txt', '\\#literal', '/abs', '../up', 'dir/', ' spaced ', '[[:alpha:]]*',
  '\\Qa.b\\E', '**', '*', '!', '!dir/keep', 'a\\*b', '[!a]', '[^a-c]x', 'x/**/y/**/z', '**/*.go', 'a?b', '\\[x\\]', '[\\]]', 'é*', '.*', '\\b*',
];
const PATHS = ['a', 'a/b/c.txt', 'node_modules/x/index.js', '.dockerignore', 'Dockerfile', 'dir/keep', 'keep.log', 'x/y/z', 'é/😀.txt', 'a b/c', '.', ''];

const ignoreTarget: FuzzTarget = {
  name: 'dockerignore: parse and match',
  cases: 20_000,
  run(rand) {
    const lines: string[] = [];
    for (let i = rand.int(6); i >= 0; i--) lines.push(input(rand, IGNORE_LINES));
    const text = lines.join(rand.int(4) === 0 ? '\r\n' : '\n');
    const r = expectTyped('DockerIgnore.parse', text, [DockerArgumentError], () => DockerIgnore.parse(text));
    const rules = r.value;
    if (!rules) return true;
    for (let i = 0; i < 4; i++) {
      const path = input(rand, PATHS);
      const matched = expectTyped('matches', { text, path }, [], () => rules.matches(path)).value;
      if (typeof matched !== 'boolean') throw new FuzzFailure('matches() did not answer a boolean', { text, path });
      const dir = path.split('/').slice(0, -1).join('/');
      const parent = dir === '' ? undefined : rules.evaluate(dir, true).state;
      expectTyped('evaluate', { text, path }, [], () => rules.evaluate(path, rand.int(2) === 0, parent));
    }
    expectTyped('withBuildFiles', text, [], () => rules.withBuildFiles(input(rand, ['Dockerfile', 'sub/Dockerfile.dev'])));
    return false;
  },
};

/** Globs whose expressions JavaScript's backtracking can still evaluate quickly: few wildcards. */
const SMALL_GLOBS = ['a*b', '*.txt', '**/x', 'a/**', '[a-c]?', 'x/*/y', '\\*', '[[:digit:]]', '[^/]', 'a\\Qb.c\\Ed', '\\bx', '\\Bx', '[\\d]*'];

const linearTarget: FuzzTarget = {
  name: 'dockerignore: linear matcher agrees with RegExp',
  cases: 10_000,
  run(rand) {
    const glob = input(rand, SMALL_GLOBS).slice(0, 16);
    const wild = (glob.match(/\*/g) ?? []).length;
    if (wild > 3) return true; // past this the oracle itself could backtrack for long
    const { source } = translate(glob);
    let js: RegExp;
    try {
      js = re2ToRegExp(source);
    } catch (err) {
      if (err instanceof Re2SyntaxError) {
        // the linear matcher refuses what the translation refuses
        let refused = false;
        try { re2ToLinear(source); } catch (e) { refused = e instanceof Re2SyntaxError; }
        if (!refused) throw new FuzzFailure('re2ToLinear accepted what re2ToRegExp refused', { glob, source });
        return true;
      }
      throw new FuzzFailure(`re2ToRegExp threw ${String(err)}`, { glob, source });
    }
    const linear = expectTyped('re2ToLinear', { glob, source }, [], () => re2ToLinear(source)).value;
    if (!linear) throw new FuzzFailure('no linear matcher', { glob, source });
    for (let i = 0; i < 6; i++) {
      const path = input(rand, [...PATHS, glob, glob.replace(/[*?]/g, 'x')]).slice(0, 24);
      if (linear.test(path) !== js.test(path)) throw new FuzzFailure('the linear matcher and RegExp disagree', { glob, source, path, regexp: js.test(path) });
    }
    return false;
  },
};

// ---- volumes -----------------------------------------------------------------

const VOLUMES = [
  '/a:/b:ro', 'vol:/data', 'cache:/cache:nocopy,ro', 'C:\\x:C:\\y', '/data', '\\\\server\\share:/mnt', 'c:/x:/y:rw', '/a:/b:rprivate,Z',
  'my_vol.2-x:/cache:ro', '/with space:/in container', 'vol:C:\\cache:rw', '~/x:/y', './rel:/x', '/a:/b:ro:z', ':/b', '/a:/',
];

const volumeTarget: FuzzTarget = {
  name: 'volumes: parseVolumeSpec',
  cases: 20_000,
  run(rand) {
    const specs = Array.from({ length: 1 + rand.int(3) }, () => input(rand, VOLUMES));
    const one = specs[0] as string;
    const r = expectTyped('parseVolumeSpec', one, [VolumeSpecError], () => parseVolumeSpec(one));
    if (r.value) {
      const v = r.value;
      if (v.spec !== one || v.target === '' || (v.kind === 'anonymous') !== (v.source === undefined) || v.readOnly !== v.modes.includes('ro')) {
        throw new FuzzFailure('an accepted specification is inconsistent', { one, v });
      }
    } else if (!(r.error instanceof VolumeSpecError) || !r.error.message.startsWith(`invalid volume "${one}": `)) {
      throw new FuzzFailure('the error does not name the specification', one);
    }
    expectTyped('containerVolumes', specs, [VolumeSpecError], () => containerVolumes(specs));
    return r.error !== undefined;
  },
};

// ---- streams -------------------------------------------------------------------

function frame(stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

/** Random bytes, or frames then a corruption (a flipped byte, a cut, an inserted byte, a size), or a giant size claim. */
function frameInput(rand: Prng): Buffer {
  if (rand.int(6) === 0) return rand.bytes(rand.int(48));
  const parts: Buffer[] = [];
  for (let i = rand.int(6); i > 0; i--) parts.push(frame(rand.int(12) === 0 ? 3 : rand.int(20) === 0 ? rand.int(256) : 1 + rand.int(2), rand.bytes(rand.pick([0, 1, 7, 64, 300]))));
  let buf = Buffer.concat(parts);
  switch (rand.int(6)) {
    case 0: if (buf.length > 0) buf[rand.int(buf.length)] = rand.int(256); break;
    case 1: buf = buf.subarray(0, rand.int(buf.length + 1)); break;
    case 2: { const at = rand.int(buf.length + 1); buf = Buffer.concat([buf.subarray(0, at), rand.bytes(1 + rand.int(3)), buf.subarray(at)]); break; }
    case 3: if (buf.length >= 8) buf.writeUInt32BE(rand.pick([0xffffffff, 0x7fffffff, 0x04000001, rand.int(1000)]), 4); break;
    default: break;
  }
  return buf;
}

/** What a decoder made of chunks: the items (as text) and the error (class and message). */
function outcome(items: readonly unknown[], error: unknown): string {
  const err = error === undefined ? '' : error instanceof Error ? `${error.constructor.name}: ${error.message}` : `non-error ${String(error)}`;
  return JSON.stringify({ items: items.map((i) => JSON.stringify(i, (_k, v: unknown) => (v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('hex') : v))), err });
}

function typedStreamError(error: unknown): boolean {
  return error === undefined || error instanceof DockerProtocolError || error instanceof DockerStreamError;
}

async function collectAsync(items: AsyncIterable<unknown>): Promise<{ items: unknown[]; error: unknown }> {
  const out: unknown[] = [];
  try {
    for await (const item of items) out.push(item);
    return { items: out, error: undefined };
  } catch (error) {
    return { items: out, error };
  }
}

const demuxTarget: FuzzTarget = {
  name: 'streams: demux',
  cases: 15_000,
  async run(rand) {
    const bytes = frameInput(rand);
    const whole = decodeAll(new FrameDecoder({ maxFrameBytes: 1 << 16 }), [bytes]);
    const chunks = randomChunks(bytes, rand, rand.pick([1, 3, 9, 64, 4096]));
    const split = rand.int(8) === 0
      ? await collectAsync(demux(fromChunks(chunks), { maxFrameBytes: 1 << 16 }))
      : decodeAll(new FrameDecoder({ maxFrameBytes: 1 << 16 }), chunks);
    if (!typedStreamError(whole.error) || !typedStreamError(split.error)) throw new FuzzFailure(`an untyped error: ${String(whole.error ?? split.error)}`, bytes);
    if (outcome(frameRuns(whole.items), whole.error) !== outcome(frameRuns(split.items), split.error)) {
      throw new FuzzFailure('the outcome depends on the chunking', { bytes, chunks: chunks.length });
    }
    return whole.error !== undefined;
  },
};

/**
 * Demultiplexed items as runs of one stream's bytes (hex): where a frame is
 * cut depends on the chunking, so consecutive items of a stream are joined.
 */
function frameRuns(items: readonly unknown[]): string[] {
  const runs: string[] = [];
  let last = '';
  for (const item of items) {
    const { stream, data } = item as { stream?: unknown; data?: unknown };
    if (typeof stream !== 'string' || !Buffer.isBuffer(data)) throw new Error(`not a frame: ${String(item)}`);
    if (stream === last) runs[runs.length - 1] += data.toString('hex');
    else runs.push(`${stream}:${data.toString('hex')}`);
    last = stream;
  }
  return runs;
}

const JSON_LINES = [
  '{"status":"Downloading","id":"a1","progressDetail":{"current":1,"total":2}}', '{"Type":"container","Action":"start"}', '{"stream":"Step 1/2\\n"}',
  '{"errorDetail":{"message":"boom","code":3},"error":"boom"}', '{"cause":"x","message":"y","response":500}', '{"aux":{"ID":"sha256:1"}}',
  '\u001e{"a":1}', '[1]', '"x"', 'null', '{', '{"s":"✓😀"}', '{"error":""}', '{"status":null}', '{"progressDetail":"wrong"}',
];

const jsonTarget: FuzzTarget = {
  name: 'streams: JSON lines, progress and message streams',
  cases: 15_000,
  async run(rand) {
    const parts: string[] = [];
    for (let i = rand.int(6); i >= 0; i--) parts.push(rand.int(5) === 0 ? mutate(rand, rand.pick(JSON_LINES), JSON_LINES) : rand.pick(JSON_LINES), rand.pick(['\n', '\r\n', '\n\n', '']));
    let bytes = Buffer.from(parts.join(''));
    if (rand.int(6) === 0) bytes = Buffer.concat([bytes, rand.bytes(rand.int(16))]);
    const chunks = randomChunks(bytes, rand, rand.pick([1, 2, 5, 64]));
    const whole = decodeAll(new JsonLineDecoder({ maxLineBytes: 4096 }), [bytes]);
    const split = decodeAll(new JsonLineDecoder({ maxLineBytes: 4096 }), chunks);
    if (!typedStreamError(whole.error) || !typedStreamError(split.error)) throw new FuzzFailure(`an untyped error: ${String(whole.error ?? split.error)}`, bytes.toString('latin1'));
    if (outcome(whole.items, whole.error) !== outcome(split.items, split.error)) throw new FuzzFailure('the outcome depends on the chunking', { text: bytes.toString('latin1') });
    const reader = rand.pick([progress, messageStream, jsonLines] as const);
    const streamed = await collectAsync(reader(fromChunks(chunks), { maxLineBytes: 4096 }));
    if (!typedStreamError(streamed.error)) throw new FuzzFailure(`${reader.name}: an untyped error: ${String(streamed.error)}`, bytes.toString('latin1'));
    return whole.error !== undefined || streamed.error !== undefined;
  },
};

export const TARGETS: readonly FuzzTarget[] = [hostTarget, resolveTarget, ignoreTarget, linearTarget, volumeTarget, demuxTarget, jsonTarget];
