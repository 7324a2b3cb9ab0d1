import t from 'tap';
import { decodeLines } from '../../src/engine/streams/utf8-lines.js';
import { Prng, fuzzSeed } from '../helpers/streams.js';

/** The oracle: decode the range as UTF-8, then split. */
function reference(bytes: Buffer, start: number, end: number): string[] {
  return bytes.toString('utf8', start, end).split('\n');
}

/** `content` placed at byte offset `shift` of a larger buffer, with junk high bytes around it. */
function placed(content: Buffer, shift: number): Buffer {
  const backing = Buffer.alloc(content.length + shift + 8, 0xff);
  content.copy(backing, shift);
  return backing.subarray(shift, shift + content.length);
}

t.test('lines decode as UTF-8 decoding and splitting does, at every alignment', async (t) => {
  const texts = [
    '', '\n', 'ascii only\nsecond\n\nfourth', 'ü', 'über\n', '\nüber', 'a\n✓\nb', '日本語\n🐳\nok', 'x'.repeat(37) + '✓' + 'y'.repeat(40),
    `${'{"status":"Downloading"}\n'.repeat(20)}{"stream":"über ✓ 日本語 — 🐳 ok\\n"}\n${'{"status":"Pull complete"}\n'.repeat(20)}`,
  ];
  for (const text of texts) {
    const content = Buffer.from(text, 'utf8');
    for (let shift = 0; shift < 8; shift++) {
      const bytes = placed(content, shift);
      t.same(decodeLines(bytes, 0, bytes.length), reference(bytes, 0, bytes.length), `${JSON.stringify(text.slice(0, 30))} at offset ${shift}`);
    }
  }
});

t.test('a range inside the buffer: bytes outside it are not read as the lines', async (t) => {
  const bytes = placed(Buffer.from('é\nab\ncd✓\n\u00e9', 'utf8'), 1);
  for (let start = 0; start <= bytes.length; start++) {
    for (let end = start; end <= bytes.length; end++) {
      const want = reference(bytes, start, end);
      const got = decodeLines(bytes, start, end);
      if (JSON.stringify(got) !== JSON.stringify(want)) t.same(got, want, `[${start}, ${end})`);
    }
  }
  t.pass('every range');
});

t.test('seeded fuzz: random bytes, invalid sequences included, any offset and range', async (t) => {
  const seed = fuzzSeed();
  const rand = new Prng(seed);
  const pieces = ['\n', 'a', 'plain ascii text ', 'ü', '✓', '🐳', '\r\n', '"', '{}'];
  let failures = 0;
  for (let i = 0; i < 5000; i++) {
    const parts: Buffer[] = [];
    const density = rand.int(4);
    for (let n = rand.int(60); n > 0; n--) {
      // mostly text, now and then raw bytes (stray continuation bytes, truncated sequences, 0xff)
      parts.push(rand.int(8) < density ? rand.bytes(1 + rand.int(3)) : Buffer.from(rand.pick(pieces), 'utf8'));
    }
    const bytes = placed(Buffer.concat(parts), rand.int(8));
    const start = rand.int(4) === 0 ? rand.int(bytes.length + 1) : 0;
    const end = rand.int(4) === 0 ? start + rand.int(bytes.length - start + 1) : bytes.length;
    const want = reference(bytes, start, end);
    const got = decodeLines(bytes, start, end);
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      failures++;
      if (failures <= 3) t.same(got, want, `case ${i} (BERTH_FUZZ_SEED=${seed}): ${bytes.subarray(start, end).toString('hex')}`);
    }
  }
  t.equal(failures, 0, `5000 cases, seed ${seed}`);
});

t.test('ASCII text is decoded in one piece', async (t) => {
  const bytes = Buffer.from('one\ntwo\nthree');
  t.same(decodeLines(bytes, 0, bytes.length), ['one', 'two', 'three']);
  t.same(decodeLines(bytes, 4, 7), ['two']);
  t.same(decodeLines(bytes, 3, 3), ['']);
});
