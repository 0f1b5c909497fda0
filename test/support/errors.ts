/** The AWS error a failing command raises, reduced to what tests compare: name, message, status. */
export async function awsError(
  p: Promise<unknown>,
): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the command to fail');
}

/** The error a call rejects with, whole (for tests that read more of it than awsError keeps). */
export async function rejectionOf<E>(p: Promise<unknown>): Promise<E> {
  try {
    await p;
  } catch (err) {
    return err as E;
  }
  throw new Error('expected the call to fail');
}
