// The sandbox hosts' own /etc/passwd, group and shadow: the machine's, plus the `convoy` login and `supervisor` group.

export interface AccountFiles {
  passwd: string;
  group: string;
  shadow: string;
  gshadow: string;
}

export interface SandboxAccounts {
  files: AccountFiles;
  loginUid: number;
  loginGid: number;
}

export const loginUser = 'convoy';
export const socketGroup = 'supervisor';

/**
 * Adds the non-root login (own group, `*` password: key login only) and, unless `withSocketGroup` is false,
 * the `supervisor` group with the login as member. Root's password field is unlocked to `*` because sshd
 * without PAM refuses key logins to accounts locked with `!`.
 */
export function sandboxAccounts(machine: AccountFiles, withSocketGroup: boolean): SandboxAccounts {
  const passwd = rows(machine.passwd);
  const group = rows(machine.group);
  let shadow = rows(machine.shadow).map((r) =>
    r[0] === 'root' && (r[1] ?? '').startsWith('!') ? [r[0], '*', ...r.slice(2)] : r,
  );
  let gshadow = rows(machine.gshadow);

  const existingUser = passwd.find((r) => r[0] === loginUser);
  let loginUid = Number(existingUser?.[2]);
  let loginGid = Number(existingUser?.[3]);
  if (!existingUser) {
    const existingGroup = group.find((r) => r[0] === loginUser);
    loginUid = firstFree(new Set(passwd.map((r) => Number(r[2]))), 2000);
    loginGid = existingGroup ? Number(existingGroup[2]) : firstFree(new Set(group.map((r) => Number(r[2]))), loginUid);
    if (!existingGroup) {
      group.push([loginUser, 'x', String(loginGid), '']);
      gshadow.push([loginUser, '!', '', '']);
    }
    passwd.push([
      loginUser,
      'x',
      String(loginUid),
      String(loginGid),
      'Convoy sandbox login',
      `/home/${loginUser}`,
      '/bin/bash',
    ]);
    shadow = [...shadow.filter((r) => r[0] !== loginUser), [loginUser, '*', '19000', '0', '99999', '7', '', '', '']];
  }
  if (withSocketGroup) {
    const existing = group.find((r) => r[0] === socketGroup);
    if (existing) {
      existing[3] = addMember(existing[3] ?? '', loginUser);
    } else {
      group.push([socketGroup, 'x', String(firstFree(new Set(group.map((r) => Number(r[2]))), 900)), loginUser]);
    }
    const shadowRow = gshadow.find((r) => r[0] === socketGroup);
    if (shadowRow) shadowRow[3] = addMember(shadowRow[3] ?? '', loginUser);
    else gshadow = [...gshadow, [socketGroup, '!', '', loginUser]];
  }
  return {
    files: { passwd: text(passwd), group: text(group), shadow: text(shadow), gshadow: text(gshadow) },
    loginUid,
    loginGid,
  };
}

function rows(content: string): string[][] {
  return content
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.split(':'));
}

function text(table: string[][]): string {
  return table.map((r) => r.join(':')).join('\n') + '\n';
}

function firstFree(used: ReadonlySet<number>, from: number): number {
  let id = from;
  while (used.has(id)) id++;
  return id;
}

function addMember(members: string, user: string): string {
  const list = members.split(',').filter((m) => m !== '');
  return list.includes(user) ? list.join(',') : [...list, user].join(',');
}
