import ipaddr from 'ipaddr.js'

/** An IPv4 block as integers: easy to compare, overlap and step through. */
export interface Block {
  start: number
  prefix: number
}

/** Parses `a.b.c.d/n`; returns undefined unless it is a canonical IPv4 CIDR (no host bits set). */
export function parseCidr(text: string): Block | undefined {
  if (typeof text !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(text)) return undefined
  let address: ipaddr.IPv4
  let prefix: number
  try {
    ;[address, prefix] = ipaddr.IPv4.parseCIDR(text)
  } catch {
    return undefined
  }
  const start = toInt(address.toByteArray())
  if (start % blockSize(prefix) !== 0) return undefined
  return {start, prefix}
}

export function isCanonicalCidr(text: string): boolean {
  return parseCidr(text) !== undefined
}

export function formatBlock(block: Block): string {
  const bytes = [24, 16, 8, 0].map((shift) => Math.floor(block.start / 2 ** shift) % 256)
  return `${bytes.join('.')}/${block.prefix}`
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix)
}

export function blocksOverlap(a: Block, b: Block): boolean {
  return a.start < b.start + blockSize(b.prefix) && b.start < a.start + blockSize(a.prefix)
}

export function cidrsOverlap(a: string, b: string): boolean {
  const blockA = parseCidr(a)
  const blockB = parseCidr(b)
  return blockA !== undefined && blockB !== undefined && blocksOverlap(blockA, blockB)
}

/** Splits a block into consecutive sub-blocks of a longer prefix (the subnets of a VPC). */
export function subdivide(cidr: string, newPrefix: number, count: number): string[] {
  const block = parseCidr(cidr)
  if (!block) throw new Error(`not a CIDR: ${cidr}`)
  if (newPrefix < block.prefix || count > 2 ** (newPrefix - block.prefix))
    throw new Error(`${cidr} has no room for ${count} /${newPrefix} blocks`)
  return Array.from({length: count}, (_, index) =>
    formatBlock({start: block.start + index * blockSize(newPrefix), prefix: newPrefix}),
  )
}

/**
 * The lowest free block of `prefix` in the pools (in the order given) that overlaps none of the
 * taken CIDRs. Undefined when the pools are full.
 */
export function allocateCidr(pools: readonly string[], prefix: number, taken: readonly string[]): string | undefined {
  const takenBlocks = taken
    .map((cidr) => parseCidr(cidr))
    .filter((block): block is Block => block !== undefined)
    .sort((a, b) => a.start - b.start)
  for (const pool of pools) {
    const poolBlock = parseCidr(pool)
    if (!poolBlock || poolBlock.prefix > prefix) continue
    const size = blockSize(prefix)
    const end = poolBlock.start + blockSize(poolBlock.prefix)
    let candidate = poolBlock.start
    while (candidate < end) {
      const clash = takenBlocks.find((block) => blocksOverlap(block, {start: candidate, prefix}))
      if (!clash) return formatBlock({start: candidate, prefix})
      // Jump past the clashing block, realigned to our block size.
      const clashEnd = clash.start + blockSize(clash.prefix)
      candidate = Math.max(candidate + size, Math.ceil(clashEnd / size) * size)
    }
  }
  return undefined
}

/** How many blocks of `prefix` the pools hold in all. */
export function poolCapacity(pools: readonly string[], prefix: number): number {
  return pools
    .map((pool) => parseCidr(pool))
    .filter((block): block is Block => block !== undefined && block.prefix <= prefix)
    .reduce((sum, block) => sum + 2 ** (prefix - block.prefix), 0)
}

function toInt(bytes: number[]): number {
  return ((bytes[0]! * 256 + bytes[1]!) * 256 + bytes[2]!) * 256 + bytes[3]!
}
