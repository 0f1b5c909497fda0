/**
 * HTTP front doors of functions (function URLs, API Gateway invoke URLs): requests that are not
 * AWS API calls but traffic for a user's application, told apart by host name (as AWS routes
 * `<url-id>.lambda-url.<region>.on.aws`) or a path-style prefix on the same listener. The gateway
 * asks each door before it detects a service; a door that claims a request answers it whole
 * (its own body limits, authentication and errors), in its product's words, not an API's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface FrontDoor {
  readonly name: string;
  /**
   * Whether the request is this door's, from its Host header (lower case, without the port)
   * and raw path. Called for every request: keep it to string tests.
   */
  claims(host: string, rawPath: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, ctx: { requestId: string }): Promise<void>;
}
