// The config schema as JSON Schema, for editors (yaml-language-server and the like) to complete
// and check the file as it is typed. Generated from the zod schema so the two cannot disagree.
import { z } from 'zod';
import { configSchema } from './schema.ts';

export function configJsonSchema(): object {
  // draft-07 because it is the draft editors' YAML tooling supports most widely; the schema
  // uses nothing later drafts added. No $id: there is no published URL for it to claim.
  const generated = z.toJSONSchema(configSchema, { target: 'draft-7', io: 'input' });
  const { $schema, ...rest } = generated;
  // clusters is optional only when an inventory gives the clusters (config/checks.ts); zod's
  // object cannot say "one of the two", so it is said here.
  return { $schema, title: 'mcsync configuration', ...rest, anyOf: [{ required: ['clusters'] }, { required: ['inventory'] }] };
}
