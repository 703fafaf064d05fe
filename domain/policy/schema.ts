import { z } from 'zod';

/** The purposes data is processed for, as privacy teams name them. */
export const purposes = ['advertising', 'personalization', 'sales', 'analytics'] as const;
export type Purpose = (typeof purposes)[number];

/** What a consent column must say for a row to be sent. */
export const consentRequirements = ['explicit', 'not-denied', 'none'] as const;

const purposeEnum = z.enum(purposes);
const region = z
  .string()
  .regex(/^(EEA|EU|[A-Z]{2})$/, 'an ISO 3166-1 alpha-2 country code, or EEA / EU')
  .meta({ description: 'A country code, or EEA / EU for the whole area.' });

/**
 * A consent and purpose policy, as code: which purposes each destination serves, which model
 * column carries consent for each purpose, and what each region requires. Checked at sync
 * time, before rows are staged: rows without consent are never sent (and leave mirror-mode
 * destinations).
 */
export const policySchema = z.strictObject({
  purposes: z
    .partialRecord(purposeEnum, z.strictObject({ consentColumn: z.string().min(1).meta({ description: 'Model column holding consent for this purpose (true/false, granted/denied, yes/no, opt_in/opt_out).' }) }))
    .meta({ description: 'Per purpose, the model column that carries consent for it.' }),
  destinations: z
    .array(
      z.strictObject({
        match: z
          .strictObject({
            sync: z.string().min(1).optional(),
            name: z.string().min(1).optional(),
            kind: z.string().min(1).optional(),
          })
          .refine((m) => m.sync !== undefined || m.name !== undefined || m.kind !== undefined, 'match at least one of sync, name, kind'),
        purposes: z.array(purposeEnum).min(1),
      }),
    )
    .meta({ description: 'Which destinations serve which purposes; every rule that matches a destination applies.' }),
  regions: z
    .strictObject({
      column: z.string().min(1).meta({ description: 'Model column with each row\'s country (ISO alpha-2).' }),
      rules: z
        .array(
          z.strictObject({
            regions: z.array(region).min(1),
            purposes: z.array(purposeEnum).min(1),
            require: z.enum(consentRequirements),
          }),
        )
        .default([]),
      unknownRegion: z.enum(consentRequirements).default('explicit').meta({ description: 'What rows without a recognisable country need: explicit by default (the safe side).' }),
    })
    .optional(),
  default: z.enum(consentRequirements).default('not-denied').meta({ description: 'What a purpose needs where no regional rule applies.' }),
});

export type Policy = z.infer<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;
export type ConsentRequirement = (typeof consentRequirements)[number];
