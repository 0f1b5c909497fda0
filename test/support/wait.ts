/** Waiting the way AWS users do: the SDK's own waiters for function state. */
import {
  type LambdaClient,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
} from '@aws-sdk/client-lambda';

export async function active(client: LambdaClient, name: string): Promise<void> {
  await waitUntilFunctionActiveV2({ client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 } as never, {
    FunctionName: name,
  });
}

export async function updated(client: LambdaClient, name: string): Promise<void> {
  await waitUntilFunctionUpdatedV2({ client, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 } as never, {
    FunctionName: name,
  });
}
