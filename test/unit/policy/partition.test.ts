import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { PolicyEngine } from '../../../src/policy/index.ts';
import type { PolicyRequest } from '../../../src/policy/index.ts';

// Partitioning must never change a decision: compare with plain Cedar over the whole set.
const principals = [
  'principal',
  'principal in Warden::Role::"r1"',
  'principal in Warden::Role::"r2"',
  'principal == Warden::Agent::"a1"',
];
const actions = [
  'action',
  'action == Warden::Action::"call_tool"',
  'action in [Warden::Action::"call_tool", Warden::Action::"read_resource"]',
  'action == Warden::Action::"read_resource"',
];
const toolResources = [
  'resource == Warden::Tool::"s1.t1"',
  'resource in Warden::Server::"s1"',
  'resource is Warden::Tool',
  'resource is Warden::Tool in Warden::Server::"s2"',
];
const resResources = [
  'resource == Warden::Resource::"s1:u"',
  'resource in Warden::Server::"s1"',
  'resource is Warden::Resource',
];
const conditions = [
  '',
  ' when { context.args has x && context.args.x == 1 }',
  ' when { context.args.x == 1 }',
  ' unless { context.now < 0 }',
  ' when { resource has name && resource.name == "t1" }',
  ' when { principal.name == "a1" }',
];

const policy = fc
  .record({
    effect: fc.constantFrom('permit', 'forbid'),
    p: fc.constantFrom(...principals),
    a: fc.nat(actions.length - 1),
    r: fc.nat(9),
    c: fc.constantFrom(...conditions),
  })
  .map(({ effect, p, a, r, c }) => {
    const action = actions[a]!;
    const pool =
      action.includes('call_tool') && !action.includes('read_resource')
        ? toolResources
        : action.includes('read_resource') && !action.includes('call_tool')
          ? resResources
          : ['resource'];
    return `${effect} (${p}, ${action}, ${pool[r % pool.length]!})${c};`;
  });

const request = fc.record({
  agent: fc.constantFrom('a1', 'a2'),
  roles: fc.subarray(['r1', 'r2']),
  target: fc.constantFrom('s1.t1', 's1.t2', 's2.t1', 's1:u'),
  args: fc.constantFrom<Record<string, number | string>>({}, { x: 1 }, { x: 2 }, { x: 's' }),
});

describe('policy partitioning', () => {
  it('gives the same decision as plain Cedar over the whole set (property)', () => {
    fc.assert(
      fc.property(
        fc.array(policy, { minLength: 1, maxLength: 6 }),
        fc.array(request, { minLength: 1, maxLength: 6 }),
        (texts, reqs) => {
          const engine = PolicyEngine.fromText({ 'p.cedar': texts.join('\n') });
          const now = 1_700_000_000_000;
          for (const q of reqs) {
            const isTool = q.target.includes('.');
            const [server, rest] = isTool ? q.target.split('.') : q.target.split(':');
            const req: PolicyRequest = isTool
              ? {
                  principal: { id: q.agent, roles: q.roles },
                  action: 'call_tool',
                  resource: { kind: 'tool', server: server!, name: rest! },
                  context: { args: q.args, now },
                }
              : {
                  principal: { id: q.agent, roles: q.roles },
                  action: 'read_resource',
                  resource: { kind: 'resource', server: server!, uri: rest! },
                  context: { args: q.args, now },
                };
            const ours = engine.authorize(req);
            const plain = cedar.isAuthorized({
              principal: { type: 'Warden::Agent', id: q.agent },
              action: { type: 'Warden::Action', id: req.action },
              resource: { type: isTool ? 'Warden::Tool' : 'Warden::Resource', id: q.target },
              context: {
                args: q.args,
                now: Math.floor(now / 1000),
                datetime: { __extn: { fn: 'datetime', arg: new Date(now).toISOString() } },
                task: '',
                session: '',
              },
              policies: { staticPolicies: Object.fromEntries(engine.policies.map((p) => [p.id, p.text])) },
              entities: [
                {
                  uid: { type: 'Warden::Agent', id: q.agent },
                  attrs: { name: q.agent },
                  parents: q.roles.map((r) => ({ type: 'Warden::Role', id: r })),
                },
                isTool
                  ? {
                      uid: { type: 'Warden::Tool', id: q.target },
                      attrs: { name: rest!, server: server!, annotations: {}, trusted_annotations: false },
                      parents: [{ type: 'Warden::Server', id: server! }],
                    }
                  : {
                      uid: { type: 'Warden::Resource', id: q.target },
                      attrs: { uri: rest!, server: server! },
                      parents: [{ type: 'Warden::Server', id: server! }],
                    },
              ],
            });
            assert.equal(plain.type, 'success');
            if (plain.type !== 'success') return;
            const expected = plain.response.diagnostics.errors.length > 0 ? 'deny' : plain.response.decision;
            assert.equal(ours.effect, expected, `${texts.join('\n')}\n${JSON.stringify(q)}`);
            if (expected === 'allow')
              assert.deepEqual([...ours.policyIds].sort(), [...plain.response.diagnostics.reason].sort());
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
