import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers/replay.js';
import { runDocker, type DockerCli } from '../helpers/cli.js';

/**
 * The docker CLI sessions recorded through `berth record` and replayed with
 * `berth replay`: the commands, the container they look at, and the file
 * that keeps what each recorded run printed. Formats avoid text that changes
 * with time ("5 seconds ago") so a replay must print exactly the same.
 */

export const CLI_FIXTURES = join(FIXTURES, 'cli');
export const SESSIONS_FILE = join(CLI_FIXTURES, 'sessions.json');

/** What the logs container prints: two stdout lines around one stderr line. */
export const LOGS_SCRIPT = 'echo out1; echo err1 >&2; echo out2';

export interface DockerSession {
  readonly name: string;
  readonly args: readonly string[];
}

/** The sessions, for a logs container named `container` (its name starts with `berth-cli-`). */
export function dockerSessions(container: string): DockerSession[] {
  return [
    { name: 'version', args: ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}/{{.Server.Arch}} {{.Server.KernelVersion}}'] },
    { name: 'ps', args: ['ps', '-a', '--no-trunc', '--filter', 'name=berth-cli-', '--format', '{{.Names}}|{{.Image}}|{{.Command}}|{{.State}}'] },
    { name: 'logs', args: ['logs', container] },
  ];
}

/** One recorded run: the fixture and what the CLI printed while it was recorded. */
export interface RecordedSession {
  readonly name: string;
  /** The docker CLI's `major.minor`: requests differ between CLI versions, so a fixture replays for its own. */
  readonly cli: string;
  readonly fixture: string;
  readonly args: readonly string[];
  readonly stdout: string;
  readonly stderr: string;
}

export interface SessionsFile {
  readonly description: string;
  readonly engine: string;
  readonly container: string;
  readonly sessions: readonly RecordedSession[];
  /** `berth doctor` recorded against the same engine; stdout masked by {@link maskDoctor}. */
  readonly doctor: { readonly fixture: string; readonly args: readonly string[]; readonly stdout: string };
}

export function loadSessions(): SessionsFile {
  return JSON.parse(readFileSync(SESSIONS_FILE, 'utf8')) as SessionsFile;
}

/** What varies between runs of the doctor: the ping line, and the socket of the proxy or fake engine it talked to. */
export function maskDoctor(text: string, host: string): string {
  return text.replace(/^(ping\s+).*$/m, '$1<varies>').split(host).join('<engine>');
}

/** Creates the stopped logs container on the engine (removing an old one first). */
export async function createLogsContainer(cli: DockerCli, host: string, name: string, env: Record<string, string>): Promise<void> {
  await runDocker(cli, host, ['rm', '-f', name], env);
  const run = await runDocker(cli, host, ['run', '--name', name, '--network', 'none', 'busybox:test', 'sh', '-c', LOGS_SCRIPT], env);
  if (run.code !== 0) throw new Error(`docker run failed: ${run.stderr}`);
}
