/**
 * EKS bearer tokens without the AWS SDK: a SigV4-presigned STS GetCallerIdentity URL, as
 * aws-iam-authenticator and `aws eks get-token` make it. The EKS apiserver replays the URL against STS to
 * learn the caller's IAM identity; the signed `x-k8s-aws-id` header binds the token to one cluster.
 */
import { createHash, createHmac } from 'node:crypto';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface PresignInput {
  method: string;
  host: string;
  path: string;
  query: Record<string, string>;
  /** Extra headers to sign (the host header is always signed). Lower-case names. */
  headers: Record<string, string>;
  service: string;
  region: string;
  credentials: AwsCredentials;
  now: Date;
  expiresSeconds: number;
  /** Hex SHA-256 of the body; a GET has none. S3 uses the literal UNSIGNED-PAYLOAD instead. */
  payloadHash?: string;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** RFC 3986 encoding as SigV4 wants it: encodeURIComponent leaves !'()* alone, SigV4 does not. */
export const uriEncode = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
const amzDate = (d: Date): string => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** Query-string SigV4 (a presigned URL). Returns the full https URL with X-Amz-Signature last. */
export function presignV4(input: PresignInput): string {
  const date = amzDate(input.now);
  const scope = `${date.slice(0, 8)}/${input.region}/${input.service}/aws4_request`;
  const headers: Record<string, string> = { host: input.host, ...input.headers };
  const headerNames = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const signedHeaders = headerNames.join(';');
  const query: Record<string, string> = {
    ...input.query,
    'X-Amz-Algorithm': ALGORITHM,
    'X-Amz-Credential': `${input.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': date,
    'X-Amz-Expires': String(input.expiresSeconds),
    'X-Amz-SignedHeaders': signedHeaders,
    // The session token is part of the signed query for STS (S3 would accept it unsigned too).
    ...(input.credentials.sessionToken ? { 'X-Amz-Security-Token': input.credentials.sessionToken } : {}),
  };
  const canonicalQuery = Object.keys(query).sort().map((k) => `${uriEncode(k)}=${uriEncode(query[k] ?? '')}`).join('&');
  const lowerHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim()]));
  const canonicalHeaders = headerNames.map((h) => `${h}:${lowerHeaders[h]}\n`).join('');
  const canonicalPath = input.path.split('/').map(uriEncode).join('/') || '/';
  const canonicalRequest = [input.method, canonicalPath, canonicalQuery, canonicalHeaders, signedHeaders, input.payloadHash ?? EMPTY_SHA256].join('\n');
  const stringToSign = [ALGORITHM, date, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${input.credentials.secretAccessKey}`, date.slice(0, 8)), input.region), input.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return `https://${input.host}${canonicalPath}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/** The standard AWS credential variables; a missing pair is a configuration fault, named without values. */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('EKS authentication needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment');
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

/** STS's regional endpoint; China regions live under amazonaws.com.cn. */
export const stsHost = (region: string): string => `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

/**
 * A bearer token for one EKS cluster. 60 s presign expiry like aws-iam-authenticator (EKS itself accepts
 * the token for up to 15 minutes); callers generate one per request, which costs four HMACs.
 */
export function eksToken(opts: { clusterName: string; region: string; credentials?: AwsCredentials; now?: Date }): string {
  const url = presignV4({
    method: 'GET',
    host: stsHost(opts.region),
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { 'x-k8s-aws-id': opts.clusterName },
    service: 'sts',
    region: opts.region,
    credentials: opts.credentials ?? credentialsFromEnv(),
    now: opts.now ?? new Date(),
    expiresSeconds: 60,
  });
  return EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}
