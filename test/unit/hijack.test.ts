import t from 'tap';
import { DockerArgumentError, DockerProtocolError } from '../../src/index.js';
import { decodeChunked, parseHead, requestHead } from '../../src/engine/streams/hijack.js';

const info = { method: 'POST', path: '/v1.41/containers/x/attach', apiVersion: '1.41' };

t.test('the request head', async (t) => {
  const head = requestHead({ method: 'POST', target: '/v1.41/containers/x/attach?stream=1&stdin=1', host: 'api.moby.localhost', headers: { 'user-agent': 'berth/0.1.0' } });
  t.equal(head.toString(), [
    'POST /v1.41/containers/x/attach?stream=1&stdin=1 HTTP/1.1',
    'Host: api.moby.localhost',
    'user-agent: berth/0.1.0',
    'Connection: Upgrade',
    'Upgrade: tcp',
    '', '',
  ].join('\r\n'));
  const withBody = requestHead({
    method: 'POST', target: '/v1.41/exec/e/start', host: 'h:2375',
    headers: { 'content-type': 'application/json', connection: 'close', Host: 'evil', 'Content-Length': '99' },
    body: Buffer.from('{"Detach":false,"Tty":false}'),
  }).toString();
  t.match(withBody, /\r\nContent-Length: 28\r\n\r\n\{"Detach":false,"Tty":false\}$/);
  t.notMatch(withBody, /evil|close|: 99/, 'Host, Connection and Content-Length are ours, not the caller\'s');
  t.throws(() => requestHead({ method: 'POST', target: '/x', host: 'h', headers: { 'x-a': 'ok\r\nInjected: yes' } }), DockerArgumentError);
  t.throws(() => requestHead({ method: 'POST', target: '/x', host: 'h', headers: { 'bad name': 'v' } }), DockerArgumentError);
  t.throws(() => requestHead({ method: 'POST', target: '/x y', host: 'h', headers: {} }), DockerArgumentError);
});

t.test('the response head', async (t) => {
  t.same(parseHead('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp', info), {
    statusCode: 101, statusMessage: 'UPGRADED',
    headers: { 'content-type': 'application/vnd.docker.raw-stream', connection: 'Upgrade', upgrade: 'tcp' },
  });
  t.same(parseHead('HTTP/1.0 400\r\nX-A: 1\r\nx-a:  2 ', info), { statusCode: 400, statusMessage: '', headers: { 'x-a': ['1', '2'] } }, 'repeated headers, HTTP/1.0, no reason');
  t.throws(() => parseHead('SSH-2.0-OpenSSH_9.2', info), new DockerProtocolError('the engine\'s answer to POST /v1.41/containers/x/attach is not HTTP/1.1: "SSH-2.0-OpenSSH_9.2"'));
  t.throws(() => parseHead('HTTP/1.1 200 OK\r\nno colon here', info), /malformed header line/);
  t.throws(() => parseHead('HTTP/1.1 2000 OK', info), DockerProtocolError);
});

t.test('chunked bodies (refused upgrades through proxies)', async (t) => {
  t.same(decodeChunked(Buffer.from('5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n')), { data: Buffer.from('hello, world'), complete: true });
  t.same(decodeChunked(Buffer.from('5\r\nhel')), { data: Buffer.from('hel'), complete: false }, 'partial');
  t.same(decodeChunked(Buffer.from('zz\r\n')), { data: Buffer.alloc(0), complete: false }, 'garbage stops decoding');
});
