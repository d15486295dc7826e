/** The result of `MediaProviderV1.getHealth()`. */
export interface ProviderHealthV1 {
  /** `healthy`: calls should work; `degraded`: some fail or are slow; `unavailable`: calls will fail. */
  status: 'healthy' | 'degraded' | 'unavailable';
  /** Why, when not healthy. */
  message?: string;
  /** How long the check took, in milliseconds. */
  latencyMs?: number;
  /** When the check ran (ISO 8601). */
  checkedAt: string;
}
