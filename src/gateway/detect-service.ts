/**
 * Tells which service a request is for, the way AWS endpoints do: by the credential scope's
 * service name when the request is signed, else by `X-Amz-Target`, host name, then path.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Service } from '../services/service.js';

export function detectService(
  services: readonly Service[],
  signingName: string | undefined,
  headers: IncomingHttpHeaders,
  rawPath: string,
): Service | undefined {
  if (signingName) {
    const bySigning = services.filter((s) => s.signingName === signingName);
    // Services sharing a signing name (API Gateway's REST APIs and v2's HTTP APIs, both
    // `apigateway`) are told apart by path, as AWS's one endpoint does.
    if (bySigning.length > 1) {
      return bySigning.find((s) => s.pathPrefixes.some((p) => rawPath.startsWith(p))) ?? bySigning[0];
    }
    if (bySigning[0]) return bySigning[0];
  }
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    const prefix = target.split('.')[0] ?? '';
    const byTarget = services.find((s) => s.targetPrefixes?.includes(prefix));
    if (byTarget) return byTarget;
  }
  const host = headers.host?.split(':')[0] ?? '';
  // `lambda.us-east-1.localhost.example` style virtual hosts.
  const byHost = services.find((s) => host.startsWith(`${s.signingName}.`));
  if (byHost) return byHost;
  // Unsigned requests to a virtual-hosted bucket (anonymous reads).
  const claimed = services.find((s) => s.claimsHost?.(host.toLowerCase()));
  if (claimed) return claimed;
  return services.find((s) => s.pathPrefixes.some((p) => rawPath.startsWith(p)));
}
