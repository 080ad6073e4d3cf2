export type { Launcher, LaunchSpec, LaunchedProcess, ExitStatus } from './launcher.ts';
export { PlainLauncher } from './plain-launcher.ts';
export { SandboxError } from './errors.ts';
export type { SandboxErrorCode } from './errors.ts';
export {
  BwrapLauncher,
  assertBwrapAvailable,
  drainWarmSlots,
  warmSlotDirs,
  INSTALL_HINT,
} from './bwrap-launcher.ts';
export type { BwrapLauncherOptions, HostFacts, LaunchEgressEvent } from './bwrap-launcher.ts';
export type { SandboxedProcess } from './sandbox-instance.ts';
export { buildBwrapArgv, INSIDE, BASE_FLAGS, RELAY_INIT } from './bwrap-argv.ts';
export type { BwrapPlan, SystemEntry, EgressMount } from './bwrap-argv.ts';
export { probeHostLayout, SYSTEM_CANDIDATES } from './host-layout.ts';
export {
  makeProfile,
  mergeProfile,
  DEFAULT_PROFILE,
  DEFAULT_SANDBOX_UID,
  WORKSPACE_TARGET,
} from './profile.ts';
export type {
  SandboxProfile,
  WorkspaceSpec,
  WorkspaceMode,
  SandboxLimits,
  EgressSpec,
  CgroupRequirement,
  SandboxOverrides,
} from './profile.ts';
export { nodePackagePaths, effectiveProfile, insideCwd } from './launch-plan.ts';
export { sandboxEnv } from './sandbox-env.ts';
export { buildSeccompFilter, decodeSeccompFilter, seccompProgram, hostSeccompArch } from './seccomp/bpf.ts';
export type { Insn } from './seccomp/bpf.ts';
export type { SeccompArch } from './seccomp/syscalls.ts';
export { detectCgroups } from './cgroups.ts';
export type { CgroupSupport, CgroupLimits, Controller } from './cgroups.ts';
export { cgroupKey, createSandboxCgroup, sweepStaleCgroups } from './sandbox-cgroup.ts';
export type { SandboxCgroup } from './sandbox-cgroup.ts';
export { startEgressProxy } from './egress/proxy.ts';
export type { EgressEvent, EgressProxy, EgressProxyOptions } from './egress/proxy.ts';
export type {
  EgressHttpRequest,
  EgressRewrite,
  EgressRewriteResult,
  ResponseScrubber,
} from './egress/proxy.ts';
export { createSandboxCa, systemTrustPem } from './egress/sandbox-ca.ts';
export type { SandboxCa } from './egress/sandbox-ca.ts';
export { INSIDE_CA, INSIDE_CA_BUNDLE } from './sandbox-env.ts';
export {
  parseEgressRule,
  compileEgressRules,
  canonicalHost,
  matchHost,
  portAllowed,
} from './egress/host-rules.ts';
export type { EgressRule, HostCheck } from './egress/host-rules.ts';
export { blockedAddressReason } from './egress/ip-policy.ts';
export { decide, systemResolver } from './egress/decide.ts';
export type { Resolver, Verdict } from './egress/decide.ts';
export { selfTest, assertSelfTest } from './self-test.ts';
export type { SelfTestReport, ControlResult } from './self-test.ts';
export { runToEnd } from './probe-run.ts';
export type { ProbeResult } from './probe-run.ts';
export { runSandboxed, payloadPid, FORWARDED_SIGNALS } from './run.ts';
export type { RunOptions, RunResult } from './run.ts';
export { existingProtected, quarantineCreated } from './protected-paths.ts';
export type { QuarantineEvent } from './protected-paths.ts';
export { DEFAULT_PROTECTED_PATHS } from './profile.ts';
export { sandboxSettingsSchema } from './schema.ts';
export type { SandboxSettingsInput } from './schema.ts';
export { resolveSandboxSettings } from './settings.ts';
export type { SettingsIssue, SettingsResult, ResolveSettingsOptions } from './settings.ts';
