import { access, mkdir, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Docker } from '../../engine/index.js';
import { RecordingProxy } from '../../testing/index.js';
import { defineCommand } from '../command.js';
import { CliError, EXIT, UsageError } from '../failure.js';
import { listenError, planListen } from '../listen.js';
import { aborted } from '../signals.js';

/** How long the engine has to answer the reachability ping before recording starts. */
const PING_TIMEOUT_MS = 10_000;

/** `berth record`: a recording proxy in front of the engine. */
export const record = defineCommand({
  name: 'record',
  summary: 'record what a client says to the engine, as a replayable fixture',
  synopsis: 'record --out FILE [--socket PATH | --listen HOST:PORT] [--host H | --context C] [--secret VALUE…]',
  description: `
Puts a recording proxy in front of the engine and prints the DOCKER_HOST line
to export. Everything a client (the docker CLI, berth, curl) sends through it
is forwarded to the engine and recorded, streamed bodies and hijacked
connections included. On SIGINT or SIGTERM the exchanges are written to
FILE, ready for \`berth replay\`.

The engine is found like the docker CLI finds it: --host or --context, else
DOCKER_HOST, DOCKER_CONTEXT, the current context, the default socket
(DOCKER_TLS_VERIFY and DOCKER_CERT_PATH apply). Registry credentials,
password-like fields and secret-looking environment entries are scrubbed;
--secret and --secret-env add values to mask wherever they appear.`,
  options: {
    out: { type: 'string', value: 'FILE', description: 'where to write the fixture (required)' },
    socket: { type: 'string', value: 'PATH', description: 'listen on this unix socket (default: a fresh one under /tmp)' },
    listen: { type: 'string', value: 'HOST:PORT', description: 'listen on TCP instead (port 0 picks a free one)' },
    host: { type: 'string', value: 'HOST', description: 'the engine, e.g. unix:///var/run/docker.sock or tcp://h:2376' },
    context: { type: 'string', value: 'NAME', description: 'the docker context naming the engine' },
    secret: { type: 'string', multiple: true, value: 'VALUE', description: 'a value to mask in the fixture (visible in the process list: prefer --secret-env)' },
    'secret-env': { type: 'string', multiple: true, value: 'NAME', description: 'mask the value of this environment variable' },
    description: { type: 'string', value: 'TEXT', description: 'the fixture\'s description' },
  },
  examples: [
    'berth record --out ps.json            # then, in another shell: docker -H unix:///tmp/berth-…/engine.sock ps -a',
    'berth record --out build.json --secret-env REGISTRY_TOKEN --host tcp://build-host:2376',
  ],
  async run({ args, out, env, signal }) {
    const v = args.values;
    if (v.out === undefined || v.out === '') throw new UsageError('missing --out FILE', 'usage: berth record --out FILE');
    const file = resolve(v.out);
    await checkWritable(file);
    const secrets = [...v.secret];
    for (const name of v['secret-env']) {
      const value = env[name];
      if (value === undefined || value === '') throw new CliError('config', `--secret-env ${name}: the variable is not set`, { hint: `export ${name} first` });
      secrets.push(value);
    }
    const tooShort = secrets.filter((s) => s.length < 4);
    if (tooShort.length > 0) out.warn(`${tooShort.length} secret${tooShort.length > 1 ? 's' : ''} shorter than 4 characters will not be masked (too likely to match other text)`);

    // Resolve and reach the engine exactly as the client would, before anyone connects.
    const docker = new Docker({
      env,
      ...(v.host !== undefined ? { host: v.host } : {}),
      ...(v.context !== undefined ? { context: v.context } : {}),
      timeout: PING_TIMEOUT_MS,
      connectTimeout: PING_TIMEOUT_MS,
    });
    try {
      await docker.ping({ signal });
    } finally {
      await docker.close();
    }
    const target = docker.endpoint;

    const plan = await planListen(v);
    let proxy: RecordingProxy;
    try {
      proxy = await RecordingProxy.start({
        target, listen: plan.listen, secrets, ...(v.description !== undefined ? { description: v.description } : {}),
      });
    } catch (err) {
      await plan.cleanup();
      throw listenError(err, plan.listen);
    }
    try {
      out.result(`export DOCKER_HOST=${proxy.url}`);
      out.note(`recording exchanges with ${target.describe()}; stop with Ctrl-C to write ${v.out}`);
      await aborted(signal);
      const fixture = await proxy.save(file);
      const n = fixture.exchanges.length;
      if (n === 0) out.warn('no client talked through the proxy: the fixture has no exchanges');
      out.result(`recorded ${n} exchange${n === 1 ? '' : 's'} with ${fixture.engine} (API ${fixture.apiVersion || 'unknown'}) to ${v.out}`);
    } finally {
      await proxy.close();
      await plan.cleanup();
    }
    return EXIT.ok;
  },
});

/** Fails now, not after the session, when FILE cannot be written. */
async function checkWritable(file: string): Promise<void> {
  const dir = dirname(file);
  try {
    const st = await stat(file).catch(() => undefined);
    if (st?.isDirectory()) throw new CliError('config', `--out ${file} is a directory`, { hint: 'give a file name, e.g. session.json' });
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new CliError(code === 'EACCES' ? 'permission' : 'config', `cannot write the fixture in ${dir} (${code})`, { hint: 'choose another --out', cause: err });
  }
}
