// Roles the simulator knows at start: the ids documented in Get Roles Info's example plus invented ids for the rest.
import type { RoleRestriction } from '../client/wire-types';

export interface SimulatorRole {
  id: string;
  title: string;
  description?: string;
  restrictFromLevel?: RoleRestriction;
  custom?: boolean;
}

export const SIMULATOR_ROLES = {
  owner: '6601492336091027458',
  accountAdminCoOwner: '6642345101181663232',
  adminCoOwner: '6732588207941061632',
  customRole: '7046409866117489206',
  // Seen untitled in Wix's Change Role example; real Website Manager id is undocumented.
  websiteManager: '6600344420111308827',
  // Invented: Wix documents no ids for these.
  websiteDesigner: '7100000000000000001',
  backOfficeManager: '7100000000000000002',
} as const;

export const DEFAULT_SIMULATOR_ROLES: readonly SimulatorRole[] = [
  { id: SIMULATOR_ROLES.owner, title: 'Owner', description: 'Owns the site.' },
  {
    id: SIMULATOR_ROLES.accountAdminCoOwner,
    title: 'Account Admin (Co-Owner)',
    description: 'Co-owns the whole account.',
    restrictFromLevel: 'Site',
  },
  {
    id: SIMULATOR_ROLES.adminCoOwner,
    title: 'Admin (Co-Owner)',
    description: 'Full site management including billing, domains and inviting people.',
    restrictFromLevel: 'Account',
  },
  {
    id: SIMULATOR_ROLES.websiteManager,
    title: 'Website Manager',
    description: 'Manages, edits and publishes the site; no billing, deleting or transferring.',
  },
  {
    id: SIMULATOR_ROLES.websiteDesigner,
    title: 'Website Designer',
    description: 'Edits and publishes the site.',
  },
  {
    id: SIMULATOR_ROLES.backOfficeManager,
    title: 'Back Office Manager',
    description: 'Manages the business from the dashboard without editing the site.',
  },
  {
    id: SIMULATOR_ROLES.customRole,
    title: 'Agency Custom Role',
    description: 'A custom role.',
    custom: true,
  },
];
