import type { Command } from 'commander';
import { formatInspect, inspectContent } from '../../monitor/index.ts';
import { EXIT, print } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

/** Most stdin `warden inspect` reads (content beyond it is refused, not silently skipped). */
const MAX_INPUT = 16 * 1024 * 1024;

/**
 * `warden inspect`: the prompt-injection detector as a command. Reads content from stdin and
 * reports a verdict (clean, suspicious, malicious) with findings and spans; exits 0 for clean
 * and 1 otherwise (2 stays reserved for usage errors, as in every warden command), so pipelines
 * can gate on it; the verdict itself is in the output (`--json` for machines).
 */
export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      'check content from stdin for prompt injection; exit 0 when clean, 1 when suspicious or malicious',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        size += (chunk as Buffer).length;
        if (size > MAX_INPUT) {
          process.stderr.write(`warden inspect: input larger than ${MAX_INPUT} bytes; split it\n`);
          process.exitCode = EXIT.FAIL;
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const result = inspectContent(Buffer.concat(chunks).toString('utf8'));
      print(opts, result, () => formatInspect(result));
      process.exitCode = result.verdict === 'clean' ? EXIT.OK : EXIT.FAIL;
    });
}
