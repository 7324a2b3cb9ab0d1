/**
 * Records the fixtures of the `berth` command's tests (test/fixtures/cli/):
 * docker CLI sessions (every docker CLI found here) and `berth doctor`,
 * each through `berth record` against a real dockerd 20.10, plus what each
 * run printed (sessions.json).
 *
 *   npx tsc -p tsconfig.test.json
 *   export BERTH_TEST_ENGINES=$(scripts/test-engines.sh up dockerd-20.10)/engines.json
 *   node build/scripts/record-cli.js
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthServer, cleanEnv, dockerClis, runBerth, runDocker } from '../test/helpers/cli.js';
import { testEngines } from '../test/helpers/engines.js';
import {
  CLI_FIXTURES, SESSIONS_FILE, createLogsContainer, dockerSessions, maskDoctor, type RecordedSession, type SessionsFile,
} from '../test/cli/sessions.js';

const CONTAINER = 'berth-cli-logs';

async function main(): Promise<void> {
  const engine = testEngines().find((e) => e.name === 'dockerd-20.10');
  if (!engine) throw new Error('dockerd-20.10 is not running: set BERTH_TEST_ENGINES (scripts/test-engines.sh up dockerd-20.10)');
  const cleanups: Array<() => unknown> = [];
  const t = { teardown: (fn: () => unknown) => { cleanups.push(fn); } };
  try {
    const env = cleanEnv(t);
    const clis = dockerClis();
    if (clis.length === 0) throw new Error('no docker CLI found');
    const sessions: RecordedSession[] = [];
    await createLogsContainer(clis[0] as (typeof clis)[number], engine.host, CONTAINER, env);
    for (const cli of clis) {
      for (const s of dockerSessions(CONTAINER)) {
        const fixture = `docker-${cli.version}-${s.name}.json`;
        const recorder = await BerthServer.start(t, [
          'record', '--out', join(CLI_FIXTURES, fixture), '--host', engine.host, '--description', `docker ${cli.version} CLI: docker ${s.args.join(' ')}`,
        ], env);
        const run = await runDocker(cli, recorder.host, s.args, env);
        const stopped = await recorder.stop();
        if (run.code !== 0 || stopped.code !== 0) throw new Error(`recording ${fixture} failed: ${run.stderr}${stopped.stderr}`);
        sessions.push({ name: s.name, cli: cli.version, fixture, args: s.args, stdout: run.stdout, stderr: run.stderr });
        console.error(`recorded ${fixture}`);
      }
    }
    const recorder = await BerthServer.start(t, ['record', '--out', join(CLI_FIXTURES, 'doctor.json'), '--host', engine.host, '--description', 'berth doctor'], env);
    const doctor = await runBerth(['doctor', '--plain'], { ...env, DOCKER_HOST: recorder.host });
    const stopped = await recorder.stop();
    if (doctor.code !== 0 || stopped.code !== 0) throw new Error(`recording doctor failed: ${doctor.stderr}${stopped.stderr}`);
    const file: SessionsFile = {
      description: 'docker CLI sessions and berth doctor, recorded through berth record (scripts/record-cli.ts)',
      engine: `dockerd-${engine.version}`,
      container: CONTAINER,
      sessions,
      doctor: { fixture: 'doctor.json', args: ['doctor', '--plain'], stdout: maskDoctor(doctor.stdout, recorder.host) },
    };
    writeFileSync(SESSIONS_FILE, `${JSON.stringify(file, null, 2)}\n`);
    console.error(`wrote ${SESSIONS_FILE}`);
    await runDocker(clis[0] as (typeof clis)[number], engine.host, ['rm', '-f', CONTAINER], env);
  } finally {
    for (const fn of cleanups.reverse()) await fn();
  }
}

await main();
