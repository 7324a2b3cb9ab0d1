import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Docker, type DockerOptions } from '../../src/index.js';
import { ReplayServer, loadFixture, type Fixture, type ReplayReport, type ReplayOptions as ServerOptions } from '../../src/testing/index.js';
import type { Test } from 'tap';
import { shortTempDir } from './tmp.js';

/** test/fixtures in the source tree (tests run from build/test). */
export const FIXTURES = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', 'test', 'fixtures');

/** The path of a recorded fixture: test/fixtures/<engine>/<scenario>.json. */
export function fixturePath(engine: string, scenario: string): string {
  return join(FIXTURES, engine, `${scenario}.json`);
}

export interface ReplayHandle {
  docker: Docker;
  server: ReplayServer;
  url: string;
}

export interface ReplayOptions {
  docker?: DockerOptions;
  /** Do not fail on exchanges nobody asked for. */
  allowUnconsumed?: boolean;
  strictOrder?: boolean;
  /** Holds chunks of hijacked answers (see the server's option). */
  beforeUpgradeChunk?: ServerOptions['beforeUpgradeChunk'];
}

/**
 * Serves fixtures on a fresh unix socket, runs `body` with a client of it,
 * then closes both and asserts that no request missed and (unless
 * `allowUnconsumed`) every exchange was asked for.
 */
export async function replay<R>(
  t: Test, fixtures: ReadonlyArray<string | Fixture>, body: (h: ReplayHandle) => Promise<R>, options: ReplayOptions = {},
): Promise<R> {
  const dir = shortTempDir(t, 'br');
  const loaded = fixtures.map((f) => (typeof f === 'string' ? loadFixture(f) : f));
  const server = await ReplayServer.start(loaded, {
    listen: { socketPath: join(dir, 'engine.sock') }, strictOrder: options.strictOrder ?? false,
    ...(options.beforeUpgradeChunk ? { beforeUpgradeChunk: options.beforeUpgradeChunk } : {}),
  });
  const docker = new Docker({ host: server.url, env: {}, ...options.docker });
  let report: ReplayReport | undefined;
  const finish = async (): Promise<ReplayReport> => {
    if (!report) {
      await docker.close();
      report = await server.close();
    }
    return report;
  };
  t.teardown(finish);
  const result = await body({ docker, server, url: server.url });
  const r = await finish();
  t.same(r.misses, [], 'no request missed the fixture');
  if (!options.allowUnconsumed) t.same(r.unconsumed, [], 'every recorded exchange was replayed');
  return result;
}
