import type { Command } from 'commander';
import { AppError } from '../../core/index.ts';
import { traceIdFor } from '../../gateway/index.ts';
import { buildTimeline, renderTimeline } from '../../monitor/index.ts';
import { withAudit } from '../context.ts';
import { print } from '../output.ts';
import type { GlobalOptions } from '../output.ts';

class CliError extends AppError<'ERR_NOT_FOUND'> {}

/** Most records one trace prints. */
const MAX_RECORDS = 10_000;

/**
 * `warden trace TASK|SESSION`: the decision chain of a task or an MCP session from the audit
 * log, as a timeline (who, what, arguments as recorded, which policy decided, outcome,
 * duration, alerts nested under the call they are about); `--json` for machines.
 */
export function register(program: Command): void {
  program
    .command('trace <id>')
    .description('show the decision chain of a task or session (a task id, an MCP session id or a trace id)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<GlobalOptions>();
      if (id.length > 512 || !/^[\x21-\x7e]+$/.test(id))
        cmd.error('error: ID is a task id, a session id or a 32-digit trace id (printable ASCII)', {
          exitCode: 2,
          code: 'commander.invalidArgument',
        });
      await withAudit(opts, async (a) => {
        const traceIds = [traceIdFor('task', id), traceIdFor('session', id)];
        if (/^[0-9a-f]{32}$/.test(id)) traceIds.push(id);
        const records = await a.find({ traceIds, session: id, limit: MAX_RECORDS });
        if (records.length === 0)
          throw new CliError('ERR_NOT_FOUND', `no audit records for task or session ${JSON.stringify(id)}`);
        const timeline = buildTimeline(records);
        print(opts, { id, records: records.length, timeline }, () => renderTimeline(timeline).trimEnd());
      });
    });
}
