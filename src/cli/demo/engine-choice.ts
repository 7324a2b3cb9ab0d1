import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Docker, DockerConnectionError, DockerTimeoutError, type Endpoint } from '../../engine/index.js';
import { ReplayServer, loadFixture, type Fixture } from '../../testing/index.js';
import { CliError, describeFailure } from '../failure.js';
import { listenError, planListen } from '../listen.js';
import type { Environment } from '../output.js';

/**
 * Which engine the demo runs against: the one the docker CLI would use
 * (`--host`/`--context`, `DOCKER_HOST`, the current context, the default
 * socket) when it answers; when nothing answers there — and the endpoint was
 * not asked for by option — the bundled recorded session, served by the
 * embedded replay engine on a private socket.
 */

/** The bundled session's path inside the package. */
export const BUNDLED_SESSION = join('fixtures', 'demo-session.json');

/** How long the demo waits for an engine to answer its ping before it falls back, in milliseconds. */
const PING_TIMEOUT_MS = 5000;

/** The engine the demo uses. */
export interface DemoEngine {
  readonly docker: Docker;
  /** `engine`: a real one; `replay`: the recorded session. */
  readonly mode: 'engine' | 'replay';
  /** One line for the top of the output. */
  readonly banner: string;
  /** For the summary: `dockerd 20.10.24 at unix:///…`, or the recorded engine. */
  readonly description: string;
  /** Why the real engine was not used, when replaying by necessity. */
  readonly fallbackReason: string | undefined;
  /** The parameters the replayed session was recorded with, when it says (replay only). */
  readonly recorded: RecordedParameters | undefined;
  /** Whether every recorded exchange was asked for (replay only; undefined for an engine). */
  finish(): Promise<{ missed: number; unserved: number } | undefined>;
  /** Replay only: stops serving, so that requests waiting for answers that will never come fail. */
  abandon(): Promise<void>;
  /** Replay only: how many requests so far matched nothing recorded (0 for an engine). */
  misses(): number;
}

/** What a recorded demo session ran: its description starts with the demo's options. */
export interface RecordedParameters {
  readonly builds: number;
  readonly workers: number;
  readonly idleSeconds: number;
}

/** The description a recorded session carries, naming its parameters. */
export function sessionDescription(p: RecordedParameters): string {
  return `berth demo --builds ${p.builds} --workers ${p.workers} --idle ${p.idleSeconds}`;
}

/** The parameters in a session's description, if it names them. */
export function recordedParameters(description: string | undefined): RecordedParameters | undefined {
  const m = /^berth demo --builds (\d+) --workers (\d+) --idle (\d+(?:\.\d+)?)/.exec(description ?? '');
  if (m === null) return undefined;
  return { builds: Number(m[1]), workers: Number(m[2]), idleSeconds: Number(m[3]) };
}

/** How the demo was told to find its engine (its options and environment). */
export interface EngineChoice {
  readonly host: string | undefined;
  readonly context: string | undefined;
  readonly env: Environment;
  /** Replay without looking for an engine. */
  readonly replay: boolean;
  /** A session file to replay instead of the bundled one. */
  readonly session: string | undefined;
  readonly signal: AbortSignal;
}

/** The package's root: the nearest directory above this module with berth's package.json. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, BUNDLED_SESSION))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The path of the bundled session. */
export function bundledSessionPath(): string {
  const root = packageRoot();
  if (root === undefined) throw new CliError('config', `the bundled session ${BUNDLED_SESSION} is missing from this installation`, {
    hint: 'reinstall berth, or point the demo at an engine (see berth doctor)',
  });
  return join(root, BUNDLED_SESSION);
}

function loadSession(path: string): Fixture {
  try {
    return loadFixture(path);
  } catch (err) {
    throw new CliError('config', `cannot load the recorded session ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Serves a recorded session on a fresh socket and returns a client of it. */
async function replayEngine(path: string, reason: string | undefined, signal: AbortSignal): Promise<DemoEngine> {
  const fixture = loadSession(path);
  const plan = await planListen({});
  let server: ReplayServer;
  try {
    server = await ReplayServer.start(fixture, { listen: plan.listen }).catch((err: unknown) => { throw listenError(err, plan.listen); });
  } catch (err) {
    await plan.cleanup();
    throw err;
  }
  const docker = new Docker({ host: server.url, env: {} });
  // the same requests as against an engine: the recorded answers are held until as many requests came as when they were sent
  await serverName(docker, signal);
  const recorded = `${fixture.engine}, API ${fixture.apiVersion}, recorded ${fixture.recordedAt.slice(0, 10)}`;
  const why = reason === undefined ? '' : ` (${reason})`;
  return {
    docker, mode: 'replay', fallbackReason: reason, recorded: recordedParameters(fixture.description),
    abandon: async () => { await server.close(); },
    misses: () => server.requests.filter((r) => r.exchange === -1).length,
    banner: `engine: none — replaying the recorded session ${path}${why}; worker connections are simulated`,
    description: `the recorded session (${recorded})`,
    async finish() {
      await docker.close();
      const report = await server.close();
      await plan.cleanup();
      return { missed: report.misses.length, unserved: report.unconsumed.length };
    },
  };
}

function unreachable(err: unknown): err is DockerConnectionError {
  if (!(err instanceof DockerConnectionError)) return false;
  return err instanceof DockerTimeoutError || describeFailure(err).kind === 'unreachable';
}

/** Pings the engine and names it: `dockerd 20.10.24`, `podman 4.3.1`. */
async function serverName(docker: Docker, signal: AbortSignal): Promise<string> {
  await docker.ping({ signal, timeout: PING_TIMEOUT_MS });
  const version = await docker.version({ signal, timeout: PING_TIMEOUT_MS });
  const podman = (version.Components ?? []).some((c) => /podman/i.test(c.Name));
  return `${podman ? 'podman' : 'dockerd'} ${version.Version}`;
}

function engineName(server: string | undefined, endpoint: Endpoint): string {
  return `${server ?? 'an engine'} at ${endpoint.url}`;
}

/** Picks the engine (see the module comment). Throws a {@link CliError} or the engine's error when an engine is there but unusable. */
export async function chooseEngine(choice: EngineChoice): Promise<DemoEngine> {
  if (choice.replay || choice.session !== undefined) {
    return replayEngine(choice.session ?? bundledSessionPath(), choice.session === undefined ? '--replay' : undefined, choice.signal);
  }
  const docker = new Docker({
    env: choice.env, ...(choice.host !== undefined ? { host: choice.host } : {}), ...(choice.context !== undefined ? { context: choice.context } : {}),
  });
  try {
    const server = await serverName(docker, choice.signal);
    return {
      docker, mode: 'engine', fallbackReason: undefined, recorded: undefined, abandon: async () => undefined, misses: () => 0,
      banner: `engine: ${engineName(server, docker.endpoint)} (${docker.endpoint.describe().replace(/^\S+ /, '')}), API ${docker.apiVersion ?? '?'}`,
      description: engineName(server, docker.endpoint),
      finish: async () => { await docker.close(); return undefined; },
    };
  } catch (err) {
    await docker.close();
    const asked = choice.host !== undefined || choice.context !== undefined;
    if (asked || !unreachable(err)) throw err;
    const reason = `no engine answered at ${docker.endpoint.describe()}`;
    return replayEngine(bundledSessionPath(), reason, choice.signal);
  }
}
