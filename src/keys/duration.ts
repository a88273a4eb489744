/** Durations as operators write them: `30s`, `15m`, `1h`, `7d`. */
export const DURATION_PATTERN = /^(\d{1,6})([smhd])$/

const UNIT_SECONDS = {d: 86_400, h: 3600, m: 60, s: 1} as const

/** Seconds in a duration such as `15m`; undefined when the text is not one (or is zero). */
export function parseDuration(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text.trim())
  if (!match) return undefined
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS]
  return seconds > 0 ? seconds : undefined
}

/** The shortest exact spelling of a number of seconds: 3600 → `1h`, 90 → `90s`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const)
    if (seconds >= UNIT_SECONDS[unit] && seconds % UNIT_SECONDS[unit] === 0)
      return `${seconds / UNIT_SECONDS[unit]}${unit}`
  return `${seconds}s`
}
