// `convoy sandbox up --ssh-ca`: hosts reachable only with SSH certificates, as fleets run by a CA are. Each sshd
// presents a host certificate (HostCertificate) signed by the fleet's host CA and trusts the fleet's user CA
// (TrustedUserCAKeys) instead of authorized_keys; the client gets a user certificate. known_hosts holds only
// @cert-authority lines and an ssh config (`<state dir>/ssh_config`) names the certificate with CertificateFile,
// under a name OpenSSH would not load by itself. Only `transport = openssh` reaches such hosts; the ssh2 transport's
// refusal names that setting. The CA keys stay in the state dir (removed by `sandbox down`).
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EnvironmentError } from '../errors.ts';
import { loginUser } from './accounts.ts';
import type { SandboxHost, SandboxPlan } from './plan.ts';
import { hostMountPoint, knownHostsName } from './plan.ts';

/** The files `--ssh-ca` adds to the state dir. */
export function sshCaFiles(stateDir: string) {
  return {
    hostCa: path.join(stateDir, 'host_ca'),
    userCa: path.join(stateDir, 'user_ca'),
    /** Not `id_ed25519-cert.pub`, which OpenSSH would load next to the key without being told. */
    userCert: path.join(stateDir, 'client-cert.pub'),
    sshConfig: path.join(stateDir, 'ssh_config'),
  };
}

function keygen(args: string[]): void {
  const run = spawnSync('ssh-keygen', ['-q', ...args], { encoding: 'utf8' });
  if (run.status !== 0)
    throw new EnvironmentError(
      `sandbox --ssh-ca: ssh-keygen ${args.join(' ')} failed: ${run.stderr || run.error?.message}`,
    );
}

/** The two CAs, the host certificates, the client's certificate, and the files that trust them. */
export function writeSshCa(plan: SandboxPlan): void {
  const files = sshCaFiles(plan.options.stateDir);
  for (const ca of [files.hostCa, files.userCa]) keygen(['-t', 'ed25519', '-N', '', '-C', path.basename(ca), '-f', ca]);
  for (const host of plan.hosts) certifyHost(host, files);
  const validity = ['-V', '-5m:+520w'];
  const clientPub = `${plan.clientKeyFile}.pub`;
  keygen(['-s', files.userCa, '-I', 'convoy-sandbox-client', '-n', `root,${loginUser}`, ...validity, clientPub]);
  // Moved so that only CertificateFile can make OpenSSH offer the certificate.
  renameSync(`${plan.clientKeyFile}-cert.pub`, files.userCert);
  const caKey = publicKey(files.hostCa);
  writeFileSync(plan.knownHostsFile, caKnownHosts(plan.hosts, caKey), { mode: 0o644 });
  writeFileSync(files.sshConfig, caSshConfig(plan, files.userCert), { mode: 0o644 });
}

/** Signs the host's key for its address and name; sshd presents the certificate and trusts only the user CA. */
function certifyHost(host: SandboxHost, files: ReturnType<typeof sshCaFiles>): void {
  const hostKey = path.join(host.dir, 'ssh_host_ed25519_key.pub');
  keygen([
    '-s',
    files.hostCa,
    '-I',
    `${host.name}-host`,
    '-h',
    '-n',
    `${host.address},${host.name}`,
    '-V',
    '-5m:+520w',
    hostKey,
  ]);
  copyFileSync(`${files.userCa}.pub`, path.join(host.dir, 'user_ca.pub'));
  appendFileSync(path.join(host.dir, 'sshd_config'), caSshdLines());
  for (const keys of [path.join(host.dir, 'root', '.ssh'), path.join(host.dir, 'home', loginUser, '.ssh')])
    writeFileSync(path.join(keys, 'authorized_keys'), '');
}

/** What `--ssh-ca` adds to each host's sshd_config (paths as the host sees its own directory). */
export function caSshdLines(): string {
  return [
    '# --ssh-ca: a CA-signed host key; logins by certificate of the user CA only',
    `HostCertificate ${hostMountPoint}/ssh_host_ed25519_key-cert.pub`,
    `TrustedUserCAKeys ${hostMountPoint}/user_ca.pub`,
    '',
  ].join('\n');
}

function publicKey(privateKeyFile: string): string {
  return readFileSync(`${privateKeyFile}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
}

/** known_hosts with the host CA only: no host's own key is known. */
export function caKnownHosts(hosts: readonly SandboxHost[], caPublicKey: string): string {
  const names = hosts.map((h) => knownHostsName(h.address, h.port)).join(',');
  return `@cert-authority ${names} ${caPublicKey}\n`;
}

/** The client's ssh config for the fleet: the certificate by CertificateFile (include it from ~/.ssh/config). */
export function caSshConfig(plan: SandboxPlan, userCert: string): string {
  const names = plan.hosts.flatMap((h) => [h.address, h.name]).join(' ');
  return `# Written by \`convoy sandbox up --ssh-ca\`: Include it from ~/.ssh/config.\nHost ${names}\n  IdentityFile ${plan.clientKeyFile}\n  CertificateFile ${userCert}\n`;
}
