import { openApiRequestValidator } from '@mediaconduit/testing';
import requestSchemas from './openapi-requests.json' with { type: 'json' };

const validator = openApiRequestValidator(requestSchemas);

/**
 * Body fields the fake honours, or that cannot change the shape of its answer (sampling settings
 * of an echo model, training hyperparameters of a simulated job). A valid field outside this list
 * changes what the real API does, so the fake answers 501 rather than ignore it.
 */
const HANDLED: Readonly<Record<string, readonly string[]>> = {
  'POST /chat/completions': [
    'model',
    'messages',
    'max_tokens',
    'stream',
    'seed',
    'stop',
    'n',
    'temperature',
    'top_p',
    'top_k',
    'min_p',
    'repetition_penalty',
    'presence_penalty',
    'frequency_penalty',
    'logit_bias',
  ],
  'POST /images/generations': [
    'model',
    'prompt',
    'n',
    'width',
    'height',
    'seed',
    'steps',
    'guidance_scale',
    'negative_prompt',
    'response_format',
    'output_format',
    'image_loras',
    'disable_safety_checker',
  ],
  'POST /audio/speech': ['model', 'input', 'voice', 'response_format', 'response_encoding', 'sample_rate', 'bit_rate', 'language'],
  'POST /audio/transcriptions': ['file', 'model', 'language', 'prompt', 'response_format', 'temperature'],
  'POST /embeddings': ['model', 'input'],
  'POST /files/upload': ['purpose', 'file_name', 'file_type', 'file'],
  'POST /fine-tunes': [
    'training_file',
    'validation_file',
    'model',
    'n_epochs',
    'n_checkpoints',
    'n_evals',
    'batch_size',
    'learning_rate',
    'lr_scheduler',
    'warmup_ratio',
    'max_grad_norm',
    'weight_decay',
    'random_seed',
    'suffix',
    'packing',
    'max_seq_length',
    'train_on_inputs',
    'training_method',
    'training_type',
  ],
};

/** Values the description allows that the fake does not simulate: `field` → a test of the value. */
const UNHANDLED_VALUES: Readonly<Record<string, readonly [string, (value: unknown, body: Record<string, unknown>) => boolean][]>> = {
  'POST /chat/completions': [['n', (v) => v !== 1]],
  'POST /audio/speech': [['response_encoding', (v) => v === 'pcm_mulaw' || v === 'pcm_alaw']],
};

/** What is wrong with a request, as the fake answers it. */
export type RequestRefusal = { status: 400; message: string; param: string | null } | { status: 501; message: string };

/**
 * Checks a request body against the description (400 with the service's envelope when it is
 * invalid), then refuses with 501 what is valid but not simulated. `form` fields are read as the
 * types the description gives them (multipart sends text).
 */
export function refuseRequest(operation: string, body: Record<string, unknown> | undefined, contentType: string): RequestRefusal | undefined {
  if (!validator.describes(operation)) return undefined;
  const expected = requestSchemas.operations[operation as keyof typeof requestSchemas.operations].contentType;
  if (!contentType.includes(expected)) return { status: 400, message: `Invalid request: ${operation} takes ${expected}, not ${contentType || 'no body'}`, param: null };
  const value = body ?? {};
  const problems = validator.problems(operation, value);
  if (problems.length > 0) return { status: 400, message: `Invalid request: ${problems.join('; ')}`, param: problems[0]!.split(' ')[0]!.split('.')[0]! };
  const handled = HANDLED[operation] ?? [];
  const unhandled = Object.keys(value).filter((field) => !handled.includes(field));
  for (const [field, test] of UNHANDLED_VALUES[operation] ?? []) if (field in value && test(value[field], value)) unhandled.push(`${field}=${JSON.stringify(value[field])}`);
  if (unhandled.length > 0) {
    return {
      status: 501,
      message: `fake Together: ${unhandled.join(', ')} ${unhandled.length === 1 ? 'is' : 'are'} valid for ${operation} but not simulated by this fake; it refuses the request instead of answering as if it had honoured ${unhandled.length === 1 ? 'it' : 'them'}`,
    };
  }
  return undefined;
}

/** Multipart fields as the types the description gives them (numbers, booleans); files stay as they are. */
export function typedFormFields(operation: string, form: Record<string, unknown>): Record<string, unknown> {
  const types = validator.fieldTypes(operation);
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(form)) {
    const allowed = types[name] ?? [];
    if (typeof value !== 'string' || allowed.includes('string')) out[name] = typeof value === 'string' ? value : '<binary>';
    else if ((allowed.includes('number') || allowed.includes('integer')) && value.trim() !== '' && Number.isFinite(Number(value))) out[name] = Number(value);
    else if (allowed.includes('boolean') && (value === 'true' || value === 'false')) out[name] = value === 'true';
    else out[name] = value;
  }
  return out;
}
