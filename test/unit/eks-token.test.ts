import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EKS_TOKEN_PREFIX, eksToken, presignV4 } from '../../lib/adapters/kubernetes/eks-token.js';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const now = new Date('2024-01-02T03:04:05.678Z');

const decode = (token: string): URL => new URL(Buffer.from(token.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString('utf8'));

/** SigV4 written out step by step from AWS's description, with the canonical request as literal text. */
function expectedSignature(sessionToken?: string): string {
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const hmac = (k: string | Buffer, s: string) => createHmac('sha256', k).update(s).digest();
  const query = 'Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256'
    + '&X-Amz-Credential=AKIDEXAMPLE%2F20240102%2Fus-west-2%2Fsts%2Faws4_request&X-Amz-Date=20240102T030405Z'
    + '&X-Amz-Expires=60' + (sessionToken ? `&X-Amz-Security-Token=${encodeURIComponent(sessionToken)}` : '')
    + '&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id';
  const canonicalRequest = `GET\n/\n${query}\nhost:sts.us-west-2.amazonaws.com\nx-k8s-aws-id:my-cluster\n\nhost;x-k8s-aws-id\n${sha('')}`;
  const stringToSign = `AWS4-HMAC-SHA256\n20240102T030405Z\n20240102/us-west-2/sts/aws4_request\n${sha(canonicalRequest)}`;
  const kDate = hmac(`AWS4${credentials.secretAccessKey}`, '20240102');
  const kSigning = hmac(hmac(hmac(kDate, 'us-west-2'), 'sts'), 'aws4_request');
  return createHmac('sha256', kSigning).update(stringToSign).digest('hex');
}

describe('eksToken', () => {
  it('is k8s-aws-v1. plus unpadded base64url of a presigned STS GetCallerIdentity URL', () => {
    // Act
    const token = eksToken({ clusterName: 'my-cluster', region: 'us-west-2', credentials, now });

    // Assess
    expect(token.startsWith('k8s-aws-v1.')).toBe(true);
    expect(token.slice(EKS_TOKEN_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/); // no padding, no + or /
    const url = decode(token);
    expect(`${url.origin}${url.pathname}`).toBe('https://sts.us-west-2.amazonaws.com/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20240102/us-west-2/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20240102T030405Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(q.has('X-Amz-Security-Token')).toBe(false);
  });

  it('matches a signature computed independently from the SigV4 steps', () => {
    // Act
    const plain = decode(eksToken({ clusterName: 'my-cluster', region: 'us-west-2', credentials, now }));
    const session = decode(eksToken({ clusterName: 'my-cluster', region: 'us-west-2', credentials: { ...credentials, sessionToken: 'FQoGZXIvYXdz/+token=' }, now }));

    // Assess
    expect(plain.searchParams.get('X-Amz-Signature')).toBe(expectedSignature());
    expect(session.searchParams.get('X-Amz-Security-Token')).toBe('FQoGZXIvYXdz/+token=');
    expect(session.searchParams.get('X-Amz-Signature')).toBe(expectedSignature('FQoGZXIvYXdz/+token='));
  });

  it('reads credentials from the environment and fails without them', () => {
    // Prepare
    const saved = { ...process.env };
    try {
      delete process.env.AWS_ACCESS_KEY_ID;
      // Act / Assess
      expect(() => eksToken({ clusterName: 'c', region: 'eu-west-1' })).toThrow(/AWS_ACCESS_KEY_ID/);
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'tok' });
      expect(decode(eksToken({ clusterName: 'c', region: 'eu-west-1' })).searchParams.get('X-Amz-Security-Token')).toBe('tok');
    } finally {
      process.env = saved;
    }
  });
});

describe('presignV4', () => {
  it("reproduces AWS's published query-string example (S3 GetObject, examplebucket/test.txt)", () => {
    // Act: the example of docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
    const url = presignV4({
      method: 'GET', host: 'examplebucket.s3.amazonaws.com', path: '/test.txt', query: {}, headers: {}, service: 's3', region: 'us-east-1',
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      now: new Date('2013-05-24T00:00:00Z'), expiresSeconds: 86400, payloadHash: 'UNSIGNED-PAYLOAD',
    });

    // Assess
    expect(new URL(url).searchParams.get('X-Amz-Signature')).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });
});
