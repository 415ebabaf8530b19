/**
 * A generated Mosquitto file would be wrong (an unsafe username, a malformed
 * hash, a topic that would change the file's meaning). Lists every problem at
 * once; never holds a password or a hash.
 */
export class MosquittoFileError extends Error {
  override readonly name = 'MosquittoFileError';

  constructor(
    readonly file: 'password file' | 'ACL file' | 'broker config',
    readonly problems: readonly string[],
  ) {
    super(`cannot write the Mosquitto ${file}: ${problems.join('; ')}`);
  }
}

/** Signalling Mosquitto failed: it is not running (ESRCH) or belongs to a user we may not signal (EPERM). */
export class MosquittoReloadError extends Error {
  override readonly name = 'MosquittoReloadError';

  constructor(
    /** Null when no pid could be found (an empty or missing pid file). */
    readonly pid: number | null,
    readonly code: string,
  ) {
    super(pid === null ? `no Mosquitto pid: ${code}` : code === 'ESRCH' ? `Mosquitto (pid ${pid}) is not running` : `cannot signal Mosquitto (pid ${pid}): ${code}`);
  }
}
