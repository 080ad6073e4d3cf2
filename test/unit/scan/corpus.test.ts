import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scanTool } from '../../../src/scan/index.ts';
import { loadCorpus } from '../../fixtures/corpus/load.ts';

const corpus = loadCorpus();

describe('labelled corpus', () => {
  it('has real npm server tools, public-example malicious tools, and a held-out split', () => {
    assert.ok(corpus.filter((e) => e.file.startsWith('real-servers/')).length >= 30);
    assert.ok(corpus.filter((e) => e.label === 'malicious').length >= 50);
    assert.ok(corpus.filter((e) => e.label === 'benign').length >= 100);
    assert.ok(corpus.filter((e) => e.split === 'holdout').length >= 30);
  });

  it('[TP-1][TP-2] every tool of the real npm MCP servers comes out clean', () => {
    const notClean = corpus
      .filter((e) => e.file.startsWith('real-servers/'))
      .map((e) => scanTool(e.tool))
      .filter((r) => r.verdict !== 'clean')
      .map((r) => `${r.name}: ${r.findings.map((f) => f.ruleId).join(',')}`);
    assert.deepEqual(notClean, []);
  });

  it('[TP-1][TP-2][TP-3] flags every malicious corpus tool and no benign one', () => {
    const wrong = corpus
      .map((e) => ({ e, r: scanTool(e.tool) }))
      .filter(({ e, r }) => (e.label === 'malicious') !== (r.verdict !== 'clean'))
      .map(({ e, r }) => `${e.file} ${r.name}: ${e.label} → ${r.verdict}`);
    assert.deepEqual(wrong, []);
  });
});
