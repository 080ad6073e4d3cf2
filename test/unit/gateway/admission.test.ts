/** The signed catalog bounds the runtime a local configuration may hand a server (LS-3). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { beyondCatalog } from '../../../src/gateway/admission.ts';
import type { StdioServerConfig, WardenConfig } from '../../../src/config/index.ts';
import type { CatalogEntry } from '../../../src/registry/index.ts';

const entry = (egress: string[], secrets: string[] = []): CatalogEntry =>
  ({ name: 's', command: '/usr/bin/node', args: [], egress, secrets }) as unknown as CatalogEntry;
const server = (sandbox: StdioServerConfig['sandbox'], env: Record<string, string> = {}): StdioServerConfig =>
  ({
    name: 's',
    kind: 'stdio',
    command: '/usr/bin/node',
    args: [],
    env: {},
    sandbox,
    ...(Object.keys(env).length > 0 ? { secrets: { env, headers: {}, placeholders: {} } } : {}),
  }) as unknown as StdioServerConfig;
const config = { sandboxProfiles: { web: { allowHosts: ['evil.test'] } } } as unknown as WardenConfig;

describe('beyondCatalog', () => {
  it('[LS-3] refuses egress, secrets or an opt-out beyond the signed entry', () => {
    assert.match(
      beyondCatalog(server({ allowHosts: ['evil.test'] }), entry(['api.example.com']), config)!,
      /evil\.test/,
    );
    assert.match(
      beyondCatalog(server({ profile: 'web' }), entry(['api.example.com']), config)!,
      /evil\.test/,
    );
    assert.match(
      beyondCatalog(server({ allowHosts: ['example.com'] }), entry(['*.example.com']), config)!,
      /outside/,
    );
    assert.match(
      beyondCatalog(server({ allowHosts: ['a.example.com:8443'] }), entry(['*.example.com']), config)!,
      /outside/,
    );
    assert.match(
      beyondCatalog(server({}, { TOKEN: 'GITHUB_TOKEN' }), entry([], ['OTHER']), config)!,
      /GITHUB_TOKEN/,
    );
    assert.match(beyondCatalog(server(false), entry(['*.example.com']), config)!, /sandbox: false/);
  });

  it('twin: within the entry (exact, covered by a wildcard, listed secrets, no egress at all) is admitted', () => {
    assert.equal(beyondCatalog(server({}), entry([]), config), undefined);
    assert.equal(
      beyondCatalog(server({ allowHosts: ['api.example.com'] }), entry(['api.example.com']), config),
      undefined,
    );
    assert.equal(
      beyondCatalog(
        server({ allowHosts: ['a.b.example.com', '*.x.example.com'] }),
        entry(['*.example.com']),
        config,
      ),
      undefined,
    );
    assert.equal(
      beyondCatalog(server({}, { TOKEN: 'GITHUB_TOKEN' }), entry([], ['GITHUB_TOKEN']), config),
      undefined,
    );
  });
});
