// In-memory Wix world for the simulator: accounts, keys, sites, roles, invites, contributors and the email outbox.
import { randomBytes, randomUUID } from 'node:crypto';
import { SimHttpError, violation } from './http';
import { DEFAULT_SIMULATOR_ROLES, type SimulatorRole } from './roles';
import type { RoleLevel, SiteInvite, SiteInviteStatus, WixFieldViolation } from '../client/wire-types';

interface SimulatorBehaviour {
  inviteValidityMs: number;
  duplicatePendingInvite: 'fail' | 'create' | 'existing';
  invalidEmail: 'failed' | 'reject';
  revokeDeleted: 'ok' | 'reject';
  resendUsedOrDeleted: 'precondition' | 'bad-request';
}

interface SimAccount {
  id: string;
  ownerUserId: string;
}

export interface SimApiKey {
  key: string;
  accountId: string;
  permissions: ReadonlySet<string>;
}

export interface SimSite {
  id: string;
  ownerAccountId: string;
  seatLimit: number;
}

type StoredStatus = Exclude<SiteInviteStatus, 'Expired'>;

interface StoredInvite {
  id: string;
  siteId: string;
  email: string;
  policyIds: string[];
  inviterAccountId: string;
  status: StoredStatus;
  token: string;
  createdMs: number;
  expiresMs: number;
  acceptedByAccountId?: string;
}

interface SimContributor {
  accountId: string;
  accountOwnerId: string;
  policyIds: string[];
  locationIds: string[];
  email?: string;
}

export interface OutboxEmail {
  to: string;
  kind: 'invite' | 'resend';
  inviteId: string;
  siteId: string;
  at: string;
  language?: string;
}

export const MANAGE_CONTRIBUTORS = 'Manage Contributors';
const DEFAULT_SEAT_LIMIT = 10;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

function isGuid(value: string): boolean {
  return GUID.test(value);
}

export function isValidEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

const iso = (ms: number): string => new Date(ms).toISOString();

export class SimulatorState {
  private readonly accounts = new Map<string, SimAccount>();
  private readonly keys = new Map<string, SimApiKey>();
  private readonly sites = new Map<string, SimSite>();
  private readonly roles = new Map<string, SimulatorRole>();
  private readonly inviteStore = new Map<string, StoredInvite>();
  private readonly siteContributors = new Map<string, Map<string, SimContributor>>();
  private readonly sentEmails: OutboxEmail[] = [];
  private acceptLinkBase = 'http://127.0.0.1';
  /** Told of every email sent (the simulated customers count them). */
  onEmailSent: ((email: OutboxEmail, now: number) => void) | undefined;
  /** Told when an accepted invite made a new contributor (the simulator's Contributor Created webhook). */
  onContributorCreated:
    | ((event: { siteId: string; contributor: SimContributor; ownerAccountId: string; at: number }) => void)
    | undefined;

  constructor(private readonly behaviour: SimulatorBehaviour) {
    for (const role of DEFAULT_SIMULATOR_ROLES) this.addRole(role);
  }

  setAcceptLinkBase(url: string): void {
    this.acceptLinkBase = url;
  }

  // ---- setup ----

  addAccount(accountId: string = randomUUID()): string {
    if (!this.accounts.has(accountId))
      this.accounts.set(accountId, { id: accountId, ownerUserId: randomUUID() });
    return accountId;
  }

  addApiKey(opts: { accountId: string; key?: string; permissions?: string[] }): string {
    const key = opts.key ?? `IST.sim-${randomBytes(24).toString('base64url')}`;
    if (this.keys.has(key)) throw new Error('addApiKey: this key already exists');
    this.addAccount(opts.accountId);
    this.keys.set(key, {
      key,
      accountId: opts.accountId,
      permissions: new Set(opts.permissions ?? [MANAGE_CONTRIBUTORS]),
    });
    return key;
  }

  addSite(opts: { ownerAccountId: string; siteId?: string; seatLimit?: number }): string {
    const siteId = opts.siteId ?? randomUUID();
    if (this.sites.has(siteId)) throw new Error(`addSite: site ${siteId} already exists`);
    this.addAccount(opts.ownerAccountId);
    this.sites.set(siteId, {
      id: siteId,
      ownerAccountId: opts.ownerAccountId,
      seatLimit: opts.seatLimit ?? DEFAULT_SEAT_LIMIT,
    });
    this.siteContributors.set(siteId, new Map());
    return siteId;
  }

  addRole(role: SimulatorRole): void {
    this.roles.set(role.id, { ...role });
  }

  addContributor(siteId: string, opts: { accountId?: string; policyIds: string[]; email?: string }): string {
    const accountId = this.addAccount(opts.accountId);
    this.addRolesToContributor(this.requireSite(siteId).id, accountId, opts.policyIds, opts.email);
    return accountId;
  }

  // ---- lookups used by auth ----

  findKey(key: string): SimApiKey | undefined {
    return this.keys.get(key);
  }

  findSite(siteId: string): SimSite | undefined {
    return this.sites.get(siteId);
  }

  hasAccount(accountId: string): boolean {
    return this.accounts.has(accountId);
  }

  // ---- the customer's side ----

  acceptInvite(
    inviteId: string,
    accountId: string | undefined,
    now: number,
  ): { accountId: string; invite: SiteInvite } {
    const invite = this.requireInvite(inviteId);
    const status = this.statusAt(invite, now);
    if (status !== 'Pending')
      throw new SimHttpError(409, `invite ${inviteId} is ${status} and cannot be accepted`);
    const acceptedBy = this.addAccount(accountId);
    invite.status = 'Used';
    invite.acceptedByAccountId = acceptedBy;
    const created = this.addRolesToContributor(invite.siteId, acceptedBy, invite.policyIds, invite.email);
    if (created) {
      const contributor = this.requireContributors(invite.siteId).get(acceptedBy)!;
      this.onContributorCreated?.({
        siteId: invite.siteId,
        contributor: { ...contributor, policyIds: [...contributor.policyIds] },
        ownerAccountId: this.requireSite(invite.siteId).ownerAccountId,
        at: now,
      });
    }
    return { accountId: acceptedBy, invite: this.toWire(invite, now) };
  }

  acceptByToken(
    token: string,
    accountId: string | undefined,
    now: number,
  ): { accountId: string; invite: SiteInvite } {
    const invite = [...this.inviteStore.values()].find((i) => i.token === token);
    if (!invite) throw new SimHttpError(404, 'no invite has this accept token');
    return this.acceptInvite(invite.id, accountId, now);
  }

  declineInvite(inviteId: string, now: number): SiteInvite {
    const invite = this.requireInvite(inviteId);
    const status = this.statusAt(invite, now);
    if (status !== 'Pending')
      throw new SimHttpError(409, `invite ${inviteId} is ${status} and cannot be declined`);
    invite.status = 'Declined';
    return this.toWire(invite, now);
  }

  // ---- inspection ----

  invites(filter: { siteId?: string; email?: string }, now: number): SiteInvite[] {
    const email = filter.email?.toLowerCase();
    return [...this.inviteStore.values()]
      .filter((i) => filter.siteId === undefined || i.siteId === filter.siteId)
      .filter((i) => email === undefined || i.email.toLowerCase() === email)
      .map((i) => this.toWire(i, now));
  }

  contributors(siteId: string): SimContributor[] {
    return [...this.requireContributors(siteId).values()].map((c) => ({
      ...c,
      policyIds: [...c.policyIds],
      locationIds: [...c.locationIds],
    }));
  }

  outbox(): OutboxEmail[] {
    return this.sentEmails.map((email) => ({ ...email }));
  }

  // ---- Wix operations ----

  assignableRoleViolations(
    policyIds: readonly string[],
    field: (index: number) => string,
  ): WixFieldViolation[] {
    return policyIds.flatMap((id, index) => {
      const role = this.roles.get(id);
      if (!role) return [violation(field(index), `unknown role id "${id}"`)];
      if (role.restrictFromLevel === 'Site')
        return [violation(field(index), `role "${role.title}" cannot be assigned at site level`)];
      return [];
    });
  }

  bulkInvite(
    site: SimSite,
    inviterAccountId: string,
    req: { policyIds: string[]; emails: string[]; language?: string },
    now: number,
  ): { invites: SiteInvite[]; failedEmails: string[] } {
    const invites: SiteInvite[] = [];
    const failedEmails: string[] = [];
    const seen = new Set<string>();
    for (const email of req.emails) {
      const lower = email.toLowerCase();
      if (seen.has(lower)) continue;
      seen.add(lower);
      const existing = this.pendingInvite(site.id, lower, now);
      if (!isValidEmail(email) || this.contributorEmailTaken(site.id, lower)) {
        failedEmails.push(email);
      } else if (existing && this.behaviour.duplicatePendingInvite === 'fail') {
        failedEmails.push(email);
      } else if (existing && this.behaviour.duplicatePendingInvite === 'existing') {
        invites.push(this.toWire(existing, now));
      } else if (this.seatsUsed(site.id, now) >= site.seatLimit) {
        failedEmails.push(email);
      } else {
        const invite = this.createInvite(site.id, inviterAccountId, email, req.policyIds, now);
        this.recordEmail(invite, 'invite', now, req.language);
        invites.push(this.toWire(invite, now));
      }
    }
    return { invites, failedEmails };
  }

  resendInvite(site: SimSite, inviteId: string, language: string | undefined, now: number): SiteInvite {
    const invite = this.inviteOnSite(site, inviteId);
    const status = this.statusAt(invite, now);
    if (status === 'Used' || status === 'Deleted') {
      const code = this.behaviour.resendUsedOrDeleted === 'precondition' ? 428 : 400;
      throw new SimHttpError(code, `invite ${inviteId} is ${status} and cannot be resent`);
    }
    invite.status = 'Pending';
    invite.expiresMs = now + this.behaviour.inviteValidityMs;
    this.recordEmail(invite, 'resend', now, language);
    return this.toWire(invite, now);
  }

  revokeInvite(site: SimSite, inviteId: string, now: number): void {
    const invite = this.inviteOnSite(site, inviteId);
    const status = this.statusAt(invite, now);
    if (status === 'Used')
      throw new SimHttpError(428, `invite ${inviteId} was already accepted; remove the contributor instead`);
    if (status === 'Deleted' && this.behaviour.revokeDeleted === 'reject')
      throw new SimHttpError(428, `invite ${inviteId} was already revoked`);
    invite.status = 'Deleted';
  }

  queryContributors(
    site: SimSite,
    filter: { policyIds: string[]; locationIds: string[] },
  ): { accountId: string; accountOwnerId: string }[] {
    const anyOf = (wanted: string[], have: string[]) =>
      wanted.length === 0 || wanted.some((id) => have.includes(id));
    return [...this.requireContributors(site.id).values()]
      .filter((c) => anyOf(filter.policyIds, c.policyIds) && anyOf(filter.locationIds, c.locationIds))
      .map((c) => ({ accountId: c.accountId, accountOwnerId: c.accountOwnerId }));
  }

  changeRole(
    site: SimSite,
    accountId: string,
    roleIds: string[],
  ): { roleId: string; assignmentId: string }[] {
    const contributor = this.requireContributors(site.id).get(accountId);
    if (!contributor) throw new SimHttpError(404, `contributor ${accountId} not found on site ${site.id}`);
    contributor.policyIds = [...new Set(roleIds)];
    // Wix assignment ids are long numeric strings.
    return contributor.policyIds.map((roleId) => ({ roleId, assignmentId: randomNumericId() }));
  }

  removeContributor(site: SimSite, accountId: string): void {
    const contributors = this.requireContributors(site.id);
    if (!contributors.delete(accountId))
      throw new SimHttpError(404, `contributor ${accountId} not found on site ${site.id}`);
  }

  rolesInfo(level: RoleLevel): { predefinedRoles: SimulatorRole[]; customRoles: SimulatorRole[] } {
    // A level filter keeps only roles not restricted from that level.
    const hidden = level === 'SITE_LEVEL' ? 'Site' : level === 'ACCOUNT_LEVEL' ? 'Account' : undefined;
    const visible = [...this.roles.values()].filter(
      (r) => hidden === undefined || r.restrictFromLevel !== hidden,
    );
    const wire = (r: SimulatorRole): SimulatorRole => ({
      id: r.id,
      title: r.title,
      ...(r.description !== undefined ? { description: r.description } : {}),
      ...(r.restrictFromLevel !== undefined ? { restrictFromLevel: r.restrictFromLevel } : {}),
    });
    return {
      predefinedRoles: visible.filter((r) => !r.custom).map(wire),
      customRoles: visible.filter((r) => r.custom).map(wire),
    };
  }

  // ---- internals ----

  private statusAt(invite: StoredInvite, now: number): SiteInviteStatus {
    return invite.status === 'Pending' && now > invite.expiresMs ? 'Expired' : invite.status;
  }

  private toWire(invite: StoredInvite, now: number): SiteInvite {
    return {
      id: invite.id,
      siteId: invite.siteId,
      email: invite.email,
      policyIds: [...invite.policyIds],
      inviterId: invite.inviterAccountId,
      status: this.statusAt(invite, now),
      acceptLink: `${this.acceptLinkBase}/_simulator/accept?token=${invite.token}`,
      inviterAccountId: invite.inviterAccountId,
      ...(invite.acceptedByAccountId !== undefined
        ? { acceptedByAccountId: invite.acceptedByAccountId }
        : {}),
      dateCreated: iso(invite.createdMs),
      expirationDate: iso(invite.expiresMs),
      locationIds: [],
      callerCapabilities: [],
    };
  }

  private createInvite(
    siteId: string,
    inviterAccountId: string,
    email: string,
    policyIds: string[],
    now: number,
  ): StoredInvite {
    const invite: StoredInvite = {
      id: randomUUID(),
      siteId,
      email,
      policyIds: [...policyIds],
      inviterAccountId,
      status: 'Pending',
      token: randomBytes(18).toString('base64url'),
      createdMs: now,
      expiresMs: now + this.behaviour.inviteValidityMs,
    };
    this.inviteStore.set(invite.id, invite);
    return invite;
  }

  private recordEmail(invite: StoredInvite, kind: OutboxEmail['kind'], now: number, language?: string): void {
    const email: OutboxEmail = {
      to: invite.email,
      kind,
      inviteId: invite.id,
      siteId: invite.siteId,
      at: iso(now),
      ...(language !== undefined ? { language } : {}),
    };
    this.sentEmails.push(email);
    this.onEmailSent?.({ ...email }, now);
  }

  private pendingInvite(siteId: string, lowerEmail: string, now: number): StoredInvite | undefined {
    return [...this.inviteStore.values()].find(
      (i) =>
        i.siteId === siteId && i.email.toLowerCase() === lowerEmail && this.statusAt(i, now) === 'Pending',
    );
  }

  private contributorEmailTaken(siteId: string, lowerEmail: string): boolean {
    return [...this.requireContributors(siteId).values()].some((c) => c.email?.toLowerCase() === lowerEmail);
  }

  // Pending invites and accepted contributors both hold a seat.
  private seatsUsed(siteId: string, now: number): number {
    const pending = [...this.inviteStore.values()].filter(
      (i) => i.siteId === siteId && this.statusAt(i, now) === 'Pending',
    ).length;
    return pending + this.requireContributors(siteId).size;
  }

  private addRolesToContributor(
    siteId: string,
    accountId: string,
    policyIds: string[],
    email?: string,
  ): boolean {
    const contributors = this.requireContributors(siteId);
    const existing = contributors.get(accountId);
    if (existing) {
      existing.policyIds = [...new Set([...existing.policyIds, ...policyIds])];
      existing.email ??= email;
      return false;
    }
    const account = this.accounts.get(accountId);
    contributors.set(accountId, {
      accountId,
      accountOwnerId: account?.ownerUserId ?? randomUUID(),
      policyIds: [...new Set(policyIds)],
      locationIds: [],
      ...(email !== undefined ? { email } : {}),
    });
    return true;
  }

  private requireSite(siteId: string): SimSite {
    const site = this.sites.get(siteId);
    if (!site) throw new SimHttpError(404, `site ${siteId} not found`);
    return site;
  }

  private requireContributors(siteId: string): Map<string, SimContributor> {
    const contributors = this.siteContributors.get(siteId);
    if (!contributors) throw new SimHttpError(404, `site ${siteId} not found`);
    return contributors;
  }

  private requireInvite(inviteId: string): StoredInvite {
    const invite = this.inviteStore.get(inviteId);
    if (!invite) throw new SimHttpError(404, `invite ${inviteId} not found`);
    return invite;
  }

  // An invite of another site is invisible from this site, exactly like an unknown id.
  private inviteOnSite(site: SimSite, inviteId: string): StoredInvite {
    if (!isGuid(inviteId))
      throw new SimHttpError(400, `invite id "${inviteId}" is not a GUID`, [
        violation('inviteId', 'must be a GUID'),
      ]);
    const invite = this.inviteStore.get(inviteId);
    if (!invite || invite.siteId !== site.id)
      throw new SimHttpError(404, `invite ${inviteId} not found on site ${site.id}`);
    return invite;
  }
}

function randomNumericId(): string {
  // 19 digits starting with 7, like the assignment ids in Wix's examples.
  const digits = Array.from(randomBytes(18), (b) => String(b % 10)).join('');
  return `7${digits}`;
}
