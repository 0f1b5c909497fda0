/**
 * The Lambda Runtime API server, one listener per execution environment. See endpoint.ts for what it
 * implements and the gaps; peer-uid.ts for refusing connections from anyone but the environment's sandbox.
 */
export { createRuntimeEndpoint } from './endpoint.js';
export { peerUidOf } from './peer-uid.js';
export type {
  InitOutcome,
  Invocation,
  InvocationResult,
  ResponseSink,
  RuntimeEndpoint,
  RuntimeEndpointOptions,
} from './types.js';
export { MAX_PAYLOAD_SIZE, MAX_STREAMED_PAYLOAD_SIZE } from './wire.js';
