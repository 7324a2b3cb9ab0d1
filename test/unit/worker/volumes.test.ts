import t from 'tap';
import { VolumeSpecError, containerVolumes, parseVolumeSpec, type VolumeKind } from '../../../src/index.js';

type Good = [spec: string, kind: VolumeKind, source: string | undefined, target: string, modes: string[]];

t.test('valid specifications', async (t) => {
  const cases: Good[] = [
    ['/src/webapp:/opt/webapp', 'bind', '/src/webapp', '/opt/webapp', []],
    ['/src/webapp:/opt/webapp:ro', 'bind', '/src/webapp', '/opt/webapp', ['ro']],
    ['/tmp:/tmp:rw', 'bind', '/tmp', '/tmp', ['rw']],
    ['/a:/b:ro,z', 'bind', '/a', '/b', ['ro', 'z']],
    ['/a:/b:Z', 'bind', '/a', '/b', ['Z']],
    ['/a:/b:rshared', 'bind', '/a', '/b', ['rshared']],
    ['/a:/b:ro,slave', 'bind', '/a', '/b', ['ro', 'slave']],
    ['/a:/b:private', 'bind', '/a', '/b', ['private']],
    ['/a:/b:rprivate,Z,rw', 'bind', '/a', '/b', ['rprivate', 'Z', 'rw']],
    ['/a:/b:shared', 'bind', '/a', '/b', ['shared']],
    ['/a:/b:rslave', 'bind', '/a', '/b', ['rslave']],
    ['/a:/b:cached', 'bind', '/a', '/b', ['cached']],
    ['/a:/b:delegated,ro', 'bind', '/a', '/b', ['delegated', 'ro']],
    ['/a:/b:consistent', 'bind', '/a', '/b', ['consistent']],
    ['myvol:/cache', 'volume', 'myvol', '/cache', []],
    ['my_vol.2-x:/cache:ro', 'volume', 'my_vol.2-x', '/cache', ['ro']],
    ['cache:/cache:nocopy', 'volume', 'cache', '/cache', ['nocopy']],
    ['cache:/cache:nocopy,ro,z', 'volume', 'cache', '/cache', ['nocopy', 'ro', 'z']],
    ['/data', 'anonymous', undefined, '/data', []],
    ['/var/lib/worker/cache', 'anonymous', undefined, '/var/lib/worker/cache', []],
    ['/with space/dir:/in container', 'bind', '/with space/dir', '/in container', []],
    ['C:\\src:C:\\dst', 'bind', 'C:\\src', 'C:\\dst', []],
    ['C:\\src:C:\\dst:ro', 'bind', 'C:\\src', 'C:\\dst', ['ro']],
    ['c:/x:/y:ro', 'bind', 'c:/x', '/y', ['ro']],
    ['d:\\Work Dir:/work', 'bind', 'd:\\Work Dir', '/work', []],
    ['/host:c:\\data', 'bind', '/host', 'c:\\data', []],
    ['\\\\server\\share:/mnt/share', 'bind', '\\\\server\\share', '/mnt/share', []],
    ['C:\\data', 'anonymous', undefined, 'C:\\data', []],
    ['vol:C:\\cache:rw', 'volume', 'vol', 'C:\\cache', ['rw']],
    // Buildbot refused this (no colon); it is a valid anonymous volume, as for docker -v
    ['/data==/worker/x/build', 'anonymous', undefined, '/data==/worker/x/build', []],
  ];
  for (const [spec, kind, source, target, modes] of cases) {
    const v = parseVolumeSpec(spec);
    t.same({ kind: v.kind, source: v.source, target: v.target, modes: v.modes, spec: v.spec },
      { kind, source, target, modes, spec }, spec);
    t.equal(v.readOnly, modes.includes('ro'), `${spec}: readOnly`);
  }
  t.ok(cases.length >= 29);
});

t.test('malformed specifications are refused, naming the specification', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['abcd=efgh', /container path "abcd=efgh" must be absolute/],
    ['', /empty specification/],
    [':/b', /empty part/],
    ['/a:', /empty part/],
    ['/a:/b:', /empty part/],
    ['/a::/b', /empty part/],
    ['/a:/b:ro:z', /too many/],
    ['/a:/b:ro,', /empty mode/],
    ['/a:/b:rox', /unknown mode "rox"/],
    ['/a:/b:ro,rw', /conflict/],
    ['/a:/b:z,Z', /conflict/],
    ['/a:/b:shared,slave', /conflict/],
    ['/a:/b:cached,delegated', /conflict/],
    ['/a:/b:nocopy', /nocopy applies to named volumes only/],
    ['vol:/b:rshared', /propagation mode "rshared" applies to bind mounts only/],
    ['/data:ro', /"ro" is a mode, and an anonymous volume takes no mode/],
    ['/data:ro,z', /anonymous volume takes no mode/],
    ['/src:relative/dst', /container path "relative\/dst" must be absolute/],
    ['/src:dst', /must be absolute/],
    ['data', /must be absolute/],
    ['~:/backup:rw', /"~" is not expanded/],
    ['~/cache:/cache', /is not expanded/],
    ['./data:/data', /relative/],
    ['../data:/data', /relative/],
    ['sub/dir:/data', /relative/],
    ['v$:/x', /neither an absolute host path nor a volume name/],
    ['-vol:/x', /neither an absolute host path nor a volume name/],
    ['/src:/', /root/],
    ['/src:C:\\', /root/],
    ['C:\\src:C:\\dst:z', /Windows containers take only the ro and rw modes/],
    [' /a:/b', /whitespace/],
    ['/a:/b\n', /whitespace|control/],
    ['/a\u0000:/b', /control characters/],
  ];
  for (const [spec, why] of cases) {
    const err = t.throws(() => parseVolumeSpec(spec), VolumeSpecError, JSON.stringify(spec));
    if (err instanceof VolumeSpecError) {
      t.equal(err.spec, spec);
      t.equal(err.code, 'ERR_WORKER_VOLUME_SPEC');
      t.match(err.message, why, `${JSON.stringify(spec)}: ${String(why)}`);
      t.ok(err.message.startsWith(`invalid volume "${spec}"`), 'the message names the specification');
    }
  }
});

t.test('create-body fields: binds as written, anonymous volumes apart, one mount per path', async (t) => {
  t.same(containerVolumes(['/src/webapp:/opt/webapp:ro', 'cache:/cache', '/data', '/src/webapp:/second']), {
    binds: ['/src/webapp:/opt/webapp:ro', 'cache:/cache', '/src/webapp:/second'],
    volumes: { '/data': {} },
  }, 'the same source may be mounted twice');
  t.same(containerVolumes([]), { binds: [], volumes: {} });
  t.throws(() => containerVolumes(['/a:/x', '/b:/x/']), /"\/x\/" is already mounted by "\/a:\/x"/);
  t.throws(() => containerVolumes(['/a:/x', '/x']), /already mounted/);
  t.throws(() => containerVolumes(['C:\\a:C:\\Data', 'd:/b:c:/data']), /already mounted/, 'Windows paths compare case-insensitively');
});
