/**
 * LOCAL ONLY — a certificate authority of this machine and a serving certificate for 127.0.0.1/localhost,
 * so the local API can be reached over HTTPS (serverless-offline's `--httpsProtocol <dir>` reads cert.pem and
 * key.pem there). A kube-apiserver only calls admission webhooks over HTTPS, trusting the CA given as the
 * webhook's caBundle: that is what `caBundle` below is for. On AWS, API Gateway has a public certificate.
 *
 * Made with the `openssl` CLI (Node cannot issue certificates) once, and cached under
 * ~/.cache/codedance/tls/ (or `dir`); reissued when missing, unreadable or within a week of expiry. Each
 * issue is a complete set in its own directory and `current` (a symlink) is switched to it in one rename,
 * so concurrent starts never pair one set's certificate with another set's CA.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface LocalTls {
  /** The directory for serverless-offline's --httpsProtocol: cert.pem and key.pem. */
  serverDir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  /** PEM of the local CA: trust it in a client (`ca` option of node:https, curl --cacert). */
  caPem: string;
  /** The same CA, base64 of the PEM, as a webhook's `clientConfig.caBundle` wants it. */
  caBundle: string;
}

export const DEFAULT_TLS_DIR = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'codedance', 'tls');
const WEEK_MS = 7 * 24 * 3600 * 1000;
const SERVER_NAMES = { ips: ['127.0.0.1'], dns: ['localhost'] };

/** The cached CA and serving certificate, issued first if needed. */
export function ensureLocalTls(dir: string = DEFAULT_TLS_DIR): LocalTls {
  let tls = current(dir);
  if (!tls || !usable(tls)) {
    issue(dir);
    tls = current(dir);
    if (!tls || !usable(tls)) throw new Error(`the local TLS certificate in ${dir} is not usable right after issuing it`);
  }
  const caPem = readFileSync(tls.caFile, 'utf8');
  return { ...tls, caPem, caBundle: Buffer.from(caPem).toString('base64') };
}

/** The set `current` points at, resolved once: later switches do not change what the caller got. */
function current(dir: string): ReturnType<typeof paths> | undefined {
  try {
    return paths(realpathSync(join(dir, 'current')));
  } catch {
    return undefined;
  }
}

function paths(set: string) {
  const serverDir = join(set, 'server');
  return { serverDir, certFile: join(serverDir, 'cert.pem'), keyFile: join(serverDir, 'key.pem'), caFile: join(set, 'ca.pem') };
}

/** Present, signed by the CA beside it, naming 127.0.0.1 and localhost, and valid for another week. */
function usable(tls: ReturnType<typeof paths>): boolean {
  if (![tls.certFile, tls.keyFile, tls.caFile].every((f) => existsSync(f))) return false;
  try {
    const ca = new X509Certificate(readFileSync(tls.caFile));
    const cert = new X509Certificate(readFileSync(tls.certFile));
    const lasts = (c: X509Certificate) => Date.parse(c.validTo) - Date.now() > WEEK_MS;
    return cert.verify(ca.publicKey) && lasts(cert) && lasts(ca) && SERVER_NAMES.ips.every((ip) => cert.checkIP(ip) !== undefined)
      && SERVER_NAMES.dns.every((host) => cert.checkHost(host) !== undefined);
  } catch {
    return false;
  }
}

/** A fresh CA and serving certificate in a new set directory, then `current` switched to it. */
function issue(dir: string): void {
  mkdirSync(join(dir, 'sets'), { recursive: true });
  const work = mkdtempSync(join(dir, 'sets', 'set-'));
  try {
    const f = (name: string) => join(work, name);
    const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '3650', '-subj', '/CN=Codedance local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    openssl(['req', ...ec, '-keyout', f('key.pem'), '-out', f('server.csr'), '-subj', '/CN=localhost']);
    const altNames = [...SERVER_NAMES.ips.map((ip) => `IP:${ip}`), ...SERVER_NAMES.dns.map((d) => `DNS:${d}`)].join(',');
    writeFileSync(f('server.ext'), [
      `subjectAltName=${altNames}`, 'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', '',
    ].join('\n'));
    openssl(['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', '825', '-sha256', '-extfile', f('server.ext'), '-out', f('cert.pem')]);
    mkdirSync(join(work, 'server'));
    renameSync(f('cert.pem'), join(work, 'server', 'cert.pem'));
    renameSync(f('key.pem'), join(work, 'server', 'key.pem'));
    // The CA's key signs nothing after this; dropping it means a leaked cache cannot mint certificates.
    rmSync(f('ca.key'));
    rmSync(f('server.csr'));
    rmSync(f('server.ext'));
    const link = join(dir, `.current-${randomBytes(4).toString('hex')}`);
    symlinkSync(work, link);
    renameSync(link, join(dir, 'current'));
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`could not issue the local TLS certificate with openssl${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}
