/**
 * Reads a streamed HTTP answer whose handler waits for a signal before it finishes (the GATED
 * handlers of the streaming tests): once the text read so far starts with `first`, it must be
 * exactly `first` — the handler's end cannot have come before that chunk — and `release` is
 * called to let the handler go on. Returns the whole text.
 */
import assert from 'node:assert/strict';

export async function readGated(
  res: Response,
  first: string,
  release: () => Promise<unknown>,
): Promise<string> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let released = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (!released && text.startsWith(first)) {
      assert.equal(text, first);
      released = true;
      await release();
    }
  }
  assert.ok(released, 'the first chunk came on its own');
  return text;
}
