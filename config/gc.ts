import { z } from 'zod';

/** The retention policy of `osimage gc`; flags override it per run. */
export const gcConfig = z.strictObject({
  keepPseudo: z.int().min(0).default(5).describe('keep the newest N pseudo versions of each suffix (branch)'),
  keepPseudoDays: z.number().min(0).default(14).describe('and keep every pseudo version published less than D days ago'),
});

export type GcConfig = z.infer<typeof gcConfig>;
