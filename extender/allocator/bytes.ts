const UNITS = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi'] as const;

/** A byte count for humans in reasons: `10Gi`, `1.5Gi`, `512Mi`, `100` (bytes). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = '';
  for (const u of UNITS) {
    if (Math.abs(value) < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)}${unit}`;
}
