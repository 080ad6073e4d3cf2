/**
 * [DL-9] [DL-10] [DL-11] [CD-2] [DL-3] Every JWT attack vector is refused; each refusal has an
 * allowed twin built the same way (same key, same forging path) that is accepted.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { Identity } from '../../../src/identity/index.ts';
import { storeFixtures } from '../../helpers/stores.ts';
import { RESOURCE, forge, grant, rejectsWith, withIdentity } from './fixture.ts';

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64url');

async function setup(id: Identity) {
  const { agent } = await id.registry.create({ name: 'victim', roles: ['reader'] });
  const issued = await id.tokens.issue({
    agentId: agent.id,
    grant: grant({ fs: ['read_*'] }),
    task: 'task-1',
  });
  const { kid, key } = await id.keys.signer();
  const now = Math.floor(Date.now() / 1000);
  const claims = { ...issued.claims, iat: now, nbf: now, exp: now + 300, jti: 'tforged1' } as Record<
    string,
    unknown
  >;
  const header = { alg: 'ES256', typ: 'at+jwt', kid };
  const k = key;
  const ok = (t: string) => id.authenticator.authenticate(`Bearer ${t}`);
  return { agent, issued, kid, key: k, claims, header, now, ok };
}

for (const f of await storeFixtures()) {
  describe(`JWT attack vectors (${f.name})`, { skip: f.skip }, () => {
    it('accepts the genuine token and a forged-path twin signed with the real key', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        assert.equal((await s.ok(s.issued.token)).agentName, 'victim');
        assert.equal((await s.ok(await forge(s.key, s.header, s.claims))).credential.id, 'tforged1');
      });
    });

    it('[DL-9][DL-10] refuses alg none, with or without a signature, and an unsigned bearer', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        const h = b64(JSON.stringify({ ...s.header, alg: 'none' }));
        const p = b64(JSON.stringify(s.claims));
        await assert.rejects(s.ok(`${h}.${p}.`), rejectsWith('ERR_TOKEN_INVALID'));
        await assert.rejects(
          s.ok(`${h}.${p}.${s.issued.token.split('.')[2]}`),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        await assert.rejects(s.ok(`${h}.${p}`), rejectsWith('ERR_TOKEN_INVALID'));
      });
    });

    it('[DL-9] refuses HS256 and RS256 key confusion and a foreign ES256 key under our kid', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        const jwks = await id.keys.jwks();
        const pubJson = JSON.stringify(jwks.keys[0]);
        for (const secret of [pubJson, Buffer.from(String(jwks.keys[0]!.x), 'base64url')]) {
          const h = b64(JSON.stringify({ ...s.header, alg: 'HS256' }));
          const p = b64(JSON.stringify(s.claims));
          const mac = createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
          await assert.rejects(s.ok(`${h}.${p}.${mac}`), rejectsWith('ERR_TOKEN_INVALID'));
        }
        const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const h = b64(JSON.stringify({ ...s.header, alg: 'RS256' }));
        const p = b64(JSON.stringify(s.claims));
        const sig = nodeSign('sha256', Buffer.from(`${h}.${p}`), rsa.privateKey).toString('base64url');
        await assert.rejects(s.ok(`${h}.${p}.${sig}`), rejectsWith('ERR_TOKEN_INVALID'));
        const attacker = await generateKeyPair('ES256');
        await assert.rejects(
          s.ok(await forge(attacker.privateKey, s.header, s.claims)),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
      });
    });

    it('[DL-9] refuses a foreign, path-like or SQL-like kid', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        for (const kid of ['kAAAAAAAAAAAAAAAAAAAAAA', '../../dev/null', "' OR 1=1 --", '', 'k'.repeat(200)]) {
          await assert.rejects(
            s.ok(await forge(s.key, { ...s.header, kid }, s.claims)),
            rejectsWith('ERR_TOKEN_INVALID'),
            kid,
          );
        }
        const { kid: _kid, ...noKid } = s.header;
        await assert.rejects(s.ok(await forge(s.key, noKid, s.claims)), rejectsWith('ERR_TOKEN_INVALID'));
      });
    });

    it('[DL-9][SS-1] refuses jku, x5u, jwk, x5c and crit headers even with a valid signature', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        const attacker = await generateKeyPair('ES256');
        const extras: Record<string, unknown>[] = [
          { jku: 'http://169.254.169.254/keys' },
          { x5u: 'http://attacker.test/cert' },
          { jwk: await exportJWK(attacker.publicKey) },
          { x5c: ['MIIB'] },
          { crit: ['exp'] },
          { crit: ['x-unknown'], 'x-unknown': 1 },
          { b64: false, crit: ['b64'] },
        ];
        for (const extra of extras) {
          await assert.rejects(
            s.ok(await forge(s.key, { ...s.header, ...extra }, s.claims)),
            rejectsWith('ERR_TOKEN_INVALID'),
            Object.keys(extra)[0],
          );
        }
        const jwkSigned = await new SignJWT(s.claims)
          .setProtectedHeader({
            alg: 'ES256',
            typ: 'at+jwt',
            kid: s.kid,
            jwk: await exportJWK(attacker.publicKey),
          })
          .sign(attacker.privateKey);
        await assert.rejects(s.ok(jwkSigned), rejectsWith('ERR_TOKEN_INVALID'));
      });
    });

    it('[CD-2][DL-3] refuses a missing, wrong or multi-valued audience; accepts ours', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        const { aud: _aud, ...noAud } = s.claims;
        await assert.rejects(s.ok(await forge(s.key, s.header, noAud)), rejectsWith('ERR_TOKEN_INVALID'));
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, aud: 'https://other.example' })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, aud: [RESOURCE, 'https://other.example'] })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, aud: [RESOURCE] })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, iss: 'http://evil.test' })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        assert.ok(await s.ok(await forge(s.key, s.header, { ...s.claims, aud: RESOURCE })));
      });
    });

    it('[DL-9] refuses a missing exp, iat, nbf or jti, future nbf/iat and a lifetime beyond the cap', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        for (const claim of ['exp', 'iat', 'nbf', 'jti', 'sub']) {
          const c = { ...s.claims };
          delete c[claim];
          await assert.rejects(
            s.ok(await forge(s.key, s.header, c)),
            rejectsWith('ERR_TOKEN_INVALID'),
            claim,
          );
        }
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, nbf: s.now + 120 })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, iat: s.now + 120, nbf: s.now })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        assert.ok(
          await s.ok(await forge(s.key, s.header, { ...s.claims, nbf: s.now + 10 })),
          'nbf within leeway',
        );
        const cap = id.tokens.maxTtlSec;
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, exp: s.now + cap + 1 })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        assert.ok(
          await s.ok(await forge(s.key, s.header, { ...s.claims, exp: s.now + cap })),
          'exactly the cap',
        );
      });
    });

    it('[DL-9] refuses a wrong or missing typ, duplicate claim keys, unknown claims and r=s=0 signatures', async () => {
      await withIdentity(f, async (id) => {
        const s = await setup(id);
        for (const typ of ['JWT', 'jwt', 'at+JWT2', undefined]) {
          await assert.rejects(
            s.ok(await forge(s.key, { ...s.header, typ }, s.claims)),
            rejectsWith('ERR_TOKEN_INVALID'),
            String(typ),
          );
        }
        assert.ok(await s.ok(await forge(s.key, { ...s.header, typ: 'application/at+jwt' }, s.claims)));
        const json = JSON.stringify(s.claims);
        const dup = json.slice(0, -1) + `,"sub":"urn:warden:agent:agt_attacker"}`;
        await assert.rejects(s.ok(await forge(s.key, s.header, dup)), rejectsWith('ERR_TOKEN_INVALID'));
        const dupHeader = JSON.stringify(s.header).slice(0, -1) + ',"alg":"ES256"}';
        await assert.rejects(s.ok(await forge(s.key, dupHeader, s.claims)), rejectsWith('ERR_TOKEN_INVALID'));
        await assert.rejects(
          s.ok(await forge(s.key, s.header, { ...s.claims, admin: true })),
          rejectsWith('ERR_TOKEN_INVALID'),
        );
        const [h, p] = (await forge(s.key, s.header, s.claims)).split('.');
        await assert.rejects(s.ok(`${h}.${p}.${b64(new Uint8Array(64))}`), rejectsWith('ERR_TOKEN_INVALID'));
      });
    });

    it('[DL-11] honours at most the configured leeway: 61 s past exp is refused with leeway 60, 50 s is not', async () => {
      await withIdentity(
        f,
        async (id) => {
          const s = await setup(id);
          const past = (sec: number) => ({
            ...s.claims,
            iat: s.now - 300,
            nbf: s.now - 300,
            exp: s.now - sec,
          });
          await assert.rejects(
            s.ok(await forge(s.key, s.header, past(61))),
            rejectsWith('ERR_TOKEN_EXPIRED'),
          );
          assert.ok(await s.ok(await forge(s.key, s.header, past(50))));
        },
        { leewaySec: 60 },
      );
      await assert.rejects(
        withIdentity(f, () => Promise.resolve(), { leewaySec: 61 }),
        RangeError,
      );
    });

    it('[DL-10] no source file decodes a JWT without verifying it', () => {
      const offenders: string[] = [];
      const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          const p = join(dir, e.name);
          if (e.isDirectory()) walk(p);
          else if (p.endsWith('.ts') && /\bdecode(Jwt|ProtectedHeader)\b/.test(readFileSync(p, 'utf8')))
            offenders.push(p);
        }
      };
      walk('src');
      assert.deepEqual(offenders, []);
    });
  });
}
