import { spawnSync } from 'node:child_process';

export interface ShellResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * How to get a network namespace of our own, where `ipset` and `nft` can load real sets without
 * touching the host's firewall: an unprivileged user namespace (`unshare -rn`) where the kernel
 * allows one, else `unshare -n` as root. Undefined when neither works (a container without
 * CAP_SYS_ADMIN): tests then check the files' structure only.
 */
const UNSHARE = [['-rn'], ['-n']].find((flags) => spawnSync('unshare', [...flags, 'true']).status === 0);

/** Runs `script` with sh in a fresh network namespace. */
export function inNetns(script: string): ShellResult {
  if (!UNSHARE) throw new Error('no network namespace available (unshare failed)');
  const r = spawnSync('unshare', [...UNSHARE, 'sh', '-c', script], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Whether `tool` is installed and can talk netlink in such a namespace (`probe` is a harmless
 * command of it, e.g. `ipset list`).
 */
export function netnsToolWorks(probe: string): boolean {
  const tool = probe.split(' ')[0]!;
  if (!UNSHARE || spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return false;
  return inNetns(probe).code === 0;
}
