import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PolicyEngine } from '../../../src/policy/index.ts';
import type { PolicyRequest } from '../../../src/policy/index.ts';

const POLICIES = {
  'p.cedar': `
@id("read-any") permit (principal in Warden::Role::"reader", action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
when { resource.name == "read_file" };
@id("ws-only") forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
when { context.args has path && !(context.args.path like "/ws/*") };
@id("office-hours") permit (principal in Warden::Role::"night", action == Warden::Action::"call_tool", resource in Warden::Server::"clock")
when { context.now > 1 && context.now < 3 };
`,
};

function req(roles: string[], server: string, path: unknown, now: number): PolicyRequest {
  return {
    principal: { id: 'a', roles },
    action: 'call_tool',
    resource: { kind: 'tool', server, name: 'read_file' },
    context: { args: path === undefined ? {} : { path }, now },
  };
}

describe('authorize decision cache', () => {
  it('gives exactly the decision an uncached engine gives, for any sequence of requests (property)', () => {
    const cached = PolicyEngine.fromText(POLICIES);
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            roles: fc.subarray(['reader', 'night', 'other']),
            server: fc.constantFrom('fs', 'clock'),
            path: fc.option(fc.constantFrom('/ws/a', '/etc/passwd', '/ws/../etc', 'x'), { nil: undefined }),
            now: fc.integer({ min: 0, max: 5000 }),
          }),
          { maxLength: 30 },
        ),
        (reqs) => {
          for (const r of reqs) {
            const fresh = PolicyEngine.fromText(POLICIES);
            const a = cached.authorize(req(r.roles, r.server, r.path, r.now));
            const b = fresh.authorize(req(r.roles, r.server, r.path, r.now));
            assert.deepEqual(a, b);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not serve an allow for different arguments (deny twin)', () => {
    const e = PolicyEngine.fromText(POLICIES);
    assert.equal(e.authorize(req(['reader'], 'fs', '/ws/a', 1)).effect, 'allow');
    assert.equal(e.authorize(req(['reader'], 'fs', '/etc/passwd', 1)).effect, 'deny');
    assert.equal(e.authorize(req(['reader'], 'fs', '/ws/a', 1)).effect, 'allow');
  });

  it('re-evaluates time-dependent policies at every instant', () => {
    const e = PolicyEngine.fromText(POLICIES);
    assert.equal(e.authorize(req(['night'], 'clock', undefined, 2000)).effect, 'allow');
    assert.equal(e.authorize(req(['night'], 'clock', undefined, 3000)).effect, 'deny');
  });
});
