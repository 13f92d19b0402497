import { ComfyError } from './errors.js';

/**
 * No ComfyUI server here can run a template (a missing node type or model). `problems` are sentences naming
 * what is missing and where it comes from, e.g. "node type VHS_VideoCombine is not installed — it comes from
 * the ComfyUI-VideoHelperSuite custom nodes".
 */
export class TemplateUnfitError extends ComfyError {
  override name = 'TemplateUnfitError';
  constructor(readonly template: string, readonly problems: readonly string[]) {
    super(`template ${template} cannot run on any ComfyUI server here: ${problems.join('; ')}`);
  }
}
