// The staff console, served by the API process at `/`: security plugins, sessions, assets, and the page routes.
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { render } from 'preact-render-to-string';
import { StaffSessions } from './session';
import { ErrorPage } from './pages/error';
import { SignInPage } from './pages/sign-in';
import type { ConsoleContext, ConsoleOptions } from './context';
import { registerHandoffPages } from './handoff-pages';
import { registerLedgerPages } from './ledger-pages';
import { registerMailboxPages } from './mailbox-pages';
import { registerNotificationPages } from './notification-pages';

export type { ConsoleContext, ConsoleOptions, SandboxMailbox } from './context';

const ASSETS = path.join(__dirname, 'assets');
const VENDOR: Record<string, string> = {
  'htmx.min.js': path.dirname(require.resolve('htmx.org/dist/htmx.min.js')),
  // chart.js exports no subpaths; its main entry sits in dist/ beside the UMD build.
  'chart.umd.min.js': path.dirname(require.resolve('chart.js')),
};

/** No inline script or style anywhere; forms post only here; never framed. */
const CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
};

export function registerConsole(app: FastifyInstance, options: ConsoleOptions): void {
  // Encapsulated: the security headers, cookies and form parsing apply to the console's routes, not to the API's.
  void app.register(async (scope) => {
    await scope.register(fastifyHelmet, {
      contentSecurityPolicy: { useDefaults: false, directives: CSP },
      // The console is served over plain HTTP on loopback too; HSTS belongs to the TLS proxy in front.
      hsts: false,
    });
    await scope.register(fastifyCookie, { secret: options.sessionSecret });
    await scope.register(fastifyCsrf, {
      sessionPlugin: '@fastify/cookie',
      cookieOpts: { signed: true, httpOnly: true, sameSite: 'strict', path: '/' },
    });
    await scope.register(fastifyFormbody);
    await scope.register(fastifyStatic, { root: ASSETS, prefix: '/console/assets/', index: false });

    const sessions = new StaffSessions(options.staffTokens);
    const ctx: ConsoleContext = {
      options,
      notifier:
        options.notifier ??
        (scope.hasDecorator('handoffNotifier') ? (scope.handoffNotifier ?? undefined) : undefined),
      sessions,
      pollSeconds: options.pollSeconds ?? 5,
      frame: (request, reply, current) => ({
        ...(request.staff?.name ? { staffName: request.staff.name } : {}),
        signedIn: request.staff !== null,
        open: sessions.open,
        sandbox: options.mailbox !== undefined,
        csrfToken: reply.generateCsrf(),
        current,
      }),
      send: (reply, page, status = 200) =>
        reply
          .status(status)
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .send(`<!doctype html>${render(page)}`),
      staffOnly: async (request, reply) => {
        request.staff = sessions.staffOf(request) ?? null;
        if (request.staff) return undefined;
        if (request.method === 'GET') return reply.redirect('/console/sign-in', 303);
        return ctx.send(
          reply,
          ErrorPage({ frame: ctx.frame(request, reply, 'sign-in'), status: 401, message: 'Sign in first.' }),
          401,
        );
      },
      csrf: scope.csrfProtection.bind(scope),
    };

    scope.setErrorHandler((error: unknown, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      const code = (error as { code?: string }).code;
      const message =
        code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET'
          ? 'This form has expired or came from another site: reload the page and try again.'
          : status < 500
            ? (error as Error).message
            : 'Internal error; see the service log.';
      if (status >= 500) scope.log.error(error);
      return ctx.send(
        reply,
        ErrorPage({ frame: ctx.frame(request, reply, 'handoffs'), status, message }),
        status,
      );
    });

    for (const [file, dir] of Object.entries(VENDOR)) {
      scope.get(`/console/assets/vendor/${file}`, (_request, reply) => reply.sendFile(file, dir));
    }

    scope.get('/console/sign-in', async (request, reply) => {
      if (sessions.open || sessions.staffOf(request)) return reply.redirect('/', 303);
      request.staff = null;
      return ctx.send(reply, SignInPage({ frame: ctx.frame(request, reply, 'sign-in') }));
    });

    scope.post('/console/sign-in', { preHandler: ctx.csrf }, async (request, reply) => {
      const token = (request.body as { token?: unknown } | undefined)?.token;
      if (typeof token === 'string' && sessions.signIn(reply, token)) return reply.redirect('/', 303);
      request.staff = null;
      return ctx.send(
        reply,
        SignInPage({
          frame: ctx.frame(request, reply, 'sign-in'),
          refused: 'That token is not one of the staff tokens (HANDOFF_API_TOKEN). Check it and try again.',
        }),
        401,
      );
    });

    scope.post('/console/sign-out', { preHandler: ctx.csrf }, async (_request, reply) => {
      sessions.signOut(reply);
      return reply.redirect('/console/sign-in', 303);
    });

    registerHandoffPages(scope, ctx);
    registerLedgerPages(scope, ctx);
    registerNotificationPages(scope, ctx);
    if (options.mailbox) registerMailboxPages(scope, ctx, options.mailbox);
  });
}
