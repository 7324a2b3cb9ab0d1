import t from 'tap';
import { DockerArgumentError, unixTime } from '../../src/index.js';

t.test('points in time in the engine\'s form', async (t) => {
  t.equal(unixTime(1700000000, 'since'), '1700000000');
  t.equal(unixTime(1700000000.5, 'since'), '1700000000.500000000');
  t.equal(unixTime(0, 'since'), '0');
  t.equal(unixTime(new Date(1700000000123), 'since'), '1700000000.123000000', 'a Date keeps its milliseconds');
  t.equal(unixTime('1700000000', 'since'), '1700000000', 'the engine form passes as it is');
  t.equal(unixTime('1700000000.000000001', 'since'), '1700000000.000000001');
  t.equal(unixTime('2023-11-14T22:13:20Z', 'since'), '1700000000', 'RFC 3339');
  t.equal(unixTime('2023-11-14T22:13:20.123456789Z', 'since'), '1700000000.123456789', 'with its nanoseconds (what inspect answers)');
  t.equal(unixTime('2023-11-15T00:13:20.5+02:00', 'since'), '1700000000.500000000', 'with an offset');
  t.equal(unixTime(1700000000.9999999, 'since'), '1700000001', 'rounding up to a whole second carries');
  for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, '', 'yesterday', '10m', '2023-11-14', '1700000000.1234567891', new Date(Number.NaN)]) {
    t.throws(() => unixTime(bad, 'until'), DockerArgumentError, `${String(bad)} is refused`);
  }
  t.throws(() => unixTime('soon', 'events until'), /events until/, 'the message names the option');
});
