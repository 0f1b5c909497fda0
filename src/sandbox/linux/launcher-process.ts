/**
 * A launcher process (launcher.ts), spawned possibly long before its sandbox starts: it
 * joins its cgroup at once and parks until configure() sends the configuration. What it
 * reports before a sandbox attaches is kept and replayed.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import type { OutputStream } from '../sandbox.js';
import { lineSplitter } from '../util.js';

export interface LauncherHandlers {
  output(stream: OutputStream, chunk: Buffer): void;
  event(line: string): void;
  /** The launcher and every holder of its output pipes are gone. */
  close(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): void;
}

export class LauncherProcess {
  private readonly child: ChildProcess;
  private handlers: LauncherHandlers | undefined;
  private backlog: Array<(h: LauncherHandlers) => void> = [];
  private spawnError: Error | undefined;
  closed = false;
  /** In its cgroup and waiting: configure() now costs no cgroup migration. */
  parked = false;

  constructor(perl: string, script: string, cgroupProcs: readonly string[]) {
    // An empty environment: PERL5OPT and friends must not reach a root process. Its own session
    // (detached: setsid), inherited by the sandbox: a terminal's Ctrl-C or a supervisor's SIGTERM
    // sent to the server's process group reaches the server only, which then stops its sandboxes
    // in order; a runtime never sees a SIGINT meant for the server.
    this.child = spawn(perl, [script, ...cgroupProcs], {
      env: {},
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const { child } = this;
    child.stdin?.on('error', () => {});
    child.stdout?.on('data', (chunk: Buffer) => this.emit((h) => h.output('stdout', chunk)));
    child.stderr?.on('data', (chunk: Buffer) => this.emit((h) => h.output('stderr', chunk)));
    child.stdio[3]?.on(
      'data',
      lineSplitter((line) => {
        if (line === 'parked') this.parked = true;
        else this.emit((h) => h.event(line));
      }),
    );
    child.on('error', (err) => {
      this.spawnError = err;
    });
    child.on('close', (code, signal) => {
      this.closed = true;
      this.emit((h) => h.close(code, signal, this.spawnError));
    });
  }

  /** Called once the launcher has ended, whether or not a sandbox is attached. */
  onClose(fn: () => void): void {
    this.child.once('close', fn);
  }

  attach(handlers: LauncherHandlers): void {
    this.handlers = handlers;
    for (const fn of this.backlog) fn(handlers);
    this.backlog = [];
  }

  /** The last message: stdin closes after it. */
  configure(config: Buffer): void {
    this.child.stdin?.end(config);
  }

  /** A message with more to follow (a pooled sandbox's configuration, before its assignment). */
  send(config: Buffer): void {
    this.child.stdin?.write(config);
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private emit(fn: (h: LauncherHandlers) => void): void {
    if (this.handlers) fn(this.handlers);
    else this.backlog.push(fn);
  }
}
