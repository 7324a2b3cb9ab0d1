import { readFileSync } from 'node:fs';
import { Docker, type DockerOptions } from '../../src/index.js';
import type { Test } from 'tap';
import type { Teardown } from './tmp.js';

/**
 * Real engines for integration tests. `scripts/test.sh` starts them (see
 * scripts/test-engines.sh) and passes their description in
 * BERTH_TEST_ENGINES. A test asks for an engine by name; when it is not
 * there the test is skipped — or fails, when BERTH_REQUIRE_ENGINES names it
 * (or is `all`), as CI does.
 */

export type EngineName = 'dockerd-20.10' | 'dockerd-26.1' | 'dockerd-28.5' | 'dockerd-tls' | 'podman-4.3';

/** The four API flavours every resource is checked on. */
export const API_ENGINES: readonly EngineName[] = ['dockerd-20.10', 'dockerd-26.1', 'dockerd-28.5', 'podman-4.3'];

export interface TestEngine {
  name: EngineName;
  /** DOCKER_HOST of the engine (tcp:// for dockerd-tls). */
  host: string;
  /** The engine's unix socket (also for dockerd-tls). */
  socket: string;
  /** `busybox:test`, built FROM scratch on every engine. */
  image: string;
  imageId: string;
  version: string;
  apiVersion: string;
  kind: 'dockerd' | 'podman';
  /** The engine's private directory. */
  dir: string;
  /** For dockerd-tls: certs/{ca.pem, client/, rogue/}. */
  certs?: string;
}

/** The private registries `scripts/test-engines.sh` starts (docker-registry, distribution 2.8). */
export interface TestRegistries {
  /** `127.0.0.1:PORT` of a registry anyone may push to and pull from. */
  open: string;
  /** `127.0.0.1:PORT` of a registry that asks for basic auth. */
  auth: string;
  user: string;
  password: string;
  /**
   * The namespace the registry scenarios push to (default `berth`): a test
   * that runs them beside the scenarios, on the same engines, takes another.
   */
  namespace?: string;
}

/**
 * The registries the fixtures were recorded with: `scripts/record-fixtures.sh`
 * starts them on these ports, so that replayed paths and queries match. The
 * password was another one, and never recorded.
 */
export const RECORDED_REGISTRIES: TestRegistries = { open: '127.0.0.1:5081', auth: '127.0.0.1:5082', user: 'berth', password: 'not-the-recorded-one' };

interface EngineFile {
  engines: TestEngine[];
  registries?: TestRegistries;
}

let cached: EngineFile | undefined;

function engineFile(): EngineFile {
  if (cached) return cached;
  const file = process.env.BERTH_TEST_ENGINES;
  cached = file ? JSON.parse(readFileSync(file, 'utf8')) as EngineFile : { engines: [] };
  return cached;
}

/** The engines this test run has. */
export function testEngines(): TestEngine[] {
  return engineFile().engines;
}

/** The registries this test run has, if any. */
export function testRegistries(): TestRegistries | undefined {
  return engineFile().registries;
}

/** The test registries, or undefined after skipping (or failing, when engines are required) the test. */
export function registriesOr(t: Test): TestRegistries | undefined {
  const r = testRegistries();
  if (r) return r;
  const why = 'no test registry (scripts/test-engines.sh starts them when docker-registry is installed)';
  if (required('registry')) t.fail(`${why}; BERTH_REQUIRE_ENGINES requires it`);
  else t.pass(why, { skip: why });
  return undefined;
}

function required(name: EngineName | 'registry'): boolean {
  const req = process.env.BERTH_REQUIRE_ENGINES ?? '';
  return req === 'all' || req.split(/[\s,]+/).includes(name);
}

/** The named engine, or undefined after skipping (or failing, when required) the test. */
export function engineOr(t: Test, name: EngineName): TestEngine | undefined {
  const e = testEngines().find((x) => x.name === name);
  if (e) return e;
  const why = `engine ${name} is not available (scripts/test.sh starts it when it can)`;
  if (required(name)) t.fail(`${why}; BERTH_REQUIRE_ENGINES requires it`);
  else t.pass(why, { skip: why });
  return undefined;
}

/** A client of a test engine, closed at teardown. */
export function dockerFor(t: Teardown, engine: TestEngine, options: DockerOptions = {}): Docker {
  const tls = engine.certs
    ? { env: { DOCKER_HOST: engine.host, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: `${engine.certs}/client` } }
    : { host: engine.host, env: {} };
  const docker = new Docker({ ...tls, ...options });
  t.teardown(() => docker.close());
  return docker;
}
