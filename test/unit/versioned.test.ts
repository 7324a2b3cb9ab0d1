import t from 'tap';
import { ConflictError, DockerArgumentError, NotFoundError, ServerError, isVersionConflict } from '../../src/index.js';
import { applyChange, updateVersioned, versionIndex, type Versioned } from '../../src/engine/resources/versioned.js';
import { Scrubber } from '../../src/testing/scrub.js';

interface Spec {
  Name?: string;
  Labels?: Record<string, string>;
  Availability?: string;
}

const request = { method: 'POST', path: '/v1.41/nodes/x/update', apiVersion: '1.41' };
const outOfSequence = (): ServerError => new ServerError(500, 'rpc error: code = Unknown desc = update out of sequence', request);

/** A fake object store: `read` returns the current spec and version, `write` fails with a conflict `conflicts` times. */
function store(initial: Versioned<Spec>, conflicts: number): {
  read: () => Promise<Versioned<Spec>>;
  write: (spec: Spec, version: number) => Promise<string>;
  reads: number;
  writes: Array<{ spec: Spec; version: number }>;
} {
  let current = initial;
  let left = conflicts;
  const s = {
    reads: 0,
    writes: [] as Array<{ spec: Spec; version: number }>,
    read: async () => {
      s.reads++;
      return structuredClone(current);
    },
    write: async (spec: Spec, version: number) => {
      s.writes.push({ spec, version });
      if (left > 0) {
        left--;
        // another writer got in between: the version moved on
        current = { spec: { ...current.spec, Labels: { other: 'writer' } }, version: current.version + 1 };
        throw outOfSequence();
      }
      if (version !== current.version) throw outOfSequence();
      current = { spec, version: version + 1 };
      return 'written';
    },
  };
  return s;
}

t.test('version conflicts are recognised by the engine message', async (t) => {
  t.ok(isVersionConflict(outOfSequence()));
  t.notOk(isVersionConflict(new ConflictError(409, 'name conflicts with an existing object', request)));
  t.notOk(isVersionConflict(new NotFoundError(404, 'node x not found', request)));
  t.notOk(isVersionConflict(new Error('update out of sequence')), 'only engine answers count');
});

t.test('read → change → write with the current version', async (t) => {
  const s = store({ spec: { Name: 'n', Labels: { a: '1' }, Availability: 'active' }, version: 7 }, 0);
  t.equal(await updateVersioned('node update', { Availability: 'drain' }, undefined, s.read, s.write), 'written');
  t.equal(s.reads, 1);
  t.same(s.writes, [{ spec: { Name: 'n', Labels: { a: '1' }, Availability: 'drain' }, version: 7 }], 'fields left out keep their value');
});

t.test('a change function gets a copy of the current spec', async (t) => {
  const initial = { spec: { Labels: { a: '1' } }, version: 3 };
  const s = store(initial, 0);
  await updateVersioned<Spec, string>('node update', (spec) => {
    if (spec.Labels) spec.Labels.b = '2';
    return spec;
  }, undefined, s.read, s.write);
  t.same(s.writes[0]?.spec, { Labels: { a: '1', b: '2' } });
  t.same(initial.spec, { Labels: { a: '1' } }, 'the object read is not modified in place');
});

t.test('one version conflict: read again, apply the change to the fresh spec, write again', async (t) => {
  const s = store({ spec: { Labels: { a: '1' }, Availability: 'active' }, version: 10 }, 1);
  const seen: Spec[] = [];
  const result = await updateVersioned<Spec, string>('node update', (spec) => {
    seen.push(structuredClone(spec));
    return { ...spec, Availability: 'pause' };
  }, undefined, s.read, s.write);
  t.equal(result, 'written');
  t.equal(s.reads, 2, 'read twice');
  t.same(s.writes.map((w) => w.version), [10, 11], 'the retry uses the new version');
  t.same(seen[1], { Labels: { other: 'writer' }, Availability: 'active' }, 'the change sees what the other writer wrote');
  t.same(s.writes[1]?.spec, { Labels: { other: 'writer' }, Availability: 'pause' });
});

t.test('a second conflict is the caller’s', async (t) => {
  const s = store({ spec: {}, version: 1 }, 2);
  await t.rejects(updateVersioned('node update', { Availability: 'drain' }, undefined, s.read, s.write), ServerError);
  t.equal(s.writes.length, 2, 'retried once, not more');
});

t.test('other errors are not retried', async (t) => {
  let reads = 0;
  const read = async (): Promise<Versioned<Spec>> => { reads++; return { spec: {}, version: 1 }; };
  const write = async (): Promise<string> => { throw new NotFoundError(404, 'node x not found', request); };
  await t.rejects(updateVersioned('node update', {}, undefined, read, write), NotFoundError);
  t.equal(reads, 1);
});

t.test('an explicit version: the spec as is, no read, no retry', async (t) => {
  const s = store({ spec: { Labels: { a: '1' } }, version: 5 }, 1);
  await t.rejects(updateVersioned('node update', { Availability: 'drain' }, 4, s.read, s.write), ServerError, 'a stale version fails');
  t.equal(s.reads, 0, 'nothing read');
  t.same(s.writes, [{ spec: { Availability: 'drain' }, version: 4 }], 'sent as given');
  await t.rejects(updateVersioned<Spec, string>('node update', (x) => x, 4, s.read, s.write), DockerArgumentError, 'a function needs the current spec');
  await t.rejects(updateVersioned('node update', {}, -1, s.read, s.write), DockerArgumentError);
  await t.rejects(updateVersioned('node update', {}, 1.5, s.read, s.write), DockerArgumentError);
});

t.test('applyChange and versionIndex', async (t) => {
  t.same(applyChange<Spec>('x', { Labels: {} }, { Labels: { a: '1' }, Name: 'n' }), { Labels: {}, Name: 'n' }, 'a given field replaces, not merges');
  t.throws(() => applyChange<Spec>('x', () => null as unknown as Spec, {}), DockerArgumentError);
  t.equal(versionIndex({ Version: { Index: 12 } }, 'GET /nodes/{id}'), 12);
  t.throws(() => versionIndex({}, 'GET /nodes/{id}'), /no Version\.Index/);
});

t.test('swarm join tokens and unlock keys never reach a fixture', async (t) => {
  const s = new Scrubber();
  const token = 'SWMTKN-1-4uz8y1t2ko21msdqsruj8u4otntiru2mglmnriw9c40w8cdn6s-1tbzc5lzdnmbqarb7jcc9647a';
  t.same(s.json({ JoinTokens: { Worker: token, Manager: token } }), { JoinTokens: { Worker: 'SWMTKN-1-<redacted>', Manager: 'SWMTKN-1-<redacted>' } });
  t.same(s.json({ UnlockKey: 'SWMKEY-1-7c37Cc8654o6p38HnroywCi19pllOnGtbdZEgtKxZu8' }), { UnlockKey: 'SWMKEY-1-<redacted>' });
  t.equal(s.text(`docker swarm join --token ${token} 127.0.0.1:2377`), 'docker swarm join --token SWMTKN-1-<redacted> 127.0.0.1:2377');
  t.equal(s.text('no token here: SWMTKN'), 'no token here: SWMTKN');
});
