import type { AutocompleteInteraction, ChatInputCommandInteraction, RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { InputImage } from '../comfy/runner.js';
import type { AttachmentInfo } from '../discord/input-image.js';
import type { Messages } from '../discord/messages.js';
import type { Logger } from '../log.js';
import type { AdminService } from '../service/admin.js';
import type { JobService, Requester } from '../service/jobs.js';

/** What a command may use: the job service, the sentences, the log, and the download of an attached image. */
export interface CommandDeps {
  jobs: JobService;
  /** What /bot does for admins. */
  admin: AdminService;
  messages: Messages;
  logger: Logger;
  /** Downloads and checks an attachment with the configured limits. */
  fetchImage: (attachment: AttachmentInfo) => Promise<InputImage>;
  /** Downloads any attachment (a workflow file) from Discord's hosts. */
  fetchFile: (attachment: AttachmentInfo) => Promise<Buffer>;
}

/**
 * A slash command: its definition (with option limits) and its handler. The router has checked access and tells
 * the handler who is asking; handlers throw UserErrors, and the router answers them privately.
 */
export interface Command {
  data: RESTPostAPIChatInputApplicationCommandsJSONBody;
  execute(interaction: ChatInputCommandInteraction, deps: CommandDeps, caller: Requester): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, deps: CommandDeps, caller: Requester): Promise<void>;
}
