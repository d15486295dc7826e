import { CAPABILITIES } from '@mediaconduit/provider';
import valid from 'semver/functions/valid.js';
import validRange from 'semver/ranges/valid.js';
// zod's tree-shakable API: the package build keeps only the parts this schema uses.
import * as z from 'zod/mini';
import { MANIFEST_ID } from './manifest.js';

const capability = z.string().check(
  z.refine((v) => (CAPABILITIES as readonly string[]).includes(v), {
    error: (issue) => `unknown capability ${JSON.stringify(issue.input)}; expected one of ${CAPABILITIES.join(', ')}`,
  }),
);

const range = z.string().check(z.refine((v) => validRange(v) !== null, { error: (i) => `${JSON.stringify(i.input)} is not a semver range such as "^0.1.0"` }));

const nonEmpty = () => z.string().check(z.minLength(1, { error: 'must not be empty' }));
const atMost = (max: number) => z.maxLength(max, { error: `must have at most ${max} characters` });

/** An https origin (`https://api.example.com`, a port allowed): no path, query, credentials or wildcard. */
const httpsOrigin = z.string().check(
  z.refine((v) => httpsOriginProblem(v) === undefined, {
    error: (issue) => `${JSON.stringify(issue.input)}: ${httpsOriginProblem(String(issue.input))}`,
  }),
);

/** Where and how the host sends a secret: the origins it may go to, and the header that carries it. */
const sendSecret = z.strictObject({
  origins: z.array(httpsOrigin).check(z.minLength(1, { error: 'list at least one https origin the secret may be sent to' })),
  header: z.string().check(
    z.regex(/^[A-Za-z0-9-]+: *[^\r\n]*\{value\}[^\r\n]*$/, {
      error: 'must be a header line with the placeholder {value}, such as "Authorization: Bearer {value}" or "X-Api-Key: {value}"',
    }),
  ),
});

/** What is wrong with `text` as the https origin a secret may be sent to; undefined when it is one. */
export function httpsOriginProblem(text: string): string | undefined {
  if (!URL.canParse(text)) return 'is not a URL; write an https origin such as https://api.example.com';
  const url = new URL(text);
  if (url.protocol !== 'https:') return `secrets are sent over https only; write https://${url.host || 'api.example.com'}`;
  if (url.username || url.password) return 'must not hold credentials';
  if (url.host.includes('*')) return 'must name one host, not a pattern';
  if (url.origin !== text.replace(/\/$/, '')) return `must be an origin alone (scheme, host and port), such as ${url.origin}`;
  return undefined;
}

/** Strict schema of `MediaConduit.provider.yml`: unknown keys are errors. */
export const manifestSchema = z.pipe(
  z
    .strictObject({
      id: z.string().check(z.regex(MANIFEST_ID, { error: 'must be lower-case letters, digits and "-", starting with a letter or digit (max 64)' })),
      name: nonEmpty().check(atMost(120)),
      version: z.string().check(z.refine((v) => valid(v) !== null, { error: (i) => `${JSON.stringify(i.input)} is not a semver version such as "1.0.0"` })),
      description: z._default(z.string().check(atMost(2000)), ''),
      type: z.enum(['remote', 'local'], { error: (i) => `${JSON.stringify(i.input)} is not "remote" or "local"` }),
      capabilities: z.array(capability).check(
        z.minLength(1, { error: 'list at least one capability' }),
        z.refine((list) => new Set(list).size === list.length, { error: 'lists a capability twice' }),
      ),
      entry: z._default(nonEmpty(), 'src/index.ts'),
      contract: z.optional(range),
      /** The old name of `contract`, from before the contract left @mediaconduit/core; same meaning. */
      core: z.optional(range),
      env: z._default(
        z.array(
          z.strictObject({
            name: z.string().check(z.regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'must be an upper-case environment variable name' })),
            description: z._default(z.string(), ''),
            required: z._default(z.boolean(), false),
            secret: z.optional(z.union([z.boolean(), sendSecret], { error: 'must be true, false, or { origins: [https://…], header: "Name: … {value}" }' })),
          }),
        ),
        [],
      ),
      models: z._default(
        z.array(
          z.strictObject({
            id: nonEmpty(),
            capability,
            description: z.optional(z.string()),
          }),
        ),
        [],
      ),
    })
    .check(
      z.superRefine(
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
      ),
    ),
  z.transform(({ core, contract, ...rest }) => ({ ...rest, contract: (contract ?? core) as string, legacyCoreField: contract === undefined })),
);
