/** What a call consumed, as reported by the provider. Absent fields were not reported. */
export interface UsageV1 {
  /** Prompt tokens. */
  inputTokens?: number;
  /** Completion tokens. */
  outputTokens?: number;
  /** Prompt plus completion tokens. */
  totalTokens?: number;
  /** Images generated. */
  images?: number;
  /** Seconds of audio produced or consumed. */
  audioSeconds?: number;
  /** Characters of text consumed (speech). */
  characters?: number;
  /** Megapixels of images generated (width × height / 10⁶, summed), for services that price by area. */
  megapixels?: number;
}
