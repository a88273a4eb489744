import {z} from 'zod'

import {credentialInValue} from '../secret-patterns.ts'

import {accountIdField, cidrField, clientIdField, isoTimestampField, regionField} from '../input/fields.ts'

export const INTEGRATIONS = ['elevenlabs', 'twilio', 'mls', 'crm', 'calendar'] as const
export type IntegrationName = (typeof INTEGRATIONS)[number]

/** Integrations that hold credentials: each gets a Secrets Manager secret (value put later, never in files). */
export const SECRET_INTEGRATIONS: readonly IntegrationName[] = ['elevenlabs', 'twilio', 'mls']

export const INTEGRATION_LABELS: Record<IntegrationName, string> = {
  calendar: 'Calendar',
  crm: 'CRM',
  elevenlabs: 'ElevenLabs',
  mls: 'MLS',
  twilio: 'Twilio',
}

/** The non-secret settings the onboarding flow asks for, per integration (all optional). */
export const INTEGRATION_SETTINGS: Record<IntegrationName, readonly {key: string; label: string}[]> = {
  calendar: [{key: 'provider', label: 'Calendar provider (google, outlook, …)'}],
  crm: [{key: 'provider', label: 'CRM (salesforce, hubspot, follow-up-boss, …)'}],
  elevenlabs: [{key: 'voiceId', label: 'ElevenLabs voice id'}],
  mls: [
    {key: 'provider', label: 'MLS provider (bright, crmls, …)'},
    {key: 'feedUrl', label: 'MLS feed URL'},
  ],
  twilio: [{key: 'phoneNumber', label: 'Twilio phone number (E.164, e.g. +15555550100)'}],
}

export const CLIENT_STATUSES = ['active', 'suspended', 'offboarding', 'offboarded'] as const
export type ClientStatus = (typeof CLIENT_STATUSES)[number]

/** Setting names that look like credentials. Those belong in Secrets Manager (`seiketsu secrets set`). */
const SECRET_LOOKING_SETTING = /(secret|password|passwd|token|api[-_]?key|private[-_]?key|credential|auth)/i

const IntegrationSchema = z.strictObject({
  enabled: z.boolean(),
  settings: z
    .record(
      z.string().regex(/^[a-zA-Z][a-zA-Z0-9_-]{0,63}$/, {error: 'setting names are identifiers'}),
      z.string().max(512),
    )
    .default({})
    .superRefine((settings, ctx) => {
      for (const [name, value] of Object.entries(settings)) {
        if (SECRET_LOOKING_SETTING.test(name))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `'${name}' looks like a credential; secrets never go in manifests: use \`seiketsu secrets set\``,
          })
        const reason = credentialInValue(value)
        if (reason)
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `the value ${reason}; secrets never go in manifests: use \`seiketsu secrets set\``,
          })
      }
    }),
})

export type Integration = z.infer<typeof IntegrationSchema>

/** What the bootstrap stack may find already in an account the platform did not create: adopted (imported), not created. */
export const BOOTSTRAP_ADOPTABLE = [
  'provisioner-role',
  'ecs-service-linked-role',
  'autoscaling-service-linked-role',
] as const
export type BootstrapAdoptable = (typeof BOOTSTRAP_ADOPTABLE)[number]

/** How the platform bootstraps an account it did not create (absent: the workspace's accounts.bootstrapRole). */
const BootstrapSchema = z.strictObject({
  role: z
    .string()
    .regex(/^[\w+=,.@-]{1,64}$/, {
      error: 'an IAM role name in the client account that the management account may assume',
    })
    .optional(),
  adopt: z
    .array(z.enum(BOOTSTRAP_ADOPTABLE, {error: `what may already exist: ${BOOTSTRAP_ADOPTABLE.join(', ')}`}))
    .optional(),
})

export const ClientManifestSchema = z.strictObject({
  id: clientIdField,
  name: z.string().trim().min(1, {error: 'must not be empty'}).max(128),
  email: z.email({error: 'must be an email address such as ops@example.com'}),
  tier: z.string().min(1),
  residency: z.string().min(1),
  region: regionField,
  drRegion: regionField,
  accountId: accountIdField.nullable(),
  cidr: cidrField,
  integrations: z
    .partialRecord(z.enum(INTEGRATIONS, {error: `integrations are ${INTEGRATIONS.join(', ')}`}), IntegrationSchema)
    .default({}),
  bootstrap: BootstrapSchema.optional(),
  status: z.enum(CLIENT_STATUSES, {error: `one of ${CLIENT_STATUSES.join(', ')}`}),
  createdAt: isoTimestampField,
  updatedAt: isoTimestampField,
})

export type ClientManifest = z.infer<typeof ClientManifestSchema>

/** The integrations a client has switched on, in catalogue order. */
export function enabledIntegrations(client: Pick<ClientManifest, 'integrations'>): IntegrationName[] {
  return INTEGRATIONS.filter((name) => client.integrations[name]?.enabled)
}

/** Manifest key order: the order a reviewer reads them in, stable for byte-identical rewrites. */
export const MANIFEST_KEY_ORDER: readonly (keyof ClientManifest)[] = [
  'id',
  'name',
  'email',
  'tier',
  'residency',
  'region',
  'drRegion',
  'accountId',
  'cidr',
  'integrations',
  'bootstrap',
  'status',
  'createdAt',
  'updatedAt',
]
