/** Runs the real AWS CLI against a Lambent endpoint, as a user would. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type SystemTool, systemTool } from './tools.js';

const run = promisify(execFile);

/** Debian's awscli (v2), or the CLI named by LAMBENT_AWS_CLI; tests skip without one (not in CI). */
export function awsCliTool(): SystemTool {
  return systemTool('the AWS CLI', [process.env.LAMBENT_AWS_CLI, '/usr/bin/aws'], "Debian's awscli");
}

/** The AWS CLI's path, if installed. */
export function findAwsCli(): string | undefined {
  return awsCliTool().path;
}

export function awsCli(cli: string, endpoint: string, home: string) {
  const text = awsCliText(cli, endpoint, home);
  return async (...args: string[]): Promise<unknown> => {
    const stdout = await text('--output', 'json', ...args);
    return stdout.trim() ? JSON.parse(stdout) : undefined;
  };
}

/** The environment the CLI runs with: the default credentials and nothing from this process. */
export function cliEnvironment(home: string): Record<string, string> {
  return {
    PATH: '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
  };
}

/** The same, returning what the CLI printed (for commands such as `logs tail`). */
export function awsCliText(cli: string, endpoint: string, home: string) {
  return async (...args: string[]): Promise<string> => {
    const { stdout } = await run(cli, ['--endpoint-url', endpoint, ...args], {
      env: cliEnvironment(home),
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  };
}

/** A command expected to fail: resolves to what the CLI printed on stderr (rejects if it succeeded). */
export function awsCliFailure(cli: string, endpoint: string, home: string) {
  return async (...args: string[]): Promise<string> => {
    try {
      await run(cli, ['--endpoint-url', endpoint, ...args], { env: cliEnvironment(home) });
    } catch (err) {
      return String((err as { stderr?: string }).stderr);
    }
    throw new Error(`aws ${args.join(' ')} succeeded`);
  };
}

/** `aws lambda create-function` for a Node function (handler index.handler) from a zip on disk. */
export function createNodeFunctionArgs(name: string, zipPath: string): string[] {
  return [
    'lambda',
    'create-function',
    '--function-name',
    name,
    '--runtime',
    'nodejs20.x',
    '--handler',
    'index.handler',
    '--role',
    'arn:aws:iam::000000000000:role/r',
    '--zip-file',
    `fileb://${zipPath}`,
  ];
}
