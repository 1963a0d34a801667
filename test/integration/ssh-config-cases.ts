// The config files the ssh -G comparison runs over: each sets some directives for some names, through Include,
// Host and Match in the ways OpenSSH distinguishes. `$HOME` is the throwaway account's home.

export interface ConfigCase {
  title: string;
  /** Paths under the home → contents. */
  files: Record<string, string>;
  names: string[];
}

export const cases: ConfigCase[] = [
  {
    title: 'Host, HostName with %h, User, Port, IdentityFile tokens',
    files: {
      '.ssh/config':
        'Host web1 web2\n  HostName %h.example.com\n  User alice\n  Port 2200\n  IdentityFile ~/.ssh/id_%h_%r\n  IdentityFile %d/keys/%u\nHost *\n  User nobody\n  IdentityFile ~/.ssh/fallback\n',
    },
    names: ['web1', 'web2', 'other'],
  },
  {
    title: 'Include with a relative glob, files in order, first value wins across them',
    files: {
      '.ssh/config': 'Include conf.d/*.conf\nHost *\n  Port 2022\n',
      '.ssh/conf.d/10-web.conf': 'Host web*\n  User web\n  ConnectTimeout 7\n',
      '.ssh/conf.d/20-all.conf': 'Host *\n  User everyone\n  ServerAliveInterval 20\n',
      '.ssh/conf.d/ignored.txt': 'Host *\n  Port 9\n',
    },
    names: ['web1', 'db1'],
  },
  {
    title: 'Include by absolute and ~ path, nested, and inside an inactive Host block',
    files: {
      '.ssh/config': 'Host db*\n  Include ~/.ssh/db.conf\nHost *\n  Include $HOME/.ssh/abs.conf\n',
      '.ssh/db.conf': 'User dbadmin\nInclude nested.conf\nHost *\n  Port 5432\n',
      '.ssh/nested.conf': 'ServerAliveCountMax 9\n',
      '.ssh/abs.conf': 'Port 2201\nUser abs\n',
    },
    names: ['db1', 'web1'],
  },
  {
    title: 'Host patterns: wildcards, ?, negation, a negation-only line, case',
    files: {
      '.ssh/config':
        'Host *.corp !db.corp\n  User corp\nHost !nothing\n  Port 2300\nHost web?\n  HostName 10.0.0.1\nHost Mixed\n  User upper\nHost *\n  Port 2400\n',
    },
    names: ['app.corp', 'db.corp', 'web1', 'web10', 'mixed'],
  },
  {
    title: 'Match host sees HostName; Match originalhost the name given',
    files: {
      '.ssh/config':
        'Host short\n  HostName long.example.com\nMatch host *.example.com\n  User matched\nMatch originalhost short\n  Port 2500\nMatch originalhost long.example.com\n  Port 9\n',
    },
    names: ['short', 'long.example.com'],
  },
  {
    title: 'Match user and localuser, with ! negation, and Match all',
    files: {
      '.ssh/config':
        'Host a\n  User deploy\nMatch user deploy\n  Port 2600\nMatch !localuser root\n  ConnectTimeout 3\nMatch localuser root\n  ConnectTimeout 99\nMatch all\n  ServerAliveInterval 30\n',
    },
    names: ['a', 'b'],
  },
  {
    title: 'Match exec runs its command with tokens, and only while earlier criteria hold',
    files: {
      '.ssh/config':
        'Match exec "test %n = one"\n  Port 2701\nMatch host two exec "exit 1"\n  Port 9\nMatch host nope exec "touch $HOME/ran"\n  Port 9\nMatch exec "test %h = two"\n  User two\n',
    },
    names: ['one', 'two'],
  },
  {
    title: 'IdentitiesOnly, IdentityAgent, UserKnownHostsFile list, HostKeyAlias, CertificateFile',
    files: {
      '.ssh/config':
        'Host k1\n  IdentitiesOnly yes\n  IdentityAgent ~/agent.sock\n  UserKnownHostsFile ~/.ssh/kh1 %d/kh_%h\n  HostKeyAlias alias-%h\n  CertificateFile ~/.ssh/c-%h.pub\nHost k2\n  IdentityAgent none\n  UserKnownHostsFile none\nHost k3\n  IdentityAgent SSH_AUTH_SOCK\nHost *\n  IdentitiesOnly no\n  UserKnownHostsFile ~/.ssh/later\n',
    },
    names: ['k1', 'k2', 'k3'],
  },
  {
    title: 'ProxyCommand and ProxyJump: the first one wins; BindAddress',
    files: {
      '.ssh/config':
        'Host pc\n  ProxyCommand nc -X connect -x proxy:3128 %h %p\n  ProxyJump j1\nHost pj\n  ProxyJump admin@j1:2222,j2\n  ProxyCommand never\nHost pc pj\n  BindAddress 127.0.26.9\n',
    },
    names: ['pc', 'pj'],
  },
  {
    title: 'Syntax: key=value, quotes, keyword case, trailing comments',
    files: {
      '.ssh/config':
        'HOST=q1\n  user = "quoted user"\n  PORT=2800 # a comment\n  IdentityFile "~/.ssh/with space"\n  hostname\tq1.example.com\n',
    },
    names: ['q1'],
  },
  {
    title: 'Settings before the first Host apply to every name, and win over later ones',
    files: {
      '.ssh/config': 'User early\nConnectTimeout 4\nHost x\n  User late\n  ConnectTimeout 8\n  Port 2900\n',
    },
    names: ['x', 'y'],
  },
  {
    title: 'An Include that matches nothing is skipped; time units',
    files: {
      '.ssh/config': 'Include missing/*.conf none.conf\nHost t\n  ConnectTimeout 1m\n  ServerAliveInterval 1m30s\n',
    },
    names: ['t'],
  },
];
