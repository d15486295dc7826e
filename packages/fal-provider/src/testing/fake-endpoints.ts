// The fal endpoints the fake serves: each one's input rules (what fal's schema says; 422 `detail`
// arrays for the rest), its output, and its place in the platform API's catalogue and price list.

/** One entry of a 422 `detail` array, as fal (FastAPI/Pydantic) writes it. */
export interface FalFieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

/** A model in the fake's catalogue (`GET /v1/models`) and price list (`GET /v1/models/pricing`). */
export interface FakeFalModel {
  endpointId: string;
  displayName: string;
  category: 'text-to-image' | 'training';
  kind: 'inference' | 'training';
  description: string;
  status: 'active' | 'deprecated';
  unitPrice: number;
  unit: string;
  /** For a trainer: the endpoints that serve what it trains. */
  inferenceEndpointIds?: string[];
  /** For an inference endpoint: the trainers whose LoRAs it serves. */
  trainingEndpointIds?: string[];
}

/**
 * The catalogue. Prices: `fal-ai/flux/dev` at 0.025 USD an image is the platform API's own
 * example; the others are this fake's choices (fal's pages quote $0.035 a megapixel for
 * flux-lora and "$2 per training run", read here as per 1000 steps).
 */
export const FAKE_FAL_MODELS: readonly FakeFalModel[] = [
  {
    endpointId: 'fal-ai/flux/schnell',
    displayName: 'FLUX.1 [schnell]',
    category: 'text-to-image',
    kind: 'inference',
    description: 'FLUX.1 [schnell], 1 to 4 steps',
    status: 'active',
    unitPrice: 0.003,
    unit: 'megapixels',
  },
  {
    endpointId: 'fal-ai/flux/dev',
    displayName: 'FLUX.1 [dev]',
    category: 'text-to-image',
    kind: 'inference',
    description: 'FLUX.1 [dev], 12B parameters',
    status: 'active',
    unitPrice: 0.025,
    unit: 'image',
  },
  {
    endpointId: 'fal-ai/flux-lora',
    displayName: 'FLUX.1 [dev] with LoRAs',
    category: 'text-to-image',
    kind: 'inference',
    description: 'FLUX.1 [dev] with LoRA adapters applied',
    status: 'active',
    unitPrice: 0.035,
    unit: 'megapixels',
    trainingEndpointIds: ['fal-ai/flux-lora-fast-training', 'fal-ai/flux-lora-portrait-trainer'],
  },
  {
    endpointId: 'fal-ai/flux-lora-fast-training',
    displayName: 'Train Flux LoRA',
    category: 'training',
    kind: 'training',
    description: 'Trains a FLUX.1 [dev] LoRA from a zip of images',
    status: 'active',
    unitPrice: 0.002,
    unit: 'steps',
    inferenceEndpointIds: ['fal-ai/flux-lora'],
  },
  {
    endpointId: 'fal-ai/flux-lora-portrait-trainer',
    displayName: 'Train Flux LoRA for portraits',
    category: 'training',
    kind: 'training',
    description: 'Trains a FLUX.1 [dev] portrait LoRA',
    status: 'active',
    unitPrice: 0.0024,
    unit: 'steps',
    inferenceEndpointIds: ['fal-ai/flux-lora'],
  },
];

/** Preset `image_size` values and the pixels the fake paints for them (fal's commonly cited sizes). */
export const IMAGE_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  square_hd: [1024, 1024],
  square: [512, 512],
  portrait_4_3: [768, 1024],
  portrait_16_9: [576, 1024],
  landscape_4_3: [1024, 768],
  landscape_16_9: [1024, 576],
};

type Rule =
  | { type: 'string'; required?: boolean; nullable?: boolean; enum?: readonly string[] }
  | { type: 'int' | 'number'; min?: number; max?: number; nullable?: boolean }
  | { type: 'bool' }
  | { type: 'image_size' }
  | { type: 'loras' };

/** What an endpoint accepts. Fields it does not know are ignored (Pydantic's default), and logged. */
export interface EndpointSpec {
  kind: 'inference' | 'training';
  fields: Readonly<Record<string, Rule>>;
  /** Trainers: the fewest images a zip may hold. */
  minImages?: number;
  /** Trainers: the steps when none are given. */
  defaultSteps?: number;
}

const GENERATION_COMMON: Readonly<Record<string, Rule>> = {
  prompt: { type: 'string', required: true },
  image_size: { type: 'image_size' },
  num_images: { type: 'int', min: 1, max: 4 },
  seed: { type: 'int', nullable: true },
  enable_safety_checker: { type: 'bool' },
  output_format: { type: 'string', enum: ['jpeg', 'png'] },
  sync_mode: { type: 'bool' },
};

export const ENDPOINTS: Readonly<Record<string, EndpointSpec>> = {
  'fal-ai/flux/schnell': {
    kind: 'inference',
    fields: {
      ...GENERATION_COMMON,
      num_inference_steps: { type: 'int', min: 1, max: 12 },
      guidance_scale: { type: 'number', min: 1, max: 20 },
      acceleration: { type: 'string', enum: ['none', 'regular', 'high'] },
    },
  },
  'fal-ai/flux/dev': {
    kind: 'inference',
    fields: {
      ...GENERATION_COMMON,
      num_inference_steps: { type: 'int', min: 1, max: 50 },
      guidance_scale: { type: 'number', min: 1, max: 20 },
      acceleration: { type: 'string', enum: ['none', 'regular', 'high'] },
    },
  },
  'fal-ai/flux-lora': {
    kind: 'inference',
    fields: {
      ...GENERATION_COMMON,
      num_inference_steps: { type: 'int', min: 1, max: 50 },
      guidance_scale: { type: 'number', min: 0, max: 35 },
      loras: { type: 'loras' },
      acceleration: { type: 'string', enum: ['none', 'regular'] },
    },
  },
  'fal-ai/flux-lora-fast-training': {
    kind: 'training',
    minImages: 4,
    defaultSteps: 1000,
    fields: {
      images_data_url: { type: 'string', required: true },
      trigger_word: { type: 'string', nullable: true },
      steps: { type: 'int', min: 1, max: 10_000, nullable: true },
      create_masks: { type: 'bool' },
      is_style: { type: 'bool' },
      is_input_format_already_preprocessed: { type: 'bool' },
      data_archive_format: { type: 'string', nullable: true },
    },
  },
  'fal-ai/flux-lora-portrait-trainer': {
    kind: 'training',
    minImages: 10,
    defaultSteps: 2500,
    fields: {
      images_data_url: { type: 'string', required: true },
      trigger_phrase: { type: 'string', nullable: true },
      steps: { type: 'int', min: 1, max: 10_000 },
      learning_rate: { type: 'number', min: 0, max: 1 },
      multiresolution_training: { type: 'bool' },
      subject_crop: { type: 'bool' },
      create_masks: { type: 'bool' },
      data_archive_format: { type: 'string', nullable: true },
      resume_from_checkpoint: { type: 'string' },
    },
  },
};

/** Every problem with `input` for `spec`, in fal's 422 shape; also the fields it ignored. */
export function validateInput(spec: EndpointSpec, input: unknown): { errors: FalFieldError[]; ignored: string[] } {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return { errors: [{ loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', type: 'model_attributes_type' }], ignored: [] };
  }
  const body = input as Record<string, unknown>;
  const errors: FalFieldError[] = [];
  for (const [name, rule] of Object.entries(spec.fields)) {
    const value = body[name];
    const loc = ['body', name];
    if (value === undefined) {
      if (rule.type === 'string' && rule.required) errors.push({ loc, msg: 'Field required', type: 'missing' });
      continue;
    }
    if (value === null) {
      if (!('nullable' in rule && rule.nullable)) errors.push({ loc, msg: `Input should be a valid ${describe(rule)}`, type: `${typeName(rule)}_type` });
      continue;
    }
    errors.push(...checkValue(rule, value, loc));
  }
  return { errors, ignored: Object.keys(body).filter((name) => !(name in spec.fields)) };
}

function describe(rule: Rule): string {
  return { string: 'string', int: 'integer', number: 'number', bool: 'boolean', image_size: 'image size', loras: 'list' }[rule.type];
}

function typeName(rule: Rule): string {
  return { string: 'string', int: 'int', number: 'float', bool: 'bool', image_size: 'enum', loras: 'list' }[rule.type];
}

function checkValue(rule: Rule, value: unknown, loc: (string | number)[]): FalFieldError[] {
  switch (rule.type) {
    case 'string':
      if (typeof value !== 'string') return [{ loc, msg: 'Input should be a valid string', type: 'string_type' }];
      if (rule.enum && !rule.enum.includes(value)) return [{ loc, msg: `Input should be ${rule.enum.map((v) => `'${v}'`).join(' or ')}`, type: 'enum' }];
      if (rule.required && value === '') return [{ loc, msg: 'String should have at least 1 character', type: 'string_too_short' }];
      return [];
    case 'int':
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value) || (rule.type === 'int' && !Number.isInteger(value))) {
        return [{ loc, msg: `Input should be a valid ${rule.type === 'int' ? 'integer' : 'number'}`, type: rule.type === 'int' ? 'int_type' : 'float_type' }];
      }
      if (rule.min !== undefined && value < rule.min) return [{ loc, msg: `Input should be greater than or equal to ${rule.min}`, type: 'greater_than_equal' }];
      if (rule.max !== undefined && value > rule.max) return [{ loc, msg: `Input should be less than or equal to ${rule.max}`, type: 'less_than_equal' }];
      return [];
    }
    case 'bool':
      return typeof value === 'boolean' ? [] : [{ loc, msg: 'Input should be a valid boolean', type: 'bool_type' }];
    case 'image_size': {
      if (typeof value === 'string') {
        return value in IMAGE_SIZES
          ? []
          : [
              {
                loc,
                msg: `Input should be ${Object.keys(IMAGE_SIZES)
                  .map((v) => `'${v}'`)
                  .join(', ')}`,
                type: 'enum',
              },
            ];
      }
      if (value === null || typeof value !== 'object') return [{ loc, msg: 'Input should be a valid dictionary or instance of ImageSize', type: 'model_type' }];
      const size = value as Record<string, unknown>;
      return ['width', 'height'].flatMap((side) => {
        const n = size[side];
        if (n === undefined) return [];
        if (typeof n !== 'number' || !Number.isInteger(n)) return [{ loc: [...loc, side], msg: 'Input should be a valid integer', type: 'int_type' }];
        // The fake's bounds (fal's own are not published): up to 14142 px a side, as FLUX's largest.
        if (n < 1 || n > 14_142) return [{ loc: [...loc, side], msg: 'Input should be between 1 and 14142', type: 'less_than_equal' }];
        return [];
      });
    }
    case 'loras': {
      if (!Array.isArray(value)) return [{ loc, msg: 'Input should be a valid list', type: 'list_type' }];
      return value.flatMap((lora, i): FalFieldError[] => {
        if (lora === null || typeof lora !== 'object') return [{ loc: [...loc, i], msg: 'Input should be a valid dictionary or instance of LoraWeight', type: 'model_type' }];
        const { path, scale } = lora as { path?: unknown; scale?: unknown };
        const problems: FalFieldError[] = [];
        if (typeof path !== 'string' || path === '')
          problems.push({
            loc: [...loc, i, 'path'],
            msg: path === undefined ? 'Field required' : 'Input should be a valid string',
            type: path === undefined ? 'missing' : 'string_type',
          });
        if (scale !== undefined && (typeof scale !== 'number' || !Number.isFinite(scale)))
          problems.push({ loc: [...loc, i, 'scale'], msg: 'Input should be a valid number', type: 'float_type' });
        return problems;
      });
    }
  }
}

/** The pixels of `image_size` (default landscape_4_3, as fal's schema says). */
export function pixelsOf(imageSize: unknown): [number, number] {
  if (typeof imageSize === 'string') return [...(IMAGE_SIZES[imageSize] ?? IMAGE_SIZES.landscape_4_3!)] as [number, number];
  if (imageSize && typeof imageSize === 'object') {
    const { width, height } = imageSize as { width?: number; height?: number };
    return [width ?? 512, height ?? 512];
  }
  return [...IMAGE_SIZES.landscape_4_3!] as [number, number];
}
