/**
 * The runtime's side of an environment's lifecycle, as the Lambda Runtime API sees it. State names are
 * the ones AWS's Runtime Interface Emulator puts in its `InvalidStateTransition` messages.
 */
export type RuntimeStateName =
  | 'Started'
  | 'InitError'
  | 'Ready'
  | 'InvocationResponse'
  | 'InvocationErrorResponse'
  | 'RuntimeResponseSentState';

export type RuntimeEvent =
  /** `GET /runtime/invocation/next` */
  | 'next'
  /** `POST /runtime/invocation/{id}/response` accepted, body being read */
  | 'response'
  /** `POST /runtime/invocation/{id}/error` accepted, body being read */
  | 'error'
  /** `POST /runtime/init/error` */
  | 'initError'
  /** the response or error body was read completely */
  | 'sent'
  /** the connection broke while the body was being read: the runtime may try again */
  | 'bodyAborted';

const TRANSITIONS: Readonly<Record<RuntimeStateName, Partial<Record<RuntimeEvent, RuntimeStateName>>>> = {
  Started: { next: 'Ready', initError: 'InitError' },
  InitError: {},
  // `next` while Ready re-polls: the current invocation (if any) is handed out again, as the emulator does.
  Ready: { next: 'Ready', response: 'InvocationResponse', error: 'InvocationErrorResponse' },
  InvocationResponse: { sent: 'RuntimeResponseSentState', bodyAborted: 'Ready' },
  InvocationErrorResponse: { sent: 'RuntimeResponseSentState', bodyAborted: 'Ready' },
  RuntimeResponseSentState: { next: 'Ready' },
};

/** The state a refused request would have moved to, for the error message. */
export const REQUESTED_STATE: Readonly<
  Record<'next' | 'response' | 'error' | 'initError', RuntimeStateName>
> = {
  next: 'Ready',
  response: 'InvocationResponse',
  error: 'InvocationErrorResponse',
  initError: 'InitError',
};

export function transition(state: RuntimeStateName, event: RuntimeEvent): RuntimeStateName | undefined {
  return TRANSITIONS[state][event];
}
