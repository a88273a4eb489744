import Big from 'big.js'

/**
 * Money and quantities as exact decimals (big.js): additions and multiplications never round.
 * Amounts leave seiketsu as decimal strings (JSON, CSV) or are rounded for a table, never floats.
 */
export type Decimal = Big.Big

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/

/** A decimal from a string ("12.3456") or a number written in a file (`0.045`, read as its shortest text). */
export function decimal(value: string | number | Decimal): Decimal {
  if (value instanceof Big) return value
  const text = typeof value === 'number' ? numberText(value) : value.trim()
  if (!DECIMAL_TEXT.test(text)) throw new RangeError(`not a decimal amount: '${String(value)}'`)
  return new Big(text)
}

/** True when the text is a plain decimal (what price files and Cost Explorer amounts must be). */
export function isDecimalText(text: string): boolean {
  return DECIMAL_TEXT.test(text.trim())
}

function numberText(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite amount: ${value}`)
  // Shortest round-trip text: 0.045 stays "0.045"; exponent forms are expanded by big.js itself.
  return new Big(value).toFixed()
}

export const ZERO: Decimal = new Big(0)

export function sum(values: Iterable<Decimal>): Decimal {
  let total = ZERO
  for (const value of values) total = total.plus(value)
  return total
}

/**
 * An exact amount as text with at least two decimals: "450.00", "32.85", "6.4897". This is how
 * every amount appears in --json and CSV output: exact, never rounded.
 */
export function amountText(value: Decimal): string {
  const exact = value.toFixed()
  const decimals = exact.includes('.') ? exact.split('.')[1]!.length : 0
  return decimals >= 2 ? exact : value.toFixed(2)
}

/** An exact quantity as plain text ("730", "0.5"). */
export function quantityText(value: Decimal): string {
  return value.toFixed()
}

/** Rounded for people (tables): half-up to cents, with thousands separators: "1,234.57". */
export function displayAmount(value: Decimal, decimals = 2): string {
  const [whole, fraction] = value.round(decimals, Big.roundHalfUp).toFixed(decimals).split('.')
  const sign = whole!.startsWith('-') ? '-' : ''
  const digits = whole!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return fraction === undefined ? `${sign}${digits}` : `${sign}${digits}.${fraction}`
}

export function max(values: Iterable<Decimal>): Decimal {
  let result: Decimal | undefined
  for (const value of values) if (result === undefined || value.gt(result)) result = value
  return result ?? ZERO
}
