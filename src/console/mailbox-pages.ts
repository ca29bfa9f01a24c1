// Sandbox only: the simulator's outbox, and accepting an invite as the customer would.
import type { FastifyInstance } from 'fastify';
import type { ConsoleContext, SandboxMailbox } from './context';
import { MailboxPage } from './pages/mailbox';

export function registerMailboxPages(
  scope: FastifyInstance,
  ctx: ConsoleContext,
  mailbox: SandboxMailbox,
): void {
  scope.get('/console/mailbox', { preHandler: ctx.staffOnly }, async (request, reply) => {
    const accepted = (request.query as { accepted?: string }).accepted === '1';
    return ctx.send(
      reply,
      MailboxPage({
        frame: ctx.frame(request, reply, 'mailbox'),
        emails: [...mailbox.emails()].reverse(),
        ...(accepted
          ? { notice: 'Accepted at the simulated Wix. The handoff sees it at its next acceptance check.' }
          : {}),
      }),
    );
  });

  scope.post(
    '/console/mailbox/:inviteId/accept',
    { preHandler: [ctx.staffOnly, ctx.csrf] },
    async (request, reply) => {
      try {
        mailbox.accept((request.params as { inviteId: string }).inviteId);
      } catch (err) {
        return ctx.send(
          reply,
          MailboxPage({
            frame: ctx.frame(request, reply, 'mailbox'),
            emails: [...mailbox.emails()].reverse(),
            refused: `The simulated Wix refused: ${err instanceof Error ? err.message : String(err)}`,
          }),
          409,
        );
      }
      return reply.redirect('/console/mailbox?accepted=1', 303);
    },
  );
}
