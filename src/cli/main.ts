#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { wardenVersion } from '../gateway/index.ts';
import { reportError, EXIT } from './output.ts';
import { register as init } from './commands/init.ts';
import { register as gateway } from './commands/gateway.ts';
import { register as agent } from './commands/agent.ts';
import { register as policy } from './commands/policy.ts';
import { register as audit } from './commands/audit.ts';
import { register as connect } from './commands/connect.ts';
import { register as doctor } from './commands/doctor.ts';
import { register as run } from './commands/run.ts';
import { register as inspect } from './commands/inspect.ts';
import { register as secret } from './commands/secret.ts';
import { register as redact } from './commands/redact.ts';
import { register as scan } from './commands/scan.ts';
import { register as pins } from './commands/pins.ts';
import { register as catalog } from './commands/catalog.ts';
import { register as alerts } from './commands/alerts.ts';
import { register as trace } from './commands/trace.ts';
import { register as token, registerKeys as keys } from './commands/token.ts';

/** Builds the `warden` program; exported for tests. */
export function buildProgram(): Command {
  const program = new Command('warden')
    .description(
      'Warden: the security layer around AI agents (MCP gateway, policy, audit, sandboxes, identities, secrets)',
    )
    .version(wardenVersion())
    .option('-c, --config <file>', 'the configuration file', 'warden.yaml')
    .option('--data-dir <dir>', 'override data_dir from the configuration')
    .option('--json', 'machine-readable output on stdout')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const r of [init, gateway, connect, run, doctor, agent, token, keys, policy, audit, inspect])
    r(program);
  for (const r of [secret, redact]) r(program);
  for (const r of [scan, pins, catalog]) r(program); // tool supply chain (issue 6)
  for (const r of [alerts, trace]) r(program); // monitoring (issue 7)
  for (const c of program.commands) c.exitOverride();
  return program;
}

async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    return reportError(e, argv.includes('--json'));
  }
}

process.exitCode = await main(process.argv);
