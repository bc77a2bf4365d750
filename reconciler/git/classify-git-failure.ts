/**
 * What a failed git command means, decided once, here, from its exit status and stderr (git runs
 * with `LC_ALL=C`, so the messages are git's, curl's and ssh's English originals). Every caller
 * turns the kind into its typed error; nobody else matches git's messages.
 */
export type GitFailureKind =
  /** FluxOps' own timeout ended the command. */
  | 'timeout'
  /** No connection, or it broke: DNS, refused, reset, TLS, HTTP 5xx, early EOF. Retried. */
  | 'unreachable'
  /** Credentials refused or missing (HTTP 401/403, ssh publickey, unusable key file). */
  | 'auth'
  /** ssh refused the host key. */
  | 'host-key'
  /** The URL names no repository (or one hidden from this identity). */
  | 'repository-not-found'
  /** A named branch does not exist. */
  | 'ref-not-found'
  /** A commit asked for by id is unknown, or the server refuses to serve unadvertised commits. */
  | 'commit-not-found'
  /** A lock file of the local repository is taken (a concurrent git in the same repository). Retried. */
  | 'busy'
  /** Anything else. */
  | 'other';

/** One failed git command as {@link classifyGitFailure} reads it. */
export interface GitFailure {
  /** Exit status (`null` when ended by a signal). */
  readonly exitCode: number | null;
  /** Standard error, as text. */
  readonly stderr: string;
  /** Whether FluxOps' timeout ended it. */
  readonly timedOut: boolean;
}

const HOST_KEY = /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known for|host key for .* has changed/i;
// Checked before AUTH: git daemon says "access denied or repository not exported" for a missing repository.
const REPOSITORY = /does not appear to be a git repository|Repository not found|repository '[^']*' not found|no such repository|not exported|The requested URL returned error: 404|not a git repository|The project you were looking for could not be found/i;
const AUTH = /Authentication failed|could not read (?:Username|Password)|terminal prompts disabled|The requested URL returned error: 40[13]\b|HTTP Basic: Access denied|Permission denied \(|Invalid username or (?:password|token)|UNPROTECTED PRIVATE KEY FILE|Load key ".*": (?:invalid format|bad permissions|error in libcrypto)|no mutual signature algorithm|Too many authentication failures/i;
const COMMIT = /not our ref|unadvertised object|want [0-9a-f]{40,64} not valid|bad object [0-9a-f]{40,64}|no such remote ref [0-9a-f]{40,64}/i;
const REF = /couldn't find remote ref|Remote branch \S+ not found|invalid refspec/i;
const BUSY = /Unable to create '[^']*\.lock': File exists|cannot lock ref|shallow file has changed since we read it/i;
const UNREACHABLE =
  /Could not resolve host|Could not resolve hostname|Name or service not known|Temporary failure in name resolution|Connection refused|Connection timed out|Connection reset|Failed to connect|unable to connect|Network is unreachable|No route to host|Operation timed out|early EOF|remote end hung up unexpectedly|RPC failed|The requested URL returned error: 5\d\d|SSL|gnutls|TLS connect|Could not read from remote repository|transfer closed|Empty reply from server|kex_exchange_identification|Connection closed by|Broken pipe|unexpected disconnect|protocol error: bad pack header|index-pack failed/i;

/** Classifies a failed git command (see {@link GitFailureKind}). */
export function classifyGitFailure(failure: GitFailure): GitFailureKind {
  if (failure.timedOut) return 'timeout';
  const s = failure.stderr;
  if (HOST_KEY.test(s)) return 'host-key';
  if (REPOSITORY.test(s)) return 'repository-not-found';
  if (AUTH.test(s)) return 'auth';
  if (COMMIT.test(s)) return 'commit-not-found';
  if (REF.test(s)) return 'ref-not-found';
  if (BUSY.test(s)) return 'busy';
  if (UNREACHABLE.test(s)) return 'unreachable';
  // ssh itself exits 255 on connection problems it did not describe in a way matched above.
  if (failure.exitCode === 255 && /^ssh: /m.test(s)) return 'unreachable';
  return 'other';
}

/** Whether a failure of this kind is worth retrying (a fault, not a refusal). */
export function isTransientGitFailure(kind: GitFailureKind): boolean {
  return kind === 'timeout' || kind === 'unreachable' || kind === 'busy';
}
