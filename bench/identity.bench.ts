/**
 * Identity hot paths, interleaved with same-run baselines on one SQLite store:
 * - access-token verification through the authenticator (header checks, ES256 signature,
 *   claim profile, revocation and agent lookups) vs jose's bare jwtVerify on the same token
 *   and key (the signature floor) and a bare SHA-256 of the token;
 * - API-key authentication (cached digest) on the same axis;
 * - token exchange (verify parent, derive, record lineage, sign) vs bare jose sign+verify.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, jwtVerify } from 'jose';
import { openSqlite } from '../src/store/index.ts';
import { createIdentity, parseGrant } from '../src/identity/index.ts';
import type { BenchContext, BenchRow } from './lib.ts';
import { interleave, percentile } from './lib.ts';

export default async function identityBench(ctx: BenchContext): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-identity-'));
  const store = openSqlite(join(dir, 'w.db'));
  try {
    const id = await createIdentity(store, {
      issuer: 'http://127.0.0.1:7420',
      resource: 'http://127.0.0.1:7420/mcp',
      kek: randomBytes(32),
      allowApiKeys: true,
    });
    const orch = await id.registry.create({ name: 'orch', roles: ['dev'] });
    const helper = await id.registry.create({ name: 'helper' });
    const grant = parseGrant({
      id: 'gbench',
      tools: { fs: ['read_*', 'list_directory'], web: ['fetch'] },
      args: { 'fs.read_file': { path: { kind: 'path', globs: ['/workspace/**'] } } },
      expiresAt: Date.now() + 3_600_000,
    });
    const root = await id.tokens.issue({ agentId: orch.agent.id, grant, task: 'bench', ttlSec: 900 });
    const delegated = await id.tokens.exchange({ subjectToken: root.token, actorAgentId: helper.agent.id });
    const { key: signKey } = await id.keys.signer();
    const verifyKey = (await id.keys.verifier((await id.keys.list())[0]!.kid))!;
    const header = `Bearer ${root.token}`;
    const n = ctx.quick ? 300 : 3000;
    ctx.log(`minting ${n + 60} distinct tokens for first-presentation timing`);
    const fresh: string[] = [];
    for (let i = 0; i < n + 60; i++)
      fresh.push((await id.tokens.issue({ agentId: orch.agent.id, grant, ttlSec: 900 })).token);
    let next = 0;
    ctx.log(`verification, ${n} rounds interleaved`);
    const v = await interleave(n, {
      sha256: () => Promise.resolve(createHash('sha256').update(root.token).digest()),
      joseVerify: () => jwtVerify(root.token, verifyKey, { algorithms: ['ES256'] }),
      authenticate: () => id.authenticator.authenticate(header),
      firstPresentation: () => id.authenticator.authenticate(`Bearer ${fresh[next++]!}`),
      authenticateDelegated: () => id.authenticator.authenticate(`Bearer ${delegated.token}`),
      apiKey: () => id.authenticator.authenticate(`Bearer ${orch.credential.token}`),
    });
    const m = ctx.quick ? 100 : 600;
    ctx.log(`token exchange, ${m} rounds interleaved`);
    const x = await interleave(
      m,
      {
        joseSignVerify: async () => {
          const t = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'ES256' }).sign(signKey);
          await jwtVerify(t, verifyKey);
        },
        exchange: () =>
          id.tokens.exchange({ subjectToken: root.token, actorAgentId: helper.agent.id, ttlSec: 60 }),
      },
      20,
    );
    const p = (s: number[], q: number) => percentile(s, q);
    const auth50 = p(v.authenticate!, 50);
    return [
      {
        name: 'access-token authenticate p50 (repeat presentation)',
        value: auth50,
        unit: 'ms',
        baseline: { name: 'jose jwtVerify p50', value: p(v.joseVerify!, 50) },
        target: '<= 0.3 ms p50 added to a call',
        met: auth50 <= 0.3,
      },
      {
        name: 'first presentation of a token p50',
        value: p(v.firstPresentation!, 50),
        unit: 'ms',
        baseline: { name: 'jose jwtVerify p50', value: p(v.joseVerify!, 50) },
        target: '<= 0.3 ms p50',
        met: p(v.firstPresentation!, 50) <= 0.3,
      },
      {
        name: 'first presentation of a token p99',
        value: p(v.firstPresentation!, 99),
        unit: 'ms',
        baseline: { name: 'jose jwtVerify p99', value: p(v.joseVerify!, 99) },
      },
      {
        name: 'access-token authenticate p99',
        value: p(v.authenticate!, 99),
        unit: 'ms',
        baseline: { name: 'jose jwtVerify p99', value: p(v.joseVerify!, 99) },
      },
      {
        name: 'delegated token authenticate p50',
        value: p(v.authenticateDelegated!, 50),
        unit: 'ms',
        baseline: { name: 'jose jwtVerify p50', value: p(v.joseVerify!, 50) },
      },
      {
        name: 'delegated token authenticate p99',
        value: p(v.authenticateDelegated!, 99),
        unit: 'ms',
        baseline: { name: 'jose jwtVerify p99', value: p(v.joseVerify!, 99) },
      },
      {
        name: 'API key authenticate p50',
        value: p(v.apiKey!, 50),
        unit: 'ms',
        baseline: { name: 'sha256(token) p50', value: p(v.sha256!, 50) },
      },
      {
        name: 'token exchange p50',
        value: p(x.exchange!, 50),
        unit: 'ms',
        baseline: { name: 'jose sign+verify p50', value: p(x.joseSignVerify!, 50) },
      },
      {
        name: 'token exchange p99',
        value: p(x.exchange!, 99),
        unit: 'ms',
        baseline: { name: 'jose sign+verify p99', value: p(x.joseSignVerify!, 99) },
      },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
