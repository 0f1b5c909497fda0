/**
 * Where a request names its bucket and key, as S3 endpoints read it:
 * - virtual-hosted style: `Host: <bucket>.s3.<anything>` (`.s3.amazonaws.com`,
 *   `.s3.us-east-1.amazonaws.com`, `.s3.localhost.localstack.cloud`) or `<bucket>.localhost`,
 *   which the SDKs use for `http://localhost:PORT`; the path is then the key;
 * - path style: `/<bucket>/<key>` (the SDKs' choice for an IP address or `forcePathStyle`).
 * The key stays percent-encoded here (the codec decodes it once): `//`, a trailing `/`, `+`
 * and `%` round-trip exactly.
 */
export interface S3Address {
  bucket: string | undefined;
  /** The raw (still encoded) key; undefined when the request names only a bucket (or none). */
  rawKey: string | undefined;
}

/** The bucket a Host header names, if it is a virtual-hosted S3 host. */
export function bucketOfHost(hostHeader: string | undefined): string | undefined {
  const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
  const s3At = host.search(/\.s3[.-]/);
  if (s3At > 0) return host.slice(0, s3At);
  if (host.endsWith('.localhost')) {
    const bucket = host.slice(0, -'.localhost'.length);
    // `s3.localhost` names the service, not a bucket.
    return bucket === 's3' ? undefined : bucket;
  }
  return undefined;
}

export function addressOf(hostHeader: string | undefined, rawPath: string): S3Address {
  const fromHost = bucketOfHost(hostHeader);
  if (fromHost !== undefined) {
    const rawKey = rawPath.length > 1 ? rawPath.slice(1) : undefined;
    return { bucket: fromHost, rawKey };
  }
  const rest = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (rest === '') return { bucket: undefined, rawKey: undefined };
  const slash = rest.indexOf('/');
  if (slash === -1) return { bucket: safeDecode(rest), rawKey: undefined };
  const rawKey = rest.slice(slash + 1);
  return { bucket: safeDecode(rest.slice(0, slash)), rawKey: rawKey === '' ? undefined : rawKey };
}

function safeDecode(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
