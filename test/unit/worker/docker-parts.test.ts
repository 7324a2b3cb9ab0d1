import t from 'tap';
import {
  DockerStreamError, WorkerConfigError, authHeaderOf, checkConfig, type ContainerInspectResponse, type ContainerState,
} from '../../../src/index.js';
import { Redactor, REDACTED_TEXT } from '../../../src/worker/docker/redactor.js';
import { secretsOf } from '../../../src/worker/docker/secrets.js';
import { CRASH_REPORT_LINES, describeExit, withOutput } from '../../../src/worker/docker/instance-check.js';

/**
 * The Docker worker's pure parts: what counts as a secret and how it is
 * hidden, and how a dead container is described.
 */

t.test('the redactor hides every secret, longest first, in text and in errors and their causes', async (t) => {
  const r = new Redactor(['abc', 'abcdef', '', undefined]);
  t.equal(r.text('x abcdef y abc z'), `x ${REDACTED_TEXT} y ${REDACTED_TEXT} z`, 'a secret inside another is hidden whole');
  t.equal(r.leaks('nothing here'), false);
  const cause = new DockerStreamError('pull failed for abcdef', { transcript: ['line abc', 'clean'] });
  const err = new Error('start failed: abc', { cause });
  t.equal(r.error(err), err, 'redacted in place');
  t.notMatch(err.message, /abc/);
  t.notMatch(cause.engineMessage, /abc/, 'the engine message of the cause');
  t.same(cause.transcript, [`line ${REDACTED_TEXT}`, 'clean'], 'its transcript');
  t.notMatch(err.stack ?? '', /abc/, 'the stack repeats the message: hidden too');
  t.notMatch(cause.message, /abc/, 'the cause');
  t.equal(r.error(undefined), undefined, 'a non-error passes through');
});

t.test('secrets of a worker: the password and every form of the registry credentials', async (t) => {
  t.same(secretsOf('pw', undefined), ['pw']);
  const auth = { username: 'u', password: 'regpass', serveraddress: 'r.example' };
  const secrets = secretsOf('pw', auth);
  for (const s of ['pw', 'regpass', Buffer.from('u:regpass').toString('base64'), authHeaderOf(auth)]) {
    t.ok(secrets.includes(s), `has ${s === 'pw' || s === 'regpass' ? s : 'an encoded form'}`);
  }
  const fromHeader = secretsOf('pw', { header: authHeaderOf(auth) });
  t.ok(fromHeader.includes('regpass'), 'an encoded header is opened to find the password in it');
  const token = secretsOf('pw', { identitytoken: 'tok-123', serveraddress: 'r.example' });
  t.ok(token.includes('tok-123'), 'identity tokens');
});

t.test('a dead container is described by its state; the report carries its last lines', async (t) => {
  const info = (state: ContainerState): ContainerInspectResponse => ({ Id: 'f'.repeat(64), State: state }) as ContainerInspectResponse;
  const id = 'f'.repeat(64);
  t.equal(describeExit(id, info({ Status: 'exited', ExitCode: 3 })), 'container ffffffffffff exited with code 3');
  t.equal(describeExit(id, info({ Status: 'exited', ExitCode: 137, OOMKilled: true })), 'container ffffffffffff exited with code 137 (killed for lack of memory)');
  t.equal(describeExit(id, info({ Status: 'dead', ExitCode: 1, Error: 'driver failed' })), 'container ffffffffffff is dead with code 1 (engine error: driver failed)');
  t.equal(describeExit(id, info({ Status: 'removing', ExitCode: 137 })), 'container ffffffffffff is being removed behind the worker\'s back, exit code 137',
    'seen mid-removal: someone else removes it');
  t.equal(withOutput('gone', []), 'gone; it wrote no output');
  const many = Array.from({ length: CRASH_REPORT_LINES + 5 }, (_, i) => `line ${i}`);
  const report = withOutput('gone', many);
  t.equal(report.split('\n').length, CRASH_REPORT_LINES + 1, `at most ${CRASH_REPORT_LINES} lines`);
  t.match(report, /^gone; its last output:\nline 5\n/, 'the last ones');
});

t.test('followStartupLogs takes true, false or \'always\'', async (t) => {
  for (const ok of [true, false, 'always'] as const) {
    t.equal(checkConfig({ name: 'w', image: 'busybox', masterId: 'm', followStartupLogs: ok }).followStartupLogs, ok);
  }
  const err = (() => {
    try {
      checkConfig({ name: 'w', image: 'busybox', masterId: 'm', followStartupLogs: 'sometimes' as unknown as boolean });
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  t.type(err, WorkerConfigError);
  t.same((err as WorkerConfigError).problems.map((p) => p.option), ['followStartupLogs']);
});
