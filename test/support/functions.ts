/** Deploying a function the way a user does: CreateFunction with a zip, then the SDK's waiter until Active. */
import {
  CreateFunctionCommand,
  type CreateFunctionCommandInput,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { active } from './wait.js';
import { zipOf } from './zips.js';

export const TEST_ROLE = 'arn:aws:iam::000000000000:role/r';

/** A Node function whose `index.js` is `code` (handler `index.handler`); `extra` overrides any field. */
export async function deployNode(
  lambda: LambdaClient,
  name: string,
  code: string,
  extra: Partial<CreateFunctionCommandInput> = {},
): Promise<void> {
  await lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      Role: TEST_ROLE,
      Code: { ZipFile: await zipOf({ 'index.js': code }) },
      ...extra,
    }),
  );
  await active(lambda, name);
}
