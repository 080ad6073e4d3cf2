import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRedactor, createResponseScrubberFactory, placeholderFor } from '../../../src/secrets/index.ts';

const VALUE = 'ghp_EchoedBack_7Hq2Wm9Xz4Lp';
const GUARDED = 'wdn-guarded-3fK2mQ7xZ8pL';
const ph = placeholderFor('API_KEY');
const make = createResponseScrubberFactory(
  [{ name: 'API_KEY', placeholder: ph, value: VALUE, hosts: ['api.example.com'] }],
  createRedactor({ values: [{ name: 'GUARDED', value: GUARDED }] }),
);

function run(chunks: readonly Buffer[]): string {
  const s = make();
  return Buffer.concat([...chunks.map((c) => s.push(c)), s.flush()]).toString('latin1');
}

describe('response scrubber (a bound host echoing a secret, CD-5)', () => {
  it('turns an echoed value back into the placeholder, split at every chunk offset', () => {
    const body = Buffer.from(`{"error":"bad token ${VALUE}","again":"${VALUE}"}`);
    const want = `{"error":"bad token ${ph}","again":"${ph}"}`;
    for (let cut = 0; cut <= body.length; cut++) {
      assert.equal(run([body.subarray(0, cut), body.subarray(cut)]), want, `cut at ${cut}`);
    }
    // one byte at a time
    assert.equal(run([...body].map((b) => Buffer.from([b]))), want);
  });

  it('redacts the value in other encodings and any other broker secret', () => {
    const b64 = Buffer.from(VALUE).toString('base64');
    const out = run([Buffer.from(`a=${b64} b=${encodeURIComponent(VALUE)} c=${GUARDED}`)]);
    assert.ok(!out.includes(b64) && !out.includes(GUARDED), out);
    assert.match(out, /\[REDACTED:secret:API_KEY\].*\[REDACTED:secret:GUARDED\]/);
  });

  it('twin: an answer without secrets passes byte for byte, binary included', () => {
    const body = Buffer.from([...Array(256).keys()].map((i) => i));
    const s = make();
    const out = Buffer.concat([s.push(body.subarray(0, 100)), s.push(body.subarray(100)), s.flush()]);
    assert.deepEqual(out, body);
  });
});
