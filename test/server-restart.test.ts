// The Temporal dev server stopped and started again on its SQLite file with a handoff mid-flight:
// the durable timer still fires and nothing is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServer } from '../src/dev-server';
import { completeProject, getHandoffStatus } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import { WixClient } from '../src/wix/client/wix-client';
import { WixSimulator } from '../src/wix/simulator/wix-simulator';
import type { HandoffStatus } from '../workflows/handoff-types';
import { TEST_DATA_CONVERTER, workflowBundle } from './support/temporal';
import { testLedger } from './support/ledger';

const SITE = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const OWNER = 'owner@customer.example';
const PORTS = { temporal: 27233, ui: 28233 };

test('a reminder timer set before a server restart fires after it', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'handoff-restart-'));
  const sim = await WixSimulator.start({ rateLimitPerMinute: 0 });
  const accountId = sim.addAccount();
  const apiKey = sim.addApiKey({ accountId });
  sim.addSite({ ownerAccountId: accountId, siteId: SITE });
  const wix = new WixClient({ baseUrl: sim.url, apiKey, accountId, timeoutMs: 2_000 });
  const serverOptions = { dataDir, port: PORTS.temporal, uiPort: PORTS.ui, namespace: 'default' };
  let server: DevServer | undefined;

  /** One life of the service: connect, run workers for `fn`, disconnect. */
  async function withService<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const connection = await Connection.connect({ address: server!.address });
    const native = await NativeConnection.connect({ address: server!.address });
    try {
      const client = new Client({ connection, dataConverter: TEST_DATA_CONVERTER });
      const workers = await HandoffWorkers.create({
        connection: native,
        taskQueue: 'restart-test',
        wix,
        ledger: await testLedger(),
        workflowBundle: await workflowBundle(),
        dataConverter: TEST_DATA_CONVERTER,
        tuning: { shutdownGraceTime: '1 second' },
      });
      return await workers.runUntil(() => fn(client));
    } finally {
      await native.close();
      await connection.close();
    }
  }
  async function until(client: Client, check: (s: HandoffStatus) => boolean): Promise<HandoffStatus> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const status = await getHandoffStatus(client, `handoff-${SITE}`);
      if (status && check(status)) return status;
      if (Date.now() > deadline) throw new Error(`Timed out; last status ${JSON.stringify(status)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  try {
    server = await startDevServer(serverOptions);
    await withService(async (client) => {
      const payload = { projectId: 'PRJ-9', siteId: SITE, customerEmails: [OWNER], role: 'Admin (Co-Owner)' };
      await completeProject(
        client,
        { ...payload, policy: { reminders: ['12s'] } },
        { taskQueue: 'restart-test' },
      );
      await until(client, (s) => s.state === 'pending');
    });
    await server.stop();
    server = await startDevServer(serverOptions);
    const status = await withService((client) => until(client, (s) => s.remindersSent === 1));
    expect(status.invitees[0]).toMatchObject({ email: OWNER, status: 'pending', remindersSent: 1 });
    expect(sim.outbox().map((m) => m.kind)).toEqual(['invite', 'resend']);
  } finally {
    await server?.stop();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 150_000);
