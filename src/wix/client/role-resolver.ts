// Maps a role title (or id) to a Wix role id, caching Get Roles Info so invites don't cost an extra call each.
import { WixApiError } from './errors';
import type { RoleInfo } from './wire-types';

export interface ResolvedRole {
  id: string;
  title?: string;
}

interface CachedRoles {
  roles: Promise<RoleInfo[]>;
  expiresAt?: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function looksLikeRoleId(role: string): boolean {
  return /^\d+$/.test(role) || GUID.test(role);
}

function normaliseTitle(title: string): string {
  return title.trim().toLowerCase();
}

export class RoleResolver {
  private cache?: CachedRoles;

  constructor(
    private readonly fetchSiteLevelRoles: () => Promise<RoleInfo[]>,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async resolve(role: string): Promise<ResolvedRole> {
    const wanted = role.trim();
    if (looksLikeRoleId(wanted)) return { id: wanted };
    const roles = await this.roles();
    const match = roles.find(
      (r) => r.id && r.title !== undefined && normaliseTitle(r.title) === normaliseTitle(wanted),
    );
    if (match?.id) return { id: match.id, ...(match.title !== undefined ? { title: match.title } : {}) };
    const titles = roles.flatMap((r) => (r.id && r.title ? [`"${r.title}"`] : []));
    throw new WixApiError({
      kind: 'unknown-role',
      message:
        `Unknown Wix role "${wanted}". Roles available at site level: ${titles.length ? titles.join(', ') : '(none)'}. ` +
        'Use one of these titles or a role id.',
      operation: 'getRolesInfo',
      retryable: false,
      mayHaveBeenProcessed: false,
    });
  }

  private roles(): Promise<RoleInfo[]> {
    const cached = this.cache;
    // An in-flight fetch has no expiry yet and is shared by every concurrent caller.
    if (cached && (cached.expiresAt === undefined || this.now() < cached.expiresAt)) return cached.roles;
    const entry: CachedRoles = { roles: this.fetchSiteLevelRoles() };
    this.cache = entry;
    void entry.roles.then(
      () => {
        entry.expiresAt = this.now() + this.ttlMs;
      },
      () => {
        // Failures are not cached: the next caller tries again.
        if (this.cache === entry) this.cache = undefined;
      },
    );
    return entry.roles;
  }
}
