/**
 * What the function URL front door needs to know of a URL, and no more: the Lambda service
 * owns URL configs (services/lambda/url-config-store.ts) and answers this lookup from memory.
 */
export interface FunctionUrlCors {
  AllowCredentials?: boolean;
  AllowHeaders?: string[];
  AllowMethods?: string[];
  AllowOrigins?: string[];
  ExposeHeaders?: string[];
  MaxAge?: number;
}

export interface FunctionUrlTarget {
  urlId: string;
  accountId: string;
  region: string;
  functionName: string;
  /** The alias the URL invokes; undefined for the unqualified function ($LATEST). */
  qualifier?: string;
  authType: 'NONE' | 'AWS_IAM';
  cors?: FunctionUrlCors;
  invokeMode: 'BUFFERED' | 'RESPONSE_STREAM';
}

export interface FunctionUrlDirectory {
  /** The URL with this id (32 lower-case letters and digits), or undefined. */
  find(urlId: string): FunctionUrlTarget | undefined;
  /** Whether the id was a URL that ended with its alias (refused as Forbidden, not as unknown). */
  retired(urlId: string): boolean;
}
