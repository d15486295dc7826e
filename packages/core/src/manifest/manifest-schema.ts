import { CAPABILITIES } from '@mediaconduit/provider';
import semver from 'semver';
import { z } from 'zod';

const capability = z.string().refine((v) => (CAPABILITIES as readonly string[]).includes(v), {
  error: (issue) => `unknown capability ${JSON.stringify(issue.input)}; expected one of ${CAPABILITIES.join(', ')}`,
});

const range = z.string().refine((v) => semver.validRange(v) !== null, { error: (i) => `${JSON.stringify(i.input)} is not a semver range such as "^0.1.0"` });

/** Strict schema of `MediaConduit.provider.yml`: unknown keys are errors. */
export const manifestSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { error: 'must be lower-case letters, digits and "-", starting with a letter or digit (max 64)' }),
    name: z.string().min(1).max(120),
    version: z.string().refine((v) => semver.valid(v) !== null, { error: (i) => `${JSON.stringify(i.input)} is not a semver version such as "1.0.0"` }),
    description: z.string().max(2000).default(''),
    type: z.enum(['remote', 'local'], { error: (i) => `${JSON.stringify(i.input)} is not "remote" or "local"` }),
    capabilities: z
      .array(capability)
      .min(1, { error: 'list at least one capability' })
      .refine((list) => new Set(list).size === list.length, { error: 'lists a capability twice' }),
    entry: z.string().min(1).default('src/index.ts'),
    contract: range.optional(),
    /** The old name of `contract`, from before the contract left @mediaconduit/core; same meaning. */
    core: range.optional(),
    env: z
      .array(
        z.strictObject({
          name: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be an upper-case environment variable name' }),
          description: z.string().default(''),
          required: z.boolean().default(false),
        }),
      )
      .default([]),
    models: z
      .array(
        z.strictObject({
          id: z.string().min(1),
          capability,
          description: z.string().optional(),
        }),
      )
      .default([]),
  })
  .superRefine(
    (manifest, context) => {
      if (manifest.contract === undefined && manifest.core === undefined) {
        context.addIssue({
          code: 'custom',
          path: ['contract'],
          message: 'is required: the semver range of @mediaconduit/provider (the provider contract) this provider is written for, such as "^0.1.0"',
        });
      } else if (manifest.contract !== undefined && manifest.core !== undefined) {
        context.addIssue({ code: 'custom', path: ['core'], message: 'is the old name of "contract"; keep only "contract"' });
      }
    },
    { when: () => true },
  )
  .transform(({ core, contract, ...rest }) => ({ ...rest, contract: (contract ?? core) as string, legacyCoreField: contract === undefined }));
