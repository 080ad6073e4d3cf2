import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PolicyEngine, PolicyError, wardenSchemaText } from '../../../src/policy/index.ts';

const TEMPLATES = join(import.meta.dirname, '../../../templates/policies');

function loadError(files: Record<string, string>): PolicyError {
  try {
    PolicyEngine.fromText(files);
  } catch (e) {
    assert.ok(e instanceof PolicyError, String(e));
    return e;
  }
  assert.fail('expected a PolicyError');
}

describe('policy loading and validation', () => {
  it('rejects a syntax error, naming the file, line, column and Cedar diagnostic', () => {
    const e = loadError({
      'ok.cedar': 'permit (principal, action, resource);\n',
      'bad.cedar':
        '// a comment; with a semicolon\npermit (principal, action, resource);\n\npermit (principal, action, resource)\n  when { context.now = 1 };\n',
    });
    assert.equal(e.code, 'ERR_POLICY_INVALID');
    assert.match(e.message, /bad\.cedar:5:10: .*'=' is not a valid operator/);
    assert.doesNotMatch(e.message, /ok\.cedar/);
  });

  it('reports positions correctly after non-ASCII text (Cedar counts bytes)', () => {
    const e = loadError({
      'u.cedar': '// héllo wörld\npermit (principal, action, resource) when { résumé };',
    });
    // The lexer stops at the é (column 46); counted in bytes it would be 48.
    assert.match(e.message, /u\.cedar:2:46: /);
  });

  it('rejects a policy that does not validate against the schema (unknown attribute)', () => {
    const e = loadError({
      'v.cedar':
        '\n\n@id("typo")\npermit (principal, action == Warden::Action::"call_tool", resource)\nwhen { resource.nmae == "x" };',
    });
    assert.equal(e.code, 'ERR_POLICY_INVALID');
    assert.match(e.message, /v\.cedar:5:8: .*attribute `nmae`/);
  });

  it('rejects wrong types, unknown entity types and unknown actions', () => {
    assert.match(
      loadError({ 'a.cedar': 'permit (principal, action, resource) when { context.now == "x" };' }).message,
      /a\.cedar:1:/,
    );
    assert.match(
      loadError({ 'b.cedar': 'permit (principal in Warden::Group::"x", action, resource);' }).message,
      /b\.cedar:1:/,
    );
    assert.match(
      loadError({ 'c.cedar': 'permit (principal, action == Warden::Action::"delete_everything", resource);' })
        .message,
      /c\.cedar:1:/,
    );
  });

  it('accepts open-ended argument and grant access (twin of the above)', () => {
    const engine = PolicyEngine.fromText({
      'a.cedar': `permit (principal, action == Warden::Action::"call_tool", resource)
        when { context.args has path && context.args.path like "/workspace/*" && context.args.n.m > 3 };
        permit (principal, action, resource) when { context has grant && context.grant.scopes.contains("x") };`,
    });
    assert.equal(engine.policies.length, 2);
  });

  it('still type-checks the rest of a policy that accesses context.args', () => {
    const e = loadError({
      'a.cedar':
        'permit (principal, action, resource) when { context.args.path like "/x/*" && resource.nmae == "y" };',
    });
    assert.match(e.message, /attribute `nmae`/);
    assert.doesNotMatch(e.message, /args/);
  });

  it('type-checks what follows a `context.args has` guard (second validation pass)', () => {
    const e = loadError({
      'a.cedar':
        '\n@id("g") permit (principal, action, resource) when { context.args has path && resource.nmae == "y" };',
    });
    assert.match(e.message, /a\.cedar:2:1: attribute `nmae` on entity type `Warden::Tool` not found/);
    const g = loadError({
      'g.cedar':
        'permit (principal, action, resource) when { context has grant && context.grant has tools && context.grant.tools.contains(resource.name) };',
    });
    assert.match(g.message, /attribute `name` on entity type `Warden::Resource` not found/);
  });

  it('accepts guarded argument access with correct types (twin)', () => {
    const engine = PolicyEngine.fromText({
      'a.cedar': `permit (principal, action == Warden::Action::"call_tool", resource)
        when { context.args has path && context.args.path like "/w/*" && resource.name == "y" && context.args.a.b has c && context.args.a.b.c > 1 };`,
    });
    assert.equal(engine.policies.length, 1);
  });

  it('rejects duplicate and malformed @id annotations', () => {
    const dup = loadError({
      'a.cedar': '@id("same") permit (principal, action, resource);',
      'b.cedar': '\n@id("same") permit (principal, action, resource);',
    });
    assert.match(dup.message, /b\.cedar:2:1: duplicate policy id "same" \(first at a\.cedar:1:1\)/);
    assert.match(
      loadError({ 'a.cedar': '@id("has space") permit (principal, action, resource);' }).message,
      /@id must match/,
    );
  });

  it('rejects templates (slots) in the policy set', () => {
    assert.equal(
      loadError({ 'a.cedar': 'permit (principal == ?principal, action, resource);' }).code,
      'ERR_POLICY_INVALID',
    );
  });

  it('reports a missing directory as ERR_POLICY_IO', async () => {
    await assert.rejects(
      PolicyEngine.load('/nonexistent/warden-policies'),
      (e: unknown) => e instanceof PolicyError && e.code === 'ERR_POLICY_IO',
    );
  });

  it('has a version that ignores comments and layout but changes with meaning', () => {
    const a = PolicyEngine.fromText({ 'a.cedar': '@id("p") permit (principal, action, resource);' });
    const b = PolicyEngine.fromText({
      'a.cedar': '// note\n@id("p")\npermit (\n  principal,\n  action,\n  resource\n);',
    });
    const c = PolicyEngine.fromText({ 'a.cedar': '@id("p") forbid (principal, action, resource);' });
    assert.match(a.version, /^sha256:[0-9a-f]{64}$/);
    assert.equal(a.version, b.version);
    assert.notEqual(a.version, c.version);
  });

  it('loads the starter templates that `warden init` copies: nothing is permitted until you write a policy', async () => {
    const engine = await PolicyEngine.load(TEMPLATES);
    assert.deepEqual(
      engine.policies.map((p) => p.id),
      [],
    );
  });

  it('loads the demo policy that `warden init --demo` adds', async () => {
    const engine = await PolicyEngine.load(join(TEMPLATES, '..', 'demo', 'policies'));
    assert.deepEqual(engine.policies.map((p) => p.id).sort(), ['demo-filesystem-read', 'demo-memory']);
  });

  it('every commented example in examples.cedar validates once uncommented', () => {
    const text = readFileSync(join(TEMPLATES, 'examples.cedar'), 'utf8');
    const out: string[] = [];
    let inPolicy = false;
    for (const line of text.split('\n')) {
      if (line.startsWith('// @id(')) inPolicy = true;
      if (inPolicy) {
        out.push(line.replace(/^\/\/ ?/, ''));
        if (line.trimEnd().endsWith(';')) inPolicy = false;
      }
    }
    const engine = PolicyEngine.fromText({ 'examples.cedar': out.join('\n') });
    assert.ok(engine.policies.length >= 9, String(engine.policies.length));
  });

  it('prints the generated schema in Cedar syntax', () => {
    const text = wardenSchemaText();
    assert.match(text, /namespace Warden/);
    assert.match(text, /entity Tool in \[Server\]/);
    assert.match(text, /action "call_tool"/);
  });
});
