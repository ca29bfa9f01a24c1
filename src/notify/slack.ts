// A notification as a Slack incoming-webhook message: a readable line, the facts, and a link to the console.
import type { NotificationEvent, NotificationType } from './events';

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

type SlackText = { type: 'mrkdwn' | 'plain_text'; text: string };
export type SlackBlock =
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'actions'; elements: { type: 'button'; text: SlackText; url: string }[] };

/** Slack reads &, < and > as markup (<!channel> pings everyone): every value from a handoff is escaped. */
export const slackEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const HEADLINES: Record<NotificationType, (d: NotificationEvent['data']) => string> = {
  'handoff.started': (d) => `Handoff started for ${list(d.customerEmails) || 'the customer'}`,
  'handoff.invited': (d) => `Invite sent to ${str(d.email)}`,
  'handoff.reminded': (d) => `Reminder sent to ${str(d.email)}`,
  'handoff.accepted': (d) =>
    `Accepted by ${str(d.email) || 'the customer'}${d.detectedBy === 'staff' ? ` (confirmed by ${str(d.confirmedBy)})` : ''}`,
  'handoff.expired': (d) =>
    `The invite expired without an acceptance${list(d.expiredEmails) ? ` (${list(d.expiredEmails)})` : ''}`,
  'handoff.revoked': (d) =>
    `Revoked${d.revokedBy ? ` by ${str(d.revokedBy)}` : ''}${d.reason ? `: ${str(d.reason)}` : ''}`,
  'handoff.failed': (d) => `Failed, staff needed: ${str(d.failure) || 'see the console'}`,
  'handoff.needs_attention': (d) => `Needs attention: ${str(d.detail) || str(d.reason)}`,
  'handoff.escalated': (d) =>
    `Escalated${d.escalateTo ? ` to ${str(d.escalateTo)}` : ''}: ${str(d.reason) || str(d.cause)}`,
  'handoff.invitee_replaced': (d) => `Invitee ${str(d.email)} replaced by ${str(d.newEmail)}`,
  'handoff.invitee_added': (d) => `Invitee ${str(d.email)} added`,
  'handoff.invitee_removed': (d) => `Invitee ${str(d.email)} removed`,
  'handoff.paused': (d) => `Reminders paused by ${d.actor}${d.reason ? `: ${str(d.reason)}` : ''}`,
  'handoff.resumed': (d) => `Reminders resumed by ${d.actor}`,
};

const list = (value: unknown): string => (Array.isArray(value) ? value.join(', ') : '');

const EMOJI: Partial<Record<NotificationType, string>> = {
  'handoff.accepted': ':white_check_mark:',
  'handoff.failed': ':rotating_light:',
  'handoff.needs_attention': ':warning:',
  'handoff.escalated': ':sos:',
  'handoff.expired': ':hourglass:',
  'handoff.revoked': ':no_entry:',
};

export function slackMessage(event: NotificationEvent): SlackMessage {
  const { data } = event;
  const site = data.projectId ? `project ${data.projectId}` : `site ${data.siteId ?? data.handoffId}`;
  const headline = HEADLINES[event.type](data);
  const emoji = EMOJI[event.type] ? `${EMOJI[event.type]} ` : '';
  return {
    // The fallback for notifications and clients without blocks.
    text: `${emoji}${slackEscape(`${site}: ${headline}`)} <${data.consoleUrl}|Open in the console>`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${emoji}*${slackEscape(site)}*: ${slackEscape(headline)}` },
      },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: slackEscape(
              `${event.type} · state ${data.state} · site ${data.siteId ?? '?'} · ${event.timestamp}`,
            ),
          },
        ],
      },
      {
        type: 'actions',
        elements: [
          { type: 'button', text: { type: 'plain_text', text: 'Open in the console' }, url: data.consoleUrl },
        ],
      },
    ],
  };
}
