/**
 * S3's rules for general purpose bucket names (docs: "Bucket naming rules"): 3-63 characters of
 * lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit, no
 * two adjacent dots, not an IP address, none of the reserved prefixes and suffixes.
 */
const SHAPE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IP = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const RESERVED_PREFIXES = ['xn--', 'sthree-', 'amzn-s3-demo-'];
const RESERVED_SUFFIXES = ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'];

export function isValidBucketName(name: string): boolean {
  if (!SHAPE.test(name) || name.includes('..') || IP.test(name)) return false;
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return false;
  return !RESERVED_SUFFIXES.some((s) => name.endsWith(s));
}
