export type { Launcher, LaunchSpec, LaunchedProcess, ExitStatus } from './launcher.ts';
export { PlainLauncher } from './plain-launcher.ts';
export { SandboxError } from './errors.ts';
export type { SandboxErrorCode } from './errors.ts';
