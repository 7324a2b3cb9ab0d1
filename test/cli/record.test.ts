import t from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadFixture } from '../../src/testing/index.js';
import { BerthServer, cleanEnv, dockerClis, runBerth, runDocker, type DockerCli } from '../helpers/cli.js';
import { engineOr } from '../helpers/engines.js';
import { shortTempDir } from '../helpers/tmp.js';
import { createLogsContainer, dockerSessions } from './sessions.js';

t.test('record, then replay: the docker CLI prints the same', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const clis = dockerClis();
  if (clis.length === 0) {
    t.pass('no docker CLI', { skip: 'docker CLI not installed' });
    return;
  }
  const env = cleanEnv(t);
  const container = `berth-cli-rec-${process.pid}`;
  await createLogsContainer(clis[0] as DockerCli, engine.host, container, env);
  t.teardown(() => runDocker(clis[0] as DockerCli, engine.host, ['rm', '-f', container], env));
  for (const cli of clis) {
    await t.test(`docker ${cli.version}`, async (t) => {
      const dir = shortTempDir(t, 'brc');
      const out = join(dir, 'session.json');
      const sessions = dockerSessions(container);
      const direct = [];
      for (const s of sessions) direct.push(await runDocker(cli, engine.host, s.args, env));

      const recorder = await BerthServer.start(t, ['record', '--out', out, '--host', engine.host], env);
      const recorded = [];
      for (const s of sessions) recorded.push(await runDocker(cli, recorder.host, s.args, env));
      const stopped = await recorder.stop('SIGINT');
      t.equal(stopped.code, 0, stopped.stderr);
      const fixture = loadFixture(out);
      t.match(stopped.stdout, new RegExp(`^recorded ${fixture.exchanges.length} exchanges with dockerd-${engine.version.replace(/[.+]/g, '\\$&')} \\(API 1\\.41\\) to ${out.replace(/[.]/g, '\\.')}$`, 'm'));
      t.equal(fixture.apiVersion, '1.41');
      t.ok(fixture.exchanges.some((e) => e.request.path === `/v1.41/containers/${container}/json`), 'the inspect behind docker logs was recorded');

      for (const [i, s] of sessions.entries()) {
        t.equal(recorded[i]?.code, 0, `${s.name} through the recorder`);
        t.same(recorded[i], direct[i], `${s.name}: the recorder is transparent`);
      }
      t.equal(recorded[2]?.stdout, 'out1\nout2\n');
      t.equal(recorded[2]?.stderr, 'err1\n');

      const fake = await BerthServer.start(t, ['replay', out, '--once', '--check', '--strict-order'], env);
      for (const [i, s] of sessions.entries()) {
        const replayed = await runDocker(cli, fake.host, s.args, env);
        t.same(replayed, recorded[i], `${s.name}: replayed output equals the recorded run's`);
      }
      const served = await fake.exited();
      t.equal(served.code, 0, served.stdout + served.stderr);
    });
  }
});

t.test('record scrubs --secret and --secret-env values from the fixture, not from the client', async (t) => {
  const engine = engineOr(t, 'dockerd-20.10');
  if (!engine) return;
  const cli = dockerClis()[0];
  if (!cli) {
    t.pass('no docker CLI', { skip: 'docker CLI not installed' });
    return;
  }
  const dir = shortTempDir(t, 'brs');
  const out = join(dir, 'secret.json');
  const env = cleanEnv(t, { BERTH_TEST_SECRET: 'opensesame-9f3c' });
  const name = `berth-cli-secret-${process.pid}`;
  const created = await runDocker(cli, engine.host, ['create', '--name', name, '--network', 'none', '-e', 'GREETING=hunter2-hunter2', '-e', 'WORD=opensesame-9f3c', 'busybox:test', 'true'], env);
  t.equal(created.code, 0, created.stderr);
  t.teardown(() => runDocker(cli, engine.host, ['rm', '-f', name], env));
  const recorder = await BerthServer.start(t, ['record', '--out', out, '--host', engine.host, '--secret', 'hunter2-hunter2', '--secret-env', 'BERTH_TEST_SECRET'], env);
  const inspect = await runDocker(cli, recorder.host, ['inspect', '--format', '{{json .Config.Env}}', name], env);
  t.match(inspect.stdout, /GREETING=hunter2-hunter2/, 'the client sees the real value');
  t.match(inspect.stdout, /WORD=opensesame-9f3c/);
  const stopped = await recorder.stop('SIGTERM');
  t.equal(stopped.code, 0, 'SIGTERM also writes the fixture');
  const text = readFileSync(out, 'utf8');
  t.notMatch(text, /hunter2-hunter2/, '--secret value scrubbed');
  t.notMatch(text, /opensesame-9f3c/, '--secret-env value scrubbed');
  t.match(text, /GREETING=<redacted>/);
});

t.test('record fails before listening when the engine is unreachable or the options are wrong', async (t) => {
  const env = cleanEnv(t);
  const dir = shortTempDir(t, 'bru');
  const out = join(dir, 'never.json');
  const unreachable = await runBerth(['record', '--out', out, '--host', 'unix:///tmp/berth-no-such-dir/docker.sock'], env);
  t.equal(unreachable.code, 3);
  t.equal(unreachable.stdout, '', 'no DOCKER_HOST line was printed');
  t.match(unreachable.stderr, /^error: cannot connect to the engine: socket \/tmp\/berth-no-such-dir\/docker\.sock does not exist\nhint: /);
  t.notOk(existsSync(out));

  const unset = await runBerth(['record', '--out', out, '--secret-env', 'BERTH_NOT_SET_ANYWHERE'], env);
  t.equal(unset.code, 5);
  t.match(unset.stderr, /--secret-env BERTH_NOT_SET_ANYWHERE: the variable is not set/);

  const isDir = await runBerth(['record', '--out', dir], env);
  t.equal(isDir.code, 5);
  t.match(isDir.stderr, /is a directory/);
});
