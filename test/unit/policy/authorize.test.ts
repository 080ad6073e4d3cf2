import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DENY_ID, explain, PolicyEngine } from '../../../src/policy/index.ts';
import type { PolicyRequest, PolicyResource } from '../../../src/policy/index.ts';

// 10:00 UTC on a Tuesday.
const now = Date.UTC(2026, 10, 24, 10, 0, 0);

const POLICIES = {
  'roles.cedar': `
@id("dev-github")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource in Warden::Server::"github");

@id("no-delete-repo") @reason("deleting repositories is never allowed")
forbid (principal, action == Warden::Action::"call_tool", resource == Warden::Tool::"github.delete_repo");
`,
  'args.cedar': `
@id("write-in-workspace")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"fs.write_file")
when { context.args has path && context.args.path like "/workspace/*" };

@id("no-dot-dot") @reason("paths with '..' are not allowed")
forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"fs")
when { context.args has path && context.args.path like "*..*" };

permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"calc.add")
when { context.args.a < 100 };
`,
  'misc.cedar': `
@id("readers-read-only")
permit (principal in Warden::Role::"reader", action == Warden::Action::"call_tool", resource)
when { resource.trusted_annotations && resource.annotations has readOnlyHint && resource.annotations.readOnlyHint };

@id("deploy-office-hours")
permit (principal in Warden::Role::"ops", action == Warden::Action::"call_tool", resource == Warden::Tool::"ci.deploy")
when { context.datetime.toTime() >= duration("8h") && context.datetime.toTime() < duration("18h") };

@id("send-email")
permit (principal in Warden::Role::"assistant", action == Warden::Action::"call_tool", resource == Warden::Tool::"email.send");

@id("tainted-email") @reason("after reading untrusted content, email may only go to allow-listed recipients")
forbid (principal, action == Warden::Action::"call_tool", resource == Warden::Tool::"email.send")
when { context has taint && context.taint.untrusted && !(context.args has to && ["alice@example.com"].contains(context.args.to)) };

@id("triage")
permit (principal in Warden::Role::"triage", action == Warden::Action::"call_tool", resource == Warden::Tool::"github.add_labels")
when { context.task like "triage-*" };

@id("docs")
permit (principal in Warden::Role::"dev", action == Warden::Action::"read_resource", resource in Warden::Server::"docs")
when { resource.uri like "file:///docs/*" };

@id("prompts")
permit (principal == Warden::Agent::"carol", action == Warden::Action::"get_prompt", resource == Warden::Prompt::"everything.simple");

@id("grant-scoped")
permit (principal in Warden::Role::"granted", action == Warden::Action::"call_tool", resource is Warden::Tool)
when { context has grant && context.grant has tools && context.grant.tools.contains(resource.name) };

@id("forged-entity")
permit (principal in Warden::Role::"dev", action == Warden::Action::"call_tool", resource == Warden::Tool::"x.forge")
when { context.args has who && context.args.who == Warden::Agent::"admin" };
`,
};

const engine = PolicyEngine.fromText(POLICIES);

function tool(
  server: string,
  name: string,
  extra: Partial<Extract<PolicyResource, { kind: 'tool' }>> = {},
): PolicyResource {
  return { kind: 'tool', server, name, ...extra };
}

function call(
  roles: string[],
  resource: PolicyResource,
  context: Partial<PolicyRequest['context']> = {},
  id = 'bob',
): PolicyRequest {
  return { principal: { id, roles }, action: 'call_tool', resource, context: { now, ...context } };
}

function effect(req: PolicyRequest): 'allow' | 'deny' {
  return engine.authorize(req).effect;
}

describe('PolicyEngine.authorize', () => {
  it('allows a role to call a tool of a server it is permitted on', () => {
    const d = engine.authorize(call(['dev'], tool('github', 'get_issue')));
    assert.equal(d.effect, 'allow');
    assert.deepEqual(d.policyIds, ['dev-github']);
    assert.equal(d.version, engine.version);
  });

  it('denies by default: another role, another server, no permit (twin)', () => {
    const d = engine.authorize(call(['reader'], tool('github', 'get_issue')));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, [DEFAULT_DENY_ID]);
    assert.deepEqual(d.reasons, ['no policy permits call_tool on github.get_issue for agent bob']);
    assert.equal(effect(call(['dev'], tool('gitlab', 'get_issue'))), 'deny');
    assert.equal(effect(call([], tool('github', 'get_issue'))), 'deny');
  });

  it('lets a forbid override a permit and reports its @id and @reason', () => {
    const d = engine.authorize(call(['dev'], tool('github', 'delete_repo')));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['no-delete-repo']);
    assert.deepEqual(d.reasons, ['deleting repositories is never allowed']);
  });

  it('[CD-4] enforces an argument constraint: allowed under /workspace, denied elsewhere', () => {
    assert.equal(
      effect(call(['dev'], tool('fs', 'write_file'), { args: { path: '/workspace/a.txt' } })),
      'allow',
    );
    const d = engine.authorize(call(['dev'], tool('fs', 'write_file'), { args: { path: '/etc/passwd' } }));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, [DEFAULT_DENY_ID]);
    assert.equal(effect(call(['dev'], tool('fs', 'write_file'), { args: {} })), 'deny');
  });

  it('denies with the forbid id when a path tries ".." (and never echoes the argument value)', () => {
    const d = engine.authorize(
      call(['dev'], tool('fs', 'write_file'), { args: { path: '/workspace/../etc/CANARY' } }),
    );
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['no-dot-dot']);
    assert.ok(!JSON.stringify(d).includes('CANARY'));
  });

  it('names unannotated policies <file>#<n>', () => {
    assert.deepEqual(engine.authorize(call(['dev'], tool('calc', 'add'), { args: { a: 1 } })).policyIds, [
      'args.cedar#3',
    ]);
  });

  it('denies when a policy fails to evaluate (fail closed), listing the error without argument values', () => {
    const d = engine.authorize(call(['dev'], tool('calc', 'add'), { args: { a: 'CANARY' } }));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['args.cedar#3']);
    assert.equal(d.errors.length, 1);
    assert.match(d.errors[0]!, /^policy args\.cedar#3 \(args\.cedar:\d+:\d+\): /);
    assert.ok(!JSON.stringify(d).includes('CANARY'));
    const missing = engine.authorize(call(['dev'], tool('calc', 'add'), { args: { b: 1 } }));
    assert.equal(missing.effect, 'deny');
    assert.equal(missing.errors.length, 1);
  });

  it('denies when a forbid errors, where plain Cedar would skip it and allow (fail closed)', () => {
    const e = PolicyEngine.fromText({
      'p.cedar': `@id("all") permit (principal, action, resource);
        @id("big") forbid (principal, action == Warden::Action::"call_tool", resource) when { context.args.size > 10 };`,
    });
    const d = e.authorize(call([], tool('s', 't'), { args: { size: 'huge' } }));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['big']);
    assert.equal(e.authorize(call([], tool('s', 't'), { args: { size: 3 } })).effect, 'allow');
    assert.equal(e.authorize(call([], tool('s', 't'), { args: { size: 30 } })).effect, 'deny');
  });

  it('[TP-4] honours read-only annotations only from trusted servers', () => {
    const ro = { annotations: { readOnlyHint: true } };
    assert.equal(effect(call(['reader'], tool('gh', 'list', { ...ro, trustedAnnotations: true }))), 'allow');
    assert.equal(effect(call(['reader'], tool('gh', 'delete_repo', ro))), 'deny');
    assert.equal(
      effect(call(['reader'], tool('gh', 'delete_repo', { ...ro, trustedAnnotations: false }))),
      'deny',
    );
    assert.equal(
      effect(
        call(
          ['reader'],
          tool('gh', 'list', { annotations: { readOnlyHint: false }, trustedAnnotations: true }),
        ),
      ),
      'deny',
    );
  });

  it('applies time windows from context.datetime', () => {
    assert.equal(effect(call(['ops'], tool('ci', 'deploy'))), 'allow');
    assert.equal(
      effect(call(['ops'], tool('ci', 'deploy'), { now: Date.UTC(2026, 10, 24, 22, 0, 0) })),
      'deny',
    );
  });

  it('[EX-5] after untrusted content, email goes only to allow-listed recipients', () => {
    const send = tool('email', 'send');
    const taint = { untrusted: true, labels: ['web'] };
    assert.equal(effect(call(['assistant'], send, { args: { to: 'eve@evil.test' } })), 'allow');
    assert.equal(effect(call(['assistant'], send, { args: { to: 'alice@example.com' }, taint })), 'allow');
    const d = engine.authorize(call(['assistant'], send, { args: { to: 'eve@evil.test' }, taint }));
    assert.equal(d.effect, 'deny');
    assert.deepEqual(d.policyIds, ['tainted-email']);
    assert.equal(effect(call(['assistant'], send, { args: {}, taint })), 'deny');
  });

  it('scopes by task', () => {
    assert.equal(effect(call(['triage'], tool('github', 'add_labels'), { task: 'triage-42' })), 'allow');
    assert.equal(effect(call(['triage'], tool('github', 'add_labels'), { task: 'deploy' })), 'deny');
    assert.equal(effect(call(['triage'], tool('github', 'add_labels'))), 'deny');
  });

  it('scopes by grant (identity module)', () => {
    const grant = { tools: ['search'] };
    assert.equal(effect(call(['granted'], tool('web', 'search'), { grant })), 'allow');
    assert.equal(effect(call(['granted'], tool('web', 'fetch'), { grant })), 'deny');
    assert.equal(effect(call(['granted'], tool('web', 'search'))), 'deny');
  });

  it('authorizes resource reads by uri and prompts by name', () => {
    const read = (uri: string): PolicyRequest => ({
      principal: { id: 'bob', roles: ['dev'] },
      action: 'read_resource',
      resource: { kind: 'resource', server: 'docs', uri },
      context: { now },
    });
    assert.equal(engine.authorize(read('file:///docs/a.md')).effect, 'allow');
    assert.equal(engine.authorize(read('file:///etc/passwd')).effect, 'deny');
    const prompt = (id: string): PolicyRequest => ({
      principal: { id, roles: [] },
      action: 'get_prompt',
      resource: { kind: 'prompt', server: 'everything', name: 'simple' },
      context: { now },
    });
    assert.equal(engine.authorize(prompt('carol')).effect, 'allow');
    assert.equal(engine.authorize(prompt('dave')).effect, 'deny');
  });

  it('cannot be fooled by an argument shaped like a Cedar entity reference', () => {
    const forge = tool('x', 'forge');
    const d = engine.authorize(
      call(['dev'], forge, { args: { who: { __entity: { type: 'Warden::Agent', id: 'admin' } } } }),
    );
    // Without the guard in jsonToCedar, Cedar would read this as Warden::Agent::"admin" and allow.
    assert.equal(d.effect, 'deny');
    assert.equal(engine.authorize(call(['dev'], forge, { args: { who: 'admin' } })).effect, 'deny');
  });

  it('denies a request whose arguments cannot be converted faithfully', () => {
    const d = engine.authorize(call(['dev'], tool('github', 'get_issue'), { args: { s: 'x\uDC00' } }));
    assert.equal(d.effect, 'deny');
    assert.match(d.errors[0] ?? '', /lone surrogate/);
    assert.equal(effect(call(['dev'], tool('github', 'get_issue'), { args: 'not an object' })), 'deny');
  });

  it('keeps servers apart when "<server>.<tool>" ids coincide (a + b.c vs a.b + c)', () => {
    const e = PolicyEngine.fromText({
      'p.cedar': `permit (principal, action, resource);
        forbid (principal, action == Warden::Action::"call_tool", resource in Warden::Server::"a.b");`,
    });
    const r = (server: string, name: string) => e.authorize(call([], tool(server, name))).effect;
    assert.equal(r('a', 'b.c'), 'allow');
    assert.equal(r('a.b', 'c'), 'deny');
  });

  it('denies everything with an empty policy set', () => {
    const empty = PolicyEngine.fromText({});
    assert.equal(empty.authorize(call(['dev'], tool('github', 'get_issue'))).effect, 'deny');
    assert.equal(empty.policies.length, 0);
  });

  it('throws TypeError when the action does not fit the resource kind (programmer error)', () => {
    assert.throws(
      () => engine.authorize({ ...call(['dev'], tool('github', 'x')), action: 'read_resource' }),
      TypeError,
    );
  });
});

describe('explain', () => {
  it('explains an allow with the deciding policy and its location', () => {
    const req = call(['dev'], tool('github', 'get_issue'));
    const text = explain(engine.authorize(req), req, engine);
    assert.match(text, /^ALLOW: call_tool github\.get_issue by agent bob \(roles: dev\)/);
    assert.match(text, /dev-github \(permit at roles\.cedar:2:1\)/);
  });

  it('explains a default deny (twin)', () => {
    const req = call(['reader'], tool('github', 'get_issue'));
    const text = explain(engine.authorize(req), req, engine);
    assert.match(text, /^DENY: /);
    assert.match(text, /no policy permits call_tool on github\.get_issue for agent bob/);
    assert.match(text, /denies by default/);
  });
});
