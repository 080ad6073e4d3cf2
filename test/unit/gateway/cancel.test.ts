import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CallCancel } from '../../../src/gateway/cancel.ts';

describe('CallCancel (a request cancellation with the AbortSignal subset the gateway uses)', () => {
  it('runs each listener once, in order, on the first abort only', () => {
    const c = new CallCancel();
    const seen: string[] = [];
    c.signal.addEventListener('abort', () => seen.push('a'));
    c.signal.addEventListener('abort', () => seen.push('b'));
    assert.equal(c.signal.aborted, false);
    c.abort();
    c.abort();
    assert.equal(c.signal.aborted, true);
    assert.deepEqual(seen, ['a', 'b']);
  });

  it('does not run a removed listener, nor one added after the abort (as AbortSignal)', () => {
    const c = new CallCancel();
    const seen: string[] = [];
    const gone = (): number => seen.push('gone');
    c.signal.addEventListener('abort', gone);
    c.signal.addEventListener('abort', () => seen.push('kept'));
    c.signal.removeEventListener('abort', gone);
    c.abort();
    c.signal.addEventListener('abort', () => seen.push('late'));
    assert.deepEqual(seen, ['kept']);
    const real = new AbortController();
    real.abort();
    real.signal.addEventListener('abort', () => seen.push('late-real'));
    assert.deepEqual(seen, ['kept']);
  });

  it('a throwing listener does not stop the others, nor escape abort()', () => {
    const c = new CallCancel();
    const seen: string[] = [];
    c.signal.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    c.signal.addEventListener('abort', () => seen.push('after'));
    assert.doesNotThrow(() => c.abort());
    assert.deepEqual(seen, ['after']);
  });
});
