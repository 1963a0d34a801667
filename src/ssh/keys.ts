// Key generation for the sandbox and tests.
import ssh2 from 'ssh2';

export interface KeyPair {
  /** OpenSSH private key (PEM-armored). */
  private: string;
  /** `ssh-ed25519 AAAA… comment` */
  public: string;
}

/**
 * A new ed25519 key pair in OpenSSH format. ssh2 1.17's generator drops a leading zero byte of the public key
 * (about 1 key in 300 comes out 31 bytes long and unreadable by ssh2 and OpenSSH), so keys are checked and redrawn.
 */
export function generateEd25519(comment = ''): KeyPair {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    const parsed = ssh2.utils.parseKey(pair.private);
    if (!(parsed instanceof Error) && parsed.getPublicSSH().length === 51)
      return { private: pair.private, public: pair.public };
  }
}
