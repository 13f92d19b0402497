import { clip } from '../secrets.js';
import type { NodeErrors, PromptErrorBody } from './schemas.js';

/** Base of every error the ComfyUI client throws; `serverUrl` names which server, never its credentials. */
export class ComfyError extends Error {
  override name = 'ComfyError';
}

export class ComfyUnreachableError extends ComfyError {
  override name = 'ComfyUnreachableError';
  constructor(readonly serverUrl: string, options?: ErrorOptions) {
    super(`ComfyUI at ${serverUrl} is not reachable; check that it is running and that COMFYUI_URL is right`, options);
  }
}

export class ComfyTimeoutError extends ComfyError {
  override name = 'ComfyTimeoutError';
  constructor(readonly url: string, readonly timeoutMs: number, options?: ErrorOptions) {
    super(`ComfyUI did not answer ${url} within ${timeoutMs} ms`, options);
  }
}

export class ComfyHttpError extends ComfyError {
  override name = 'ComfyHttpError';
  constructor(readonly status: number, readonly url: string, readonly body: string) {
    super(`ComfyUI answered ${status} to ${url}${body ? `: ${clip(body, 200)}` : ''}`);
  }
}

/** The response had a shape this client does not understand (a proxy's HTML page, a changed API). */
export class ComfyProtocolError extends ComfyError {
  override name = 'ComfyProtocolError';
  constructor(readonly url: string, detail: string) {
    super(`ComfyUI's answer to ${url} was not what the API documents: ${detail}`);
  }
}

/** POST /prompt answered 400: the workflow failed validation. */
export class PromptRejectedError extends ComfyError {
  override name = 'PromptRejectedError';
  readonly errorType: string;
  readonly nodeErrors: NodeErrors;
  constructor(readonly body: PromptErrorBody, readonly sentences: string[]) {
    super(sentences.join(' '));
    this.errorType = typeof body.error === 'string' ? 'legacy' : body.error.type;
    this.nodeErrors = body.node_errors;
  }
}

/** The prompt ran and a node raised (execution_error). */
export class ExecutionFailedError extends ComfyError {
  override name = 'ExecutionFailedError';
  constructor(
    readonly promptId: string,
    readonly nodeId: string,
    readonly nodeType: string,
    readonly exceptionType: string,
    readonly exceptionMessage: string,
  ) {
    super(`node ${nodeId} (${nodeType}) failed: ${firstLine(exceptionMessage)}`);
  }

  get outOfMemory(): boolean {
    return /OutOfMemory|out of memory/i.test(`${this.exceptionType} ${this.exceptionMessage}`);
  }
}

export class ExecutionInterruptedError extends ComfyError {
  override name = 'ExecutionInterruptedError';
  constructor(readonly promptId: string, readonly nodeId: string | null, readonly nodeType: string | null) {
    super(`prompt ${promptId} was interrupted${nodeType ? ` at ${nodeType}` : ''}`);
  }
}

/** The prompt is in neither /queue nor /history: the server restarted or the entry was deleted. */
export class PromptLostError extends ComfyError {
  override name = 'PromptLostError';
  constructor(readonly promptId: string) {
    super(`ComfyUI no longer knows prompt ${promptId} (it restarted or the prompt was deleted)`);
  }
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
