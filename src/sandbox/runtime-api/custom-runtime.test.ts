/**
 * Proof that the endpoint is the real Runtime API: the shell-script custom runtime from the AWS Lambda
 * Developer Guide ("Tutorial – Building a custom runtime": `bootstrap` + `function.sh`, using curl) runs
 * unchanged against it.
 *
 * The script's shebang is `#!/bin/sh` but it uses bash (`set -o pipefail`, `source`, `function`): on
 * Amazon Linux /bin/sh is bash. Debian's /bin/sh is dash, so the test runs the same file with bash; a
 * provided.al2/al2023 sandbox should give /bin/sh = bash for the same reason.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { eventually, startFixture } from './runtime-fixture.js';

// Verbatim from the tutorial.
const BOOTSTRAP = `#!/bin/sh

set -euo pipefail

# Initialization - load function handler
source $LAMBDA_TASK_ROOT/"$(echo $_HANDLER | cut -d. -f1).sh"

# Processing
while true
do
  HEADERS="$(mktemp)"
  # Get an event. The HTTP request will block until one is received
  EVENT_DATA=$(curl -sS -LD "$HEADERS" -X GET "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/next")

  # Extract request ID by scraping response headers received above
  REQUEST_ID=$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)

  # Run the handler function from the script
  RESPONSE=$($(echo "$_HANDLER" | cut -d. -f2) "$EVENT_DATA")

  # Send the response
  curl -X POST "http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/invocation/$REQUEST_ID/response"  -d "$RESPONSE"
done
`;

const FUNCTION_SH = `function handler () {
  EVENT_DATA=$1
  echo "$EVENT_DATA" 1>&2;
  RESPONSE="Echoing request: '$EVENT_DATA'"

  echo $RESPONSE
}
`;

function has(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('custom runtime (provided.al2023)', () => {
  it('runs the AWS tutorial shell runtime unchanged', {
    skip: !(has('curl') && has('bash')) && 'needs curl and bash',
  }, async () => {
    const f = await startFixture({
      runtime: 'provided.al2023',
      handler: 'function.handler',
      files: { bootstrap: BOOTSTRAP, 'function.sh': FUNCTION_SH },
      command: ['bash', './bootstrap'],
    });
    try {
      assert.deepEqual(await f.endpoint.initialized, { kind: 'ready' });
      for (const text of ['Hello', 'again']) {
        const r = await f.invoke({ text });
        assert.equal(r.kind, 'response');
        assert.equal(r.payload.toString(), `Echoing request: '{"text":"${text}"}'`);
      }
      // The handler logs the event to stderr; curl prints the Runtime API's 202 body to stdout.
      await eventually(() => f.runtime.stderr().includes('{"text":"again"}'));
      assert.ok(f.runtime.stdout().includes('{"status":"OK"}'));
    } finally {
      await f.close();
    }
  });
});
