import t from 'tap';
import {
  CompatibilityTracker, DockerConfigError, NO_PROPERTIES, RenderError, buildProperties, checkUserEnvironment, deepEqual,
  environmentList, property, render, renderAll, workerEnvironment, type BuildProperties,
} from '../../../src/index.js';

const props = buildProperties({ builder: 'docker_worker', n: 1 }, { n: 2, extra: null });

t.test('build properties: layers, defaults, read-only', async (t) => {
  t.equal(props.getProperty('builder'), 'docker_worker');
  t.equal(props.getProperty('n'), 2, 'later layers win');
  t.equal(props.getProperty('missing'), undefined);
  t.equal(props.getProperty('missing', 'dflt'), 'dflt');
  t.equal(props.getProperty('extra', 'dflt'), null, 'a property set to null is set');
  t.ok(props.hasProperty('extra'));
  t.notOk(props.hasProperty('toString'), 'no prototype leaks');
  t.ok(Object.isFrozen(props.values));
  t.same(NO_PROPERTIES.values, {});
  t.equal(property('builder')(props), 'docker_worker');
  t.equal(property('nope', 'x')(props), 'x');
});

t.test('render and renderAll', async (t) => {
  t.equal(await render('plain', props), 'plain');
  t.equal(await render((p: BuildProperties) => `v-${String(p.getProperty('builder'))}`, props), 'v-docker_worker');
  t.equal(await render(async () => 3, props), 3);
  const deep = await renderAll({
    a: [1, (p: BuildProperties) => p.getProperty('n'), [() => 'nested']],
    b: { c: async () => ({ d: () => 'inner' }) },
    re: /x/g,
    date: new Date(0),
  }, props);
  t.same(deep, { a: [1, 2, ['nested']], b: { c: { d: 'inner' } }, re: /x/g, date: new Date(0) });
  const err = await renderAll({ hostconfig: { Binds: ['ok', () => { throw new Error('no such property'); }] } }, props).catch((e: unknown) => e);
  t.type(err, RenderError);
  t.type(err, DockerConfigError);
  t.match(err, { path: 'hostconfig.Binds[1]', code: 'ERR_WORKER_RENDER', message: /no such property/ });
  type Loop = () => Loop;
  const loop: Loop = () => loop;
  t.match(await renderAll(loop as unknown, props).catch((e: unknown) => e), { message: /nested more than 32 levels/ });
});

t.test('compatibility: kept at start, compared by rendering, dropped on stop', async (t) => {
  let renders = 0;
  const tracker = new CompatibilityTracker<{ builder: string }>((b) => { renders++; return { volumes: [`/data:/worker/${b?.builder ?? ''}/build`] }; });
  t.equal(await tracker.isCompatible({ builder: 'x' }), true, 'nothing running: anything goes');
  t.equal(renders, 0);
  const g0 = tracker.generation;
  tracker.start({ builder: 'docker_worker' });
  t.ok(tracker.holding);
  t.not(tracker.generation, g0);
  t.equal(await tracker.isCompatible({ builder: 'docker_worker' }), true);
  t.equal(await tracker.isCompatible({ builder: 'docker_worker2' }), false, 'the volume renders differently');
  tracker.reset();
  t.equal(await tracker.isCompatible({ builder: 'docker_worker2' }), true, 'after a stop every build is compatible');
  const failing = new CompatibilityTracker<string>((b) => { if (b === 'bad') throw new Error('render failed'); return b; });
  failing.start('bad');
  t.equal(await failing.isCompatible('good'), false, 'a failed kept rendering matches nothing');
  failing.reset();
  failing.start('good');
  await t.rejects(failing.isCompatible('bad'), /render failed/, 'a failure to render the candidate is reported');
});

t.test('deepEqual', async (t) => {
  t.ok(deepEqual({ a: [1, { b: 'x' }], c: undefined }, { a: [1, { b: 'x' }] }), 'undefined members equal missing ones');
  t.ok(deepEqual(Number.NaN, Number.NaN));
  t.ok(deepEqual(/a/i, /a/i));
  t.notOk(deepEqual(/a/i, /a/g));
  t.ok(deepEqual(Buffer.from('ab'), new Uint8Array([97, 98])));
  t.notOk(deepEqual([1, 2], [2, 1]));
  t.notOk(deepEqual({ a: 1 }, { a: '1' }));
  t.notOk(deepEqual([], {}));
  t.notOk(deepEqual(new Map(), new Map()), 'class instances compare by identity');
});

t.test('worker environment contract', async (t) => {
  const env = workerEnvironment(
    { master: { host: 'master.example', port: 9989 }, workerName: 'bot', password: 'pw', protocol: 'pb' },
    { TZ: 'UTC', WORKER_ENVIRONMENT_BLACKLIST: 'WORKERPASS AWS_*' });
  t.same(env, {
    TZ: 'UTC', WORKER_ENVIRONMENT_BLACKLIST: 'WORKERPASS AWS_*', BUILDMASTER: 'master.example', BUILDMASTER_PORT: '9989',
    WORKERNAME: 'bot', WORKERPASS: 'pw', BUILDMASTER_PROTOCOL: 'pb',
  });
  t.same(environmentList({ A: '1', B: 'x=y' }), ['A=1', 'B=x=y']);
  for (const bad of [{ '': 'x' }, { 'A=B': 'x' }, { WORKERNAME: 'x' }, { BUILDMASTER_PORT: '1' }, { A: 'x\u0000' }]) {
    t.throws(() => checkUserEnvironment(bad), DockerConfigError, JSON.stringify(bad));
  }
});
