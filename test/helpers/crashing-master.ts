import { DockerLatentWorker, type BuildWithProperties } from '../../src/index.js';

/**
 * A master that is about to crash: run as a child process by the reaper
 * test, it starts its workers' containers (one of them on an image it
 * builds), prints `up <container id>…` and waits to be killed. Whatever it
 * made is left on the engine, as after a real crash.
 *
 *   node build/test/helpers/crashing-master.js <dockerHost> <image> <masterId> <workers>
 */

async function main(): Promise<void> {
  const [dockerHost = '', image = '', masterId = '', count = '2'] = process.argv.slice(2);
  const workers = Array.from({ length: Number(count) }, (_, i) => new DockerLatentWorker<BuildWithProperties>({
    name: `crashed_${i}`, masterId, dockerHost, readiness: 'running', hostconfig: { NetworkMode: 'none' },
    // the first one runs an image built for it, which the reaper must remove too
    ...(i === 0 ? { dockerfile: `FROM ${image}\nCMD ["sleep", "600"]` } : { image, command: ['sleep', '600'] }),
  }));
  await Promise.all(workers.map((w) => w.substantiate()));
  process.stdout.write(`up ${workers.map((w) => w.container?.id ?? '').join(' ')}\n`);
  // alive until killed
  setInterval(() => undefined, 1 << 30);
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
