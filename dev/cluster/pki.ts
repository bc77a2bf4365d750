import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Files of the local cluster's PKI, all PEM. */
export interface ClusterPki {
  readonly caCert: string;
  readonly caKey: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** Keys that sign and verify service account tokens. */
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

/**
 * Creates a CA, an API server serving certificate for 127.0.0.1/localhost and a service account
 * key pair in `dir` with the system `openssl`. Existing files are kept (a restarted cluster keeps
 * its identity, so kubeconfigs stay valid).
 */
export function ensurePki(dir: string): ClusterPki {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const p = (f: string) => path.join(dir, f);
  const pki: ClusterPki = {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    servingCert: p('apiserver.crt'),
    servingKey: p('apiserver.key'),
    serviceAccountKey: p('sa.key'),
    serviceAccountPub: p('sa.pub'),
  };
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  if (!fs.existsSync(pki.caCert)) {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650',
      '-subj', '/CN=fluxops-local-ca', '-keyout', pki.caKey, '-out', pki.caCert,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature');
  }
  if (!fs.existsSync(pki.servingCert)) {
    const csr = p('apiserver.csr');
    const ext = p('apiserver.ext');
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=kube-apiserver',
      '-keyout', pki.servingKey, '-out', csr);
    fs.writeFileSync(ext, [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.43.0.1',
    ].join('\n'));
    openssl('x509', '-req', '-in', csr, '-CA', pki.caCert, '-CAkey', pki.caKey, '-CAcreateserial', '-days', '3650',
      '-extfile', ext, '-out', pki.servingCert);
    fs.rmSync(csr);
    fs.rmSync(ext);
  }
  if (!fs.existsSync(pki.serviceAccountKey)) {
    openssl('genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', pki.serviceAccountKey);
    openssl('pkey', '-in', pki.serviceAccountKey, '-pubout', '-out', pki.serviceAccountPub);
  }
  for (const f of [pki.caKey, pki.servingKey, pki.serviceAccountKey]) fs.chmodSync(f, 0o600);
  return pki;
}
