import t from 'tap';
import {
  CONTAINER_NAME_RULE, DockerConfigError, LABEL_MANAGED, LABEL_MASTER, LABEL_WORKER, MasterAddressError, PASSWORD_ALPHABET,
  builtImageName, containerName, generatePassword, imageReferenceProblem, isOwnedBy, ownedByFilter, parseMasterAddress,
  splitShellWords, workerLabels,
} from '../../../src/index.js';

t.test('masterFQDN forms', async (t) => {
  const cases: Array<[string, number | undefined, string, number]> = [
    ['master.example', undefined, 'master.example', 9989],
    ['master.example', 19989, 'master.example', 19989],
    ['master.example:9990', undefined, 'master.example', 9990],
    ['master.example:9990', 9990, 'master.example', 9990],
    ['localhost', undefined, 'localhost', 9989],
    ['host.docker.internal:9989', undefined, 'host.docker.internal', 9989],
    ['build_master', undefined, 'build_master', 9989],
    ['10.0.0.5:9989', undefined, '10.0.0.5', 9989],
    ['[::1]:9989', undefined, '::1', 9989],
    ['[2001:db8::5]', 9000, '2001:db8::5', 9000],
    ['::1', undefined, '::1', 9989],
    ['fe80::1%eth0', 7000, 'fe80::1%eth0', 7000],
    ['tcp://master.example:9989', undefined, 'master.example', 9989],
    ['tcp://[::1]:9000/', undefined, '::1', 9000],
    ['  master  ', undefined, 'master', 9989],
  ];
  for (const [fqdn, port, host, want] of cases) {
    t.same(parseMasterAddress(fqdn, port), { host, port: want }, `${fqdn} ${String(port)}`);
  }
});

t.test('masterFQDN refusals say why', async (t) => {
  const cases: Array<[string, number | undefined, RegExp]> = [
    ['http://localhost:9989', undefined, /not to a web URL; write the host and port, e.g. "localhost:9989"/],
    ['https://master.example', undefined, /e\.g\. "master\.example:9989"/],
    ['ftp://h', undefined, /unsupported scheme "ftp:\/\/"/],
    ['tcp://h:1/path', undefined, /path, query or user name/],
    ['', undefined, /empty/],
    ['h:0', undefined, /not a port number/],
    ['h:70000', undefined, /not a port number/],
    ['h:x', undefined, /not a port number/],
    ['h:9989', 9990, /contradicts masterPort 9990/],
    ['h', 0, /masterPort 0 is not a port number/],
    ['[::1', undefined, /unclosed/],
    ['[::1]x', undefined, /unexpected "x"/],
    ['[zz]:1', undefined, /not an IPv6 address/],
    ['a:b:c', undefined, /more than one ":" and not an IPv6 address/],
    ['bad host', undefined, /not a host name/],
    ['-x', undefined, /not a host name/],
  ];
  for (const [fqdn, port, why] of cases) {
    const err = t.throws(() => parseMasterAddress(fqdn, port), MasterAddressError, fqdn);
    if (err instanceof MasterAddressError) {
      t.match(err.message, why, fqdn);
      t.type(err, DockerConfigError);
      t.equal(err.code, 'ERR_WORKER_MASTER_ADDRESS');
    }
  }
});

t.test('generated passwords: length, alphabet, no bias', async (t) => {
  const p = generatePassword();
  t.equal(p.length, 20);
  t.match(p, /^[A-Za-z0-9]{20}$/);
  t.equal(generatePassword(32).length, 32);
  t.throws(() => generatePassword(19), RangeError);
  t.not(generatePassword(), generatePassword(), 'two passwords differ');
  // every byte value once: 248 accepted bytes map to each character exactly 4 times, 248-255 are skipped
  let fed = false;
  const allBytes = (): Uint8Array => {
    if (fed) throw new Error('asked for more bytes than needed');
    fed = true;
    return Uint8Array.from({ length: 256 }, (_, i) => i);
  };
  const counts = new Map<string, number>();
  const exact = generatePassword(248, (n) => (n >= 248 ? allBytes() : new Uint8Array(0)));
  for (const c of exact) counts.set(c, (counts.get(c) ?? 0) + 1);
  t.equal(counts.size, 62);
  t.same([...new Set(counts.values())], [4], 'uniform over the alphabet: rejection sampling, not modulo bias');
  t.ok(exact.startsWith('ABCDEFGH'), 'byte i maps to character i mod 62');
  const skipped = generatePassword(20, () => Uint8Array.from([255, 248, 0, 61, ...Array<number>(30).fill(1)]));
  t.equal(skipped.slice(0, 3), 'A9B', 'bytes 248-255 are never used');
  const sample = Array.from({ length: 600 }, () => generatePassword()).join('');
  t.equal(new Set(sample).size, 62, 'real randomness reaches every character (12000 draws)');
  t.ok([...sample].every((c) => PASSWORD_ALPHABET.includes(c)));
});

t.test('container names: stable, unique per worker and master, valid for the engine', async (t) => {
  const a = containerName('bot', 'fake:/master');
  t.match(a, /^berth-bot-[0-9a-f]{12}$/);
  t.equal(containerName('bot', 'fake:/master'), a, 'stable');
  t.not(containerName('bot', 'other:/master'), a, 'another master, another name');
  t.not(containerName('bot2', 'fake:/master'), a);
  t.match(containerName('my_worker', 'm'), /^berth-my-worker-/, '_ becomes - as in Buildbot');
  t.not(containerName('a_b', 'm'), containerName('a-b', 'm'), 'names alike after sanitising stay distinct');
  for (const w of ['bot', 'my_worker', 'Wörker Ünïcode', '...', '_x_', 'a'.repeat(300), 'UPPER.case-ok']) {
    const name = containerName(w, 'm');
    t.match(name, CONTAINER_NAME_RULE, `${w.slice(0, 20)} gives a valid name`);
    t.ok(name.length <= 6 + 40 + 13, 'bounded length');
  }
  const img = builtImageName('My_Worker', 'm');
  t.match(img, /^berth-my-worker-[0-9a-f]{12}:latest$/);
  t.equal(imageReferenceProblem(img), undefined, 'the built image name is a valid reference');
});

t.test('labels: owner labels, reserved prefix, the orphan filter', async (t) => {
  t.same(workerLabels('w1', 'host:/m', { team: 'ci' }), {
    team: 'ci', [LABEL_MANAGED]: 'true', [LABEL_WORKER]: 'w1', [LABEL_MASTER]: 'host:/m',
  });
  t.throws(() => workerLabels('w1', 'm', { 'berth.worker': 'other' }), /reserved|keeps for its own/);
  t.throws(() => workerLabels('w1', 'm', { '': 'x' }), /must not be empty/);
  t.same(ownedByFilter('host:/m'), { label: ['berth.managed=true', 'berth.master=host:/m'] });
  t.same(ownedByFilter('host:/m', 'w1'), { label: ['berth.managed=true', 'berth.master=host:/m', 'berth.worker=w1'] });
  const labels = workerLabels('w1', 'host:/m');
  t.ok(isOwnedBy(labels, 'host:/m'));
  t.ok(isOwnedBy(labels, 'host:/m', 'w1'));
  t.notOk(isOwnedBy(labels, 'host:/m', 'w11'), 'exact match, never a prefix');
  t.notOk(isOwnedBy(labels, 'host:/m2'));
  t.notOk(isOwnedBy(null, 'host:/m'));
});

t.test('image references and shell words', async (t) => {
  for (const ok of ['busybox', 'busybox:latest', 'docker.io/library/alpine:3', 'localhost:5000/a/b:1.0', 'alpine@sha256:' + 'a'.repeat(64), 'x_y__z-w:t']) {
    t.equal(imageReferenceProblem(ok), undefined, ok);
  }
  for (const [bad, why] of [['Busybox', /lower-case/], ['a b', /whitespace/], ['', /empty/], ['a:', /not an image reference/], ['-a', /not an image/]] as const) {
    t.match(imageReferenceProblem(bad), why, bad);
  }
  t.same(splitShellWords(`twistd --pidfile= -ny buildbot.tac`), ['twistd', '--pidfile=', '-ny', 'buildbot.tac']);
  t.same(splitShellWords(`sh -c 'echo "$HOME" x'`), ['sh', '-c', 'echo "$HOME" x']);
  t.same(splitShellWords(`a "b \\"c\\" \\n" d\\ e ''`), ['a', 'b "c" \\n', 'd e', '']);
  t.same(splitShellWords('  '), []);
  t.throws(() => splitShellWords(`'open`), SyntaxError);
  t.throws(() => splitShellWords(`"open`), SyntaxError);
  t.throws(() => splitShellWords('end\\'), SyntaxError);
});
