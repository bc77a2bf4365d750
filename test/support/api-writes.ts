import * as fs from 'node:fs';

/** One write request in the API server's audit log. */
export interface AuditedWrite {
  readonly verb: string;
  readonly uri: string;
  readonly userAgent: string;
  readonly code?: number;
}

/** Clients that write on their own (controllers, the simulated kubelets): never FluxOps. */
const BACKGROUND = /^(kube-controller-manager|kube-scheduler|kube-apiserver|kwok)\b/;
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** A position in the audit log; {@link writesSince} reads what came after it. */
export function auditMark(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

/**
 * The write requests (create, update, patch, delete; dry runs excluded) logged after `mark`,
 * by anything but the cluster's own controllers and kwok.
 */
export function writesSince(file: string, mark: number): AuditedWrite[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.alloc(size - mark);
    fs.readSync(fd, buf, 0, buf.length, mark);
    return buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { verb: string; requestURI: string; userAgent?: string; stage?: string; responseStatus?: { code?: number } })
      .filter((e) => e.stage === 'ResponseComplete' && WRITE_VERBS.has(e.verb) && !/[?&]dryRun=All/.test(e.requestURI) && !BACKGROUND.test(e.userAgent ?? ''))
      .map((e) => ({ verb: e.verb, uri: e.requestURI, userAgent: e.userAgent ?? '', ...(e.responseStatus?.code !== undefined ? { code: e.responseStatus.code } : {}) }));
  } finally {
    fs.closeSync(fd);
  }
}
