import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ownedContainers } from '../helpers/docker-worker.js';
import { dockerFor, engineOr } from '../helpers/engines.js';

/** examples/latent-workers.ts, run as documented against a real engine: every build done, no container left. */

const EXAMPLE = fileURLToPath(new URL('../../examples/latent-workers.js', import.meta.url));

for (const name of ['dockerd-20.10', 'podman-4.3'] as const) {
  t.test(`the latent-workers example on ${name}`, async (t) => {
    const engine = engineOr(t, name);
    if (!engine) return;
    const docker = dockerFor(t, engine);
    const child = spawn(process.execPath, [EXAMPLE], {
      env: { ...process.env, DOCKER_HOST: engine.host, WORKER_IMAGE: engine.image, WORKERS: '2', BUILDS: '4' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    let out = '';
    child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
    // bounded: a hung example is killed, and fails the test
    const bound = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(bound);
    t.equal(code, 0, out);
    for (let n = 1; n <= 4; n++) t.match(out, new RegExp(`^build ${n} finished on example_[01]$`, 'm'), `build ${n}`);
    t.match(out, /all builds done; every worker container removed/);
    t.same(await ownedContainers(docker, 'berth-example:/latent-workers'), [], 'no container of the example is left (by label)');
  });
}
