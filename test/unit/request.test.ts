import t from 'tap';
import { PassThrough, Readable } from 'node:stream';
import { DockerArgumentError, DockerProtocolError } from '../../src/index.js';
import { encodeQuery, engineMessage, pathSegment, readBody } from '../../src/engine/request.js';
import { compareApiVersions, minApiVersion, parseApiVersion } from '../../src/engine/version.js';
import { BERTH_VERSION } from '../../src/engine/package-version.js';
import { readFileSync } from 'node:fs';

t.test('query encoding', async (t) => {
  t.equal(encodeQuery(undefined), '');
  t.equal(encodeQuery({}), '');
  t.equal(encodeQuery({ a: undefined, b: null }), '', 'undefined and null are dropped');
  t.equal(encodeQuery({ all: true, force: false }), '?all=1&force=0');
  t.equal(encodeQuery({ t: ['a:1', 'b:2'] }), '?t=a%3A1&t=b%3A2', 'arrays repeat the key');
  t.equal(encodeQuery({ filters: { label: ['berth.managed=true'] } }), `?filters=${encodeURIComponent('{"label":["berth.managed=true"]}')}`, 'objects are JSON');
  t.equal(encodeQuery({ tail: 100, name: 'a b&c' }), '?tail=100&name=a%20b%26c');
});

t.test('path segments are validated before any I/O', async (t) => {
  t.equal(pathSegment('abc123', 'id'), 'abc123');
  t.equal(pathSegment('docker.io/library/alpine:3', 'image'), 'docker.io/library/alpine:3', '/ and : stay literal');
  t.equal(pathSegment('alpine@sha256:0abc', 'image'), 'alpine@sha256:0abc', '@ stays literal');
  t.equal(pathSegment('a b#c?d', 'name'), 'a%20b%23c%3Fd');
  for (const bad of ['', '   ', 'a/../b', '..', 'x\u0000y', 'x\ny']) {
    t.throws(() => pathSegment(bad, 'container id'), DockerArgumentError, JSON.stringify(bad));
  }
  t.throws(() => pathSegment('', 'container id'), /container id must be a non-empty string/);
});

t.test('reading a whole body', async (t) => {
  t.same(await readBody(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 10, 'GET /x'), Buffer.from('abcd'), 'chunks are joined');
  t.same(await readBody(Readable.from([Buffer.from('abcd')]), 4, 'GET /x'), Buffer.from('abcd'), 'exactly the limit is fine');
  t.same(await readBody(Readable.from([]), 4, 'GET /x'), Buffer.alloc(0), 'an empty body');
  const ended = Readable.from([]);
  ended.resume();
  await new Promise((resolve) => ended.once('end', resolve));
  t.same(await readBody(ended, 4, 'GET /x'), Buffer.alloc(0), 'a body that already ended');

  const big = new PassThrough();
  const reading = readBody(big, 4, 'GET /x');
  big.write(Buffer.from('abc'));
  big.write(Buffer.from('de'));
  await t.rejects(reading, new DockerProtocolError('GET /x: response body exceeds 4 bytes'), 'past the limit');
  t.ok(big.destroyed, 'and the body is destroyed');

  const failing = new PassThrough();
  const failed = readBody(failing, 10, 'GET /x');
  failing.write(Buffer.from('ab'));
  failing.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  await t.rejects(failed, { message: 'socket hang up', code: 'ECONNRESET' }, 'the body\'s error');

  const cut = new PassThrough();
  const closed = readBody(cut, 10, 'GET /x');
  cut.write(Buffer.from('ab'));
  cut.destroy();
  await t.rejects(closed, { code: 'ERR_STREAM_PREMATURE_CLOSE' }, 'closed before its end, as for await would say');

  const gone = new PassThrough();
  gone.destroy();
  await t.rejects(readBody(gone, 10, 'GET /x'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }, 'already destroyed');
});

t.test('engine messages from error bodies', async (t) => {
  const req = { method: 'GET', path: '/v1.41/x', apiVersion: '1.41' };
  t.equal(engineMessage(Buffer.from('{"message":"No such container: x"}\n'), 404, req), 'No such container: x');
  t.equal(engineMessage(Buffer.from('{"cause":"no such container","message":"no container with name or ID \\"x\\" found: no such container","response":404}'), 404, req),
    'no container with name or ID "x" found: no such container', 'podman shape');
  t.equal(engineMessage(Buffer.from('  page not found \n'), 404, req), 'page not found', 'plain text is trimmed');
  t.match(engineMessage(Buffer.alloc(0), 500, req), /engine answered 500 with no message; does it support API version 1\.41\?/);
  t.equal(engineMessage(Buffer.from('{"other":1}'), 500, req), 'engine answered 500 without an error message');
  t.equal(engineMessage(Buffer.from('{broken'), 500, req), '{broken');
  t.ok(engineMessage(Buffer.from('x'.repeat(5000)), 500, req).length <= 2001, 'long text is cut');
});

t.test('API versions compare numerically', async (t) => {
  t.same(parseApiVersion('1.41'), [1, 41]);
  t.same(parseApiVersion('v1.9'), [1, 9]);
  t.equal(parseApiVersion('1.41.0'), undefined);
  t.equal(parseApiVersion('latest'), undefined);
  t.ok(compareApiVersions('1.9', '1.41') < 0, '1.9 < 1.41 (a string compare says otherwise)');
  t.ok(compareApiVersions('1.100', '1.55') > 0);
  t.ok(compareApiVersions('2.0', '1.99') > 0);
  t.equal(compareApiVersions('1.41', 'v1.41'), 0);
  t.equal(minApiVersion('1.45', '1.41'), '1.41');
  t.throws(() => compareApiVersions('x', '1.41'), /cannot compare/);
});

t.test('the version constant follows package.json', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  t.equal(BERTH_VERSION, pkg.version);
});
