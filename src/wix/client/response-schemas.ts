// Lenient readers for Wix responses: odd fields are dropped, only a wrongly shaped container is an error.
import { z } from 'zod';
import type { ContributorV2, RoleInfo, RoleRestriction, SiteInvite } from './wire-types';

const optionalString = z.string().optional().catch(undefined);
const nullableString = z.string().nullable().optional().catch(undefined);
const stringList = z
  .array(z.unknown())
  .transform((items) => items.filter((item): item is string => typeof item === 'string'))
  .optional()
  .catch(undefined);

// Missing or null lists become []; items that are not objects are dropped rather than failing the call.
function listOf<T>(item: z.ZodType<T>) {
  return z
    .array(z.unknown())
    .nullish()
    .transform((items) =>
      (items ?? []).flatMap((raw) => {
        const parsed = item.safeParse(raw);
        return parsed.success ? [parsed.data] : [];
      }),
    );
}

const siteInviteSchema: z.ZodType<SiteInvite> = z.object({
  id: optionalString,
  siteId: optionalString,
  email: optionalString,
  policyIds: stringList,
  inviterId: optionalString,
  status: optionalString,
  acceptLink: optionalString,
  inviterAccountId: optionalString,
  acceptedByAccountId: nullableString,
  dateCreated: optionalString,
  staffId: nullableString,
  expirationDate: optionalString,
  locationIds: stringList,
  callerCapabilities: stringList,
});

const contributorSchema: z.ZodType<ContributorV2> = z.object({
  accountId: optionalString,
  accountOwnerId: optionalString,
});

const restrictionSchema: z.ZodType<RoleRestriction | undefined> = z
  .enum(['NoRestriction', 'Site', 'Account'])
  .optional()
  .catch(undefined);

const roleInfoSchema: z.ZodType<RoleInfo> = z.object({
  id: optionalString,
  title: optionalString,
  description: optionalString,
  restrictFromLevel: restrictionSchema,
});

// A body Wix left empty reads as {} so every list normalises to [].
const body = <T extends z.ZodRawShape>(shape: T) => z.preprocess((raw) => raw ?? {}, z.object(shape));

export const bulkInviteResponseSchema = body({
  invites: listOf(siteInviteSchema),
  failedEmails: listOf(z.string()),
});

export const resendInviteResponseSchema = body({
  invite: siteInviteSchema.nullish().transform((invite) => invite ?? undefined),
});

export const querySiteContributorsResponseSchema = body({
  contributors: listOf(contributorSchema),
});

export const getRolesInfoResponseSchema = body({
  predefinedRoles: listOf(roleInfoSchema),
  customRoles: listOf(roleInfoSchema),
});

// Revoke and Remove answer {}; anything object-like (or empty) counts as success.
export const emptyResponseSchema = body({});
