/**
 * Cost of PolicyEngine.authorize() (and isVisible) for a realistic 10-policy set and for 500
 * policies, interleaved in one run with same-run baselines: cedar-wasm's plain isAuthorized on
 * the whole set (parses every call), statefulIsAuthorized on the whole pre-parsed set (no
 * partitioning), and an "empty" stateful evaluation (one trivial policy) as the floor.
 */
import * as cedar from '@cedar-policy/cedar-wasm/nodejs';
import { PolicyEngine } from '../src/policy/index.ts';
import type { PolicyRequest } from '../src/policy/index.ts';
import type { AuthorizationCall } from '@cedar-policy/cedar-wasm/nodejs';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, percentile } from './lib.ts';

const REALISTIC = `
@id("dev-github") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"github");
@id("no-delete-repo") @reason("never") forbid (principal, action == Warden::Action::"call_tool", resource == Warden::Tool::"github.delete_repo");
@id("write-in-workspace") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"fs.write_file")
  when { context.args has path && context.args.path like "/workspace/*" };
@id("no-dot-dot") forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
  when { context.args has path && context.args.path like "*..*" };
@id("fs-read") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
  when { ["read_text_file", "list_directory", "search_files"].contains(resource.name) };
@id("readers") permit (principal in Warden::Role::"reader", action == Warden::Action::"call_tool", resource)
  when { resource.trusted_annotations && resource.annotations has readOnlyHint && resource.annotations.readOnlyHint };
@id("ops-hours") permit (principal in Warden::Role::"ops", action == Warden::Action::"call_tool", resource == Warden::Tool::"ci.deploy")
  when { context.datetime.toTime() >= duration("8h") && context.datetime.toTime() < duration("18h") };
@id("tainted-email") forbid (principal, action == Warden::Action::"call_tool", resource == Warden::Tool::"email.send")
  when { context has taint && context.taint.untrusted && !(context.args has to && ["a@example.com"].contains(context.args.to)) };
@id("memory") permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"memory");
@id("docs") permit (principal in Warden::Role::"dev", action == Warden::Action::"read_resource", resource in Warden::Server::"docs");
`;

function many(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      `@id("gen-${i}") permit (principal in Warden::Role::"r${i % 20}", action == Warden::Action::"call_tool", resource == Warden::Tool::"srv${i % 25}.tool${i}") when { context.args has n && context.args.n < ${i + 10} };`,
    );
  }
  return out.join('\n');
}

const req: PolicyRequest = {
  principal: { id: 'bob', roles: ['dev', 'staff'] },
  action: 'call_tool',
  resource: { kind: 'tool', server: 'fs', name: 'write_file' },
  context: {
    args: { path: '/workspace/src/index.ts', content: 'x'.repeat(200) },
    now: Date.now(),
    session: 's1',
    task: 't',
  },
};

const plainCall = (policies: string): AuthorizationCall => ({
  principal: { type: 'Warden::Agent', id: 'bob' },
  action: { type: 'Warden::Action', id: 'call_tool' },
  resource: { type: 'Warden::Tool', id: 'fs.write_file' },
  context: {
    args: { path: '/workspace/src/index.ts', content: 'x'.repeat(200) },
    now: Math.floor(Date.now() / 1000),
    datetime: { __extn: { fn: 'datetime', arg: new Date().toISOString() } },
    task: 't',
    session: 's1',
  },
  entities: [
    {
      uid: { type: 'Warden::Agent', id: 'bob' },
      attrs: { name: 'bob' },
      parents: [
        { type: 'Warden::Role', id: 'dev' },
        { type: 'Warden::Role', id: 'staff' },
      ],
    },
    {
      uid: { type: 'Warden::Tool', id: 'fs.write_file' },
      attrs: { name: 'write_file', server: 'fs', annotations: {}, trusted_annotations: false },
      parents: [{ type: 'Warden::Server', id: 'fs' }],
    },
  ],
  policies: { staticPolicies: policies },
});

type Samples = Record<string, number[]>;

async function measure(label: string, text: string, n: number, ctx: BenchContext): Promise<Samples> {
  const engine = PolicyEngine.fromText({ 'p.cedar': text });
  if (engine.authorize(req).effect !== 'allow') throw new Error('bench request should be allowed');
  const setId = `bench-whole-${label}`;
  const floorId = 'bench-floor';
  cedar.preparsePolicySet(setId, { staticPolicies: text });
  cedar.preparsePolicySet(floorId, { staticPolicies: 'permit (principal, action, resource);' });
  const call = plainCall(text);
  const { policies: _ignored, ...stateful } = call;
  let i = 0;
  const samples = await interleave(n, {
    warden: () => Promise.resolve(engine.authorize(req)),
    plain: () => Promise.resolve(cedar.isAuthorized(call)),
    whole: () => Promise.resolve(cedar.statefulIsAuthorized({ ...stateful, preparsedPolicySetId: setId })),
    floor: () => Promise.resolve(cedar.statefulIsAuthorized({ ...stateful, preparsedPolicySetId: floorId })),
    // A different principal each time: the uncached cost of one tools/list entry.
    visible: () => Promise.resolve(engine.isVisible({ id: `a${i++}`, roles: ['dev'] }, req.resource)),
  });
  const us = (k: string): string => (percentile(samples[k]!, 50) * 1000).toFixed(0);
  ctx.log(
    `${label}: p50 warden ${us('warden')} µs, plain ${us('plain')}, whole set ${us('whole')}, floor ${us('floor')}`,
  );
  return samples;
}

export default async function policyBench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = ctx.quick ? 300 : 3000;
  const small = await measure('10 policies', REALISTIC, n, ctx);
  const big = await measure('500 policies', REALISTIC + many(490), n, ctx);
  const us = (s: Samples, k: string, p = 50): number => percentile(s[k]!, p) * 1000;
  const rows: BenchRow[] = [];
  for (const [label, s] of [
    ['10 policies', small],
    ['500 policies', big],
  ] as const) {
    rows.push(
      {
        name: `authorize p50, ${label}`,
        value: us(s, 'warden'),
        unit: 'µs',
        baseline: { name: 'empty stateful evaluation p50 (same request)', value: us(s, 'floor') },
        target: '<= 2x the empty evaluation',
        met: us(s, 'warden') <= 2 * us(s, 'floor'),
      },
      {
        name: `authorize p99, ${label}`,
        value: us(s, 'warden', 99),
        unit: 'µs',
        baseline: { name: 'empty stateful evaluation p99', value: us(s, 'floor', 99) },
      },
      {
        name: `plain isAuthorized p50, ${label}`,
        value: us(s, 'plain'),
        unit: 'µs',
        baseline: { name: 'authorize p50', value: us(s, 'warden') },
        note: 'parses the whole set every call (reference)',
      },
      {
        name: `stateful whole set p50, ${label}`,
        value: us(s, 'whole'),
        unit: 'µs',
        baseline: { name: 'authorize p50', value: us(s, 'warden') },
        note: 'pre-parsed, not partitioned (reference)',
      },
      {
        name: `isVisible p50 uncached, ${label}`,
        value: us(s, 'visible'),
        unit: 'µs',
        baseline: { name: 'authorize p50', value: us(s, 'warden') },
        note: 'partial evaluation per listed tool; cached per principal, roles, tool and context',
      },
    );
  }
  rows.push({
    name: 'authorize p50, 500 vs 10 policies',
    value: us(big, 'warden') / us(small, 'warden'),
    unit: 'x',
    target: '<= 1.5x (partitioning keeps cost flat)',
    met: us(big, 'warden') <= 1.5 * us(small, 'warden'),
  });
  return rows;
}
