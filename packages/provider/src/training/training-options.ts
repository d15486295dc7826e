import { MediaConduitError } from '../errors/mediaconduit-error.js';
import type { TrainingOptionsV1 } from '../spec/training-v1.js';

/** The training parameters of {@link TrainingOptionsV1}: what a trainer takes, or refuses. */
export const TRAINING_OPTION_FIELDS = [
  'baseModel',
  'triggerWord',
  'suffix',
  'epochs',
  'learningRate',
  'batchSize',
  'loraRank',
  'loraAlpha',
  'steps',
  'resolution',
  'isStyle',
  'createMasks',
  'trainer',
] as const satisfies readonly (keyof TrainingOptionsV1)[];

/** One of {@link TRAINING_OPTION_FIELDS}. */
export type TrainingOptionField = (typeof TRAINING_OPTION_FIELDS)[number];

/** Options every trainer takes: the data, the warning callback and the call options. */
const ALWAYS = new Set(['data', 'onWarning', 'signal', 'headers', 'retry']);

/**
 * Refuses, with one `INVALID_INPUT` naming each, every training option that is set but that this
 * trainer has no field for (and every option name the contract does not know, a misspelling):
 * a parameter is applied or refused, never silently ignored. `why` says, per refused field, what
 * to do instead; `trainer` names the trainer in the message.
 */
export function refuseTrainingOptions(
  options: TrainingOptionsV1,
  takes: readonly TrainingOptionField[],
  context: { label: string; trainer: string; why?: Partial<Record<TrainingOptionField, string>> },
): void {
  const known = new Set<string>(TRAINING_OPTION_FIELDS);
  const problems: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined || ALWAYS.has(name)) continue;
    if (!known.has(name)) {
      problems.push(`${name}: not a training option (known: data, ${TRAINING_OPTION_FIELDS.join(', ')})`);
    } else if (!(takes as readonly string[]).includes(name)) {
      const hint = context.why?.[name as TrainingOptionField];
      problems.push(`${name}: ${context.trainer} has no such parameter${hint ? `; ${hint}` : ''}`);
    }
  }
  if (problems.length === 0) return;
  throw new MediaConduitError({
    code: 'INVALID_INPUT',
    message: `${context.label}: ${problems.length === 1 ? 'an option' : 'options'} this trainer cannot apply (nothing was uploaded):\n${problems.map((p) => `  - ${p}`).join('\n')}\n${context.trainer} takes: ${takes.join(', ') || 'no parameters'}`,
    details: { refused: problems, takes: [...takes] },
  });
}
