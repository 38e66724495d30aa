/**
 * Credentials of one local cluster. The serving certificate is made by kube-apiserver itself (--cert-dir),
 * because Node's crypto cannot issue X.509 certificates; we only make the service-account key and tokens.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ENGINE_USER = 'codedance-engine';

export interface ClusterCredentials {
  adminToken: string;
  engineToken: string;
  tokenFile: string;
  saKeyFile: string;
  saPubFile: string;
}

export function writeCredentials(dir: string): ClusterCredentials {
  // One RSA key signs and verifies service-account tokens (--service-account-signing-key-file/-key-file).
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const saKeyFile = join(dir, 'sa.key');
  const saPubFile = join(dir, 'sa.pub');
  writeFileSync(saKeyFile, privateKey, { mode: 0o600 });
  writeFileSync(saPubFile, publicKey);

  const adminToken = randomBytes(24).toString('hex');
  const engineToken = randomBytes(24).toString('hex');
  // token,user,uid[,"group1,group2"]: the admin is in system:masters (bypasses RBAC); the engine has no
  // group beyond system:authenticated, so only its ClusterRoleBinding grants it anything.
  const tokenFile = join(dir, 'tokens.csv');
  writeFileSync(tokenFile, `${adminToken},admin,admin,"system:masters"\n${engineToken},${ENGINE_USER},${ENGINE_USER}\n`, { mode: 0o600 });
  return { adminToken, engineToken, tokenFile, saKeyFile, saPubFile };
}

/**
 * The CA that signed the apiserver's self-signed serving certificate. kube-apiserver writes the serving
 * cert followed by its CA into `apiserver.crt`; clients should trust the CA (the last PEM block), since
 * OpenSSL does not accept a non-self-signed leaf as a trust anchor.
 */
export function readServingCA(certDir: string): string {
  const pem = readFileSync(join(certDir, 'apiserver.crt'), 'utf8');
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  const ca = blocks?.at(-1);
  if (!ca) throw new Error(`no certificate in ${certDir}/apiserver.crt`);
  return `${ca}\n`;
}
