/** Every sentence a member sees, keyed by id; a Simplified Chinese catalog can sit beside this one. */
export const en = {
  'queue.position': 'Queued as job `{id}` — you are #{position} in line.',
  'queue.next': 'Queued as job `{id}` — you are next.',
  'progress.comfyQueue': 'Job `{id}` is waiting in ComfyUI\'s queue (position {position}){server}.',
  'progress.started': 'Job `{id}` started{server}.',
  'progress.node': 'Job `{id}` is running{server}…',
  'progress.sampling': 'Job `{id}`: {bar} sampling {value}/{max}{server}',
  'progress.delivering': 'Job `{id}` is done; uploading…',
  'done.content': '{mention} {summary}',
  'done.summary': 'Done in {seconds} s.',
  'done.late': '{mention} your job `{id}` finished after Discord\'s 15-minute reply window, so here it is.',
  'done.noFiles': 'Job `{id}` finished but ComfyUI produced no files.',
  'embed.prompt': 'Prompt',
  'embed.negative': 'Negative',
  'embed.seed': 'Seed',
  'embed.steps': 'Steps',
  'embed.cfg': 'CFG',
  'embed.sampler': 'Sampler',
  'embed.checkpoint': 'Checkpoint',
  'embed.time': 'Time',
  'embed.frames': 'Frames',
  'embed.fps': 'FPS',
  'embed.motion': 'Motion',
  'embed.shrunk': 'Shrunk to fit the upload limit',
  'comfy.down': 'ComfyUI is unreachable right now. Job `{id}` is kept and will run as soon as it is back.',
  'fail.rejected': 'ComfyUI refused job `{id}`: {reason}',
  'fail.node': 'Job `{id}` failed in {nodeType}: {message}',
  'fail.oom': 'The GPU ran out of memory on job `{id}` ({nodeType}). Try a smaller size or fewer frames.',
  'fail.lost': 'ComfyUI lost job `{id}` twice (it restarted). Please try again.',
  'fail.interrupted': 'Job `{id}` was stopped on the ComfyUI server.',
  'fail.unreachable': 'ComfyUI could not be reached for job `{id}`.',
  'fail.tooLarge': 'Job `{id}` finished, but its result ({size}) is larger than this channel allows ({limit}) even after shrinking it.',
  'fail.delivery': 'Job `{id}` finished, but I could not post the result here: {reason}',
  'fail.unexpected': 'Something went wrong on our side (reference `{ref}`). An admin can find the details in the logs.',
  'cancelled': 'Job `{id}` was cancelled.',
  'input.quota': 'You already have {limit} jobs waiting. Wait for one to finish, or cancel one with /cancel.',
  'input.invalid': '{reason}',
  'input.unknownTemplate': 'There is no template "{name}". Available: {names}.',
  'input.wrongTemplate': 'Template "{name}" is for /{command}, not /{used}.',
  'input.notInstalled': '{what} "{value}" is not available on this server. Available: {options}.',
  'image.missing': 'Attach an image to animate.',
  'image.type': 'That attachment is {type}; attach a PNG, JPEG or WebP picture.',
  'image.empty': 'That attachment is empty (0 bytes).',
  'image.tooBig': 'That image is {size}; the limit is {limit}.',
  'image.tooManyPixels': 'That image is {width}×{height}; the largest side may be {max} pixels.',
  'image.undecodable': 'That file could not be read as an image (it may be truncated or corrupt).',
  'image.host': 'That attachment does not come from Discord, so I will not download it.',
  'image.download': 'I could not download that attachment ({reason}). Please try again.',
  'queue.title': 'Queue',
  'queue.empty': 'Nothing is queued. ComfyUI reports {remaining} prompt(s) of its own.',
  'queue.running': '**Now:** `{id}` {command} by {user}{mine} — {progress} ({age})',
  'queue.waitingHeader': '**Waiting, in the order they will run:**',
  'queue.waiting': '{index}. `{id}` {command} by {user}{mine} — {age} ago',
  'queue.more': '… and {count} more.',
  'queue.mine': ' (yours)',
  'queue.comfy': 'ComfyUI reports {remaining} prompt(s) in its own queue.',
  'queue.comfyDown': 'ComfyUI is not answering right now.',
  'bot.restarting': 'The bot is restarting; please try again in a minute.',
  'cancel.none': 'You have no job to cancel.',
  'cancel.notFound': 'There is no active job `{id}`.',
  'cancel.notYours': 'Job `{id}` is not yours to cancel.',
  'cancel.finished': 'Job `{id}` has already finished.',
  'cancel.removed': 'Cancelled job `{id}` before it started.',
  'cancel.deleted': 'Cancelled job `{id}`; it is removed from ComfyUI\'s queue.',
  'cancel.interrupted': 'Stopping job `{id}` on ComfyUI…',
  'cancel.all': 'Cancelled {count} job(s).',
  'cancel.allForbidden': 'Only members with Manage Server{role} may cancel everything.',
} as const;

export type MessageId = keyof typeof en;
export type Catalog = Record<MessageId, string>;

export function format(catalog: Catalog, id: MessageId, values: Record<string, string | number> = {}): string {
  return catalog[id].replace(/\{(\w+)\}/g, (whole, key: string) => (key in values ? String(values[key]) : whole));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}
