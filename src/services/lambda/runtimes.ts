/**
 * Runtime identifiers as Lambda's CreateFunction accepts them. Lambent executes the Node,
 * Python and `provided` families; the others are accepted by the control plane (as AWS
 * does) so that templates deploy, and fail at invocation until a runtime exists here.
 */
import { InvalidParameterValueException } from './errors.js';

/** In the order AWS prints them in its "enum value set" message (recorded). */
export const SUPPORTED_RUNTIMES = [
  'nodejs20.x',
  'python3.14',
  'provided.al2023',
  'python3.12',
  'python3.13',
  'nodejs24.x',
  'nodejs22.x',
  'java25',
  'python3.10',
  'python3.11',
  'java21',
  'ruby3.3',
  'ruby3.4',
  'ruby3.2',
  'python3.8',
  'python3.9',
  'java17',
  'nodejs16.x',
  'dotnet10',
  'dotnet8',
  'java11',
  'dotnet6',
  'nodejs18.x',
  'provided.al2',
  'java8.al2',
] as const;

/** Runtimes AWS blocks for create and update ("no longer supported"). */
export const DEPRECATED_RUNTIMES = [
  'java8',
  'go1.x',
  'provided',
  'ruby2.7',
  'nodejs14.x',
  'python3.7',
  'dotnetcore3.1',
  'nodejs12.x',
  'nodejs10.x',
  'nodejs8.10',
  'nodejs6.10',
  'nodejs4.3',
  'nodejs',
  'python2.7',
  'python3.6',
  'ruby2.5',
  'dotnetcore1.0',
  'dotnetcore2.0',
  'dotnetcore2.1',
] as const;

export function assertRuntimeAllowed(runtime: string): void {
  if ((DEPRECATED_RUNTIMES as readonly string[]).includes(runtime)) {
    throw new InvalidParameterValueException(
      `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`,
    );
  }
  if (!(SUPPORTED_RUNTIMES as readonly string[]).includes(runtime)) {
    throw new InvalidParameterValueException(
      `Value ${runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [${SUPPORTED_RUNTIMES.join(', ')}] or be a valid ARN`,
    );
  }
}
