/**
 * The mock's "voice": every character becomes a short tone whose pitch encodes it, so the
 * mock's transcription model can decode its own speech exactly. Characters outside the
 * alphabet are spoken as "?".
 */
export const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,!?\'-:;"()\n';
const BASE_HZ = 300;
const STEP_HZ = 40; // well above the 20 Hz resolution of a 50 ms window
const TONE_SECONDS = 0.05;
const GAP_SECONDS = 0.01;

/** Seconds of audio per character. */
export const SECONDS_PER_CHARACTER = TONE_SECONDS + GAP_SECONDS;

const frequencyOf = (index: number) => BASE_HZ + index * STEP_HZ;

/** Lowest sample rate that can carry every tone (Nyquist plus a margin). */
export const MIN_SAMPLE_RATE = Math.ceil(2.2 * frequencyOf(ALPHABET.length - 1));

/** Synthesises `text` as tones at `sampleRate`. */
export function speak(text: string, sampleRate: number): Float32Array {
  const tone = Math.round(TONE_SECONDS * sampleRate);
  const period = tone + Math.round(GAP_SECONDS * sampleRate);
  const samples = new Float32Array(period * text.length);
  const fade = Math.round(tone * 0.1);
  [...text].forEach((char, i) => {
    const index = ALPHABET.indexOf(char);
    const frequency = frequencyOf(index === -1 ? ALPHABET.indexOf('?') : index);
    for (let n = 0; n < tone; n++) {
      const envelope = Math.min(1, n / fade, (tone - n) / fade);
      samples[i * period + n] = 0.6 * envelope * Math.sin((2 * Math.PI * frequency * n) / sampleRate);
    }
  });
  return samples;
}

/** Decodes tones back to text; stops at the first silent slot. */
export function listen(samples: Float32Array, sampleRate: number): string {
  const tone = Math.round(TONE_SECONDS * sampleRate);
  const period = tone + Math.round(GAP_SECONDS * sampleRate);
  const from = Math.round(tone * 0.15),
    to = Math.round(tone * 0.85);
  let text = '';
  for (let start = 0; start + tone <= samples.length; start += period) {
    const window = samples.subarray(start + from, start + to);
    let energy = 0;
    for (const s of window) energy += s * s;
    if (energy / window.length < 1e-4) break;
    let best = 0,
      bestPower = -1;
    for (let i = 0; i < ALPHABET.length; i++) {
      const power = goertzel(window, frequencyOf(i), sampleRate);
      if (power > bestPower) {
        bestPower = power;
        best = i;
      }
    }
    text += ALPHABET[best];
  }
  return text;
}

/** Power of one frequency in a block of samples (Goertzel algorithm). */
function goertzel(samples: Float32Array, frequency: number, sampleRate: number): number {
  const coefficient = 2 * Math.cos((2 * Math.PI * frequency) / sampleRate);
  let s1 = 0,
    s2 = 0;
  for (const x of samples) {
    const s0 = x + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coefficient * s1 * s2;
}
