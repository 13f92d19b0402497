import { z } from 'zod';
import type { DiscordUploader, OutgoingUpload } from './uploader.js';

/** What the bot reads of a message Discord returns: its id and attachments (to keep them when adding more). */
const MessageSchema = z.looseObject({ id: z.string(), attachments: z.array(z.looseObject({ id: z.string() })).catch([]) });
export type PostedMessage = z.infer<typeof MessageSchema>;

/** What a recovery check reads of a channel's recent messages: who posted, with which nonce, files and footers. */
const RecentMessageSchema = z.looseObject({
  id: z.string(),
  author: z.looseObject({ id: z.string() }),
  nonce: z.union([z.string(), z.number()]).nullish().catch(undefined),
  attachments: z.array(z.unknown()).catch([]),
  embeds: z.array(z.looseObject({ footer: z.looseObject({ text: z.string() }).nullish().catch(undefined) })).catch([]),
});
export type RecentMessage = z.infer<typeof RecentMessageSchema>;
const IdSchema = z.looseObject({ id: z.string() });

/** A message that can be edited later: the interaction's reply (its webhook), or a channel message (bot token). */
export type MessageRef =
  | { kind: 'original'; token: string }
  | { kind: 'followup'; token: string; messageId: string }
  | { kind: 'channel'; channelId: string; messageId: string };

/**
 * The Discord REST calls the bot makes outside discord.js, one method each, every answer parsed with zod. The
 * transport (uploader.ts) streams files and waits out rate limits; this names the routes and reads the answers.
 */
export class DiscordRest {
  constructor(private readonly transport: Pick<DiscordUploader, 'send'>, private readonly appId: string) {}

  /** Edits the interaction's reply. Undefined when Discord's answer is not a message (nothing to build on). */
  async editOriginal(token: string, body: unknown, files: readonly OutgoingUpload[] = []): Promise<PostedMessage | undefined> {
    return parsed(await this.transport.send('PATCH', this.originalRoute(token), { body, files, auth: false }));
  }

  async getOriginal(token: string): Promise<PostedMessage> {
    return MessageSchema.parse(await this.transport.send('GET', this.originalRoute(token), { auth: false }));
  }

  async post(channelId: string, body: unknown, files: readonly OutgoingUpload[] = []): Promise<PostedMessage | undefined> {
    return parsed(await this.transport.send('POST', `/channels/${channelId}/messages`, { body, files, auth: true }));
  }

  /** Another message under the interaction (its webhook): no channel permission needed, while the token lives. */
  async followUp(token: string, body: unknown, files: readonly OutgoingUpload[] = []): Promise<PostedMessage | undefined> {
    return parsed(await this.transport.send('POST', `/webhooks/${this.appId}/${token}`, { body, files, auth: false }));
  }

  /** Edits a message shown earlier, wherever it is. */
  async edit(ref: MessageRef, body: unknown, files: readonly OutgoingUpload[] = []): Promise<PostedMessage | undefined> {
    if (ref.kind === 'original') return this.editOriginal(ref.token, body, files);
    if (ref.kind === 'followup') return parsed(await this.transport.send('PATCH', `/webhooks/${this.appId}/${ref.token}/messages/${ref.messageId}`, { body, files, auth: false }));
    return parsed(await this.transport.send('PATCH', `/channels/${ref.channelId}/messages/${ref.messageId}`, { body, files, auth: true }));
  }

  async getMessage(channelId: string, messageId: string): Promise<PostedMessage> {
    return MessageSchema.parse(await this.transport.send('GET', `/channels/${channelId}/messages/${messageId}`, { auth: true }));
  }

  /** A channel's latest messages, newest first. */
  async recentMessages(channelId: string, limit: number): Promise<RecentMessage[]> {
    return z.array(RecentMessageSchema).parse(await this.transport.send('GET', `/channels/${channelId}/messages?limit=${limit}`, { auth: true }));
  }

  /** Opens (or finds) the direct-message channel with a member; returns its id. */
  async openDm(userId: string): Promise<string> {
    return IdSchema.parse(await this.transport.send('POST', '/users/@me/channels', { body: { recipient_id: userId }, auth: true })).id;
  }

  /** The bot's own user id. */
  async me(): Promise<string> {
    return IdSchema.parse(await this.transport.send('GET', '/users/@me', { auth: true })).id;
  }

  private originalRoute(token: string): string {
    return `/webhooks/${this.appId}/${token}/messages/@original`;
  }
}

function parsed(answer: unknown): PostedMessage | undefined {
  const message = MessageSchema.safeParse(answer);
  return message.success ? message.data : undefined;
}
