import {readFile, writeFile} from 'node:fs/promises'
import {crc32, inflateRawSync} from 'node:zlib'

/**
 * Rewrites a terraform plan file (a zip archive) with one entry transformed: what a plan made by
 * another terraform version looks like (its `tfplan` entry names that version). The result is
 * written with stored entries, which terraform reads like deflated ones.
 */
export async function rewritePlanEntry(file: string, name: string, transform: (data: Buffer) => Buffer): Promise<void> {
  const zip = await readFile(file)
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  const count = zip.readUInt16LE(end + 10)
  let offset = zip.readUInt32LE(end + 16)
  const entries: {name: string; data: Buffer}[] = []
  for (let index = 0; index < count; index++) {
    const method = zip.readUInt16LE(offset + 10)
    const size = zip.readUInt32LE(offset + 20)
    const nameLength = zip.readUInt16LE(offset + 28)
    const extraLength = zip.readUInt16LE(offset + 30)
    const commentLength = zip.readUInt16LE(offset + 32)
    const local = zip.readUInt32LE(offset + 42)
    const entryName = zip.subarray(offset + 46, offset + 46 + nameLength).toString('utf8')
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28)
    const raw = zip.subarray(start, start + size)
    const data = method === 8 ? inflateRawSync(raw) : Buffer.from(raw)
    entries.push({data: entryName === name ? transform(data) : data, name: entryName})
    offset += 46 + nameLength + extraLength + commentLength
  }
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let position = 0
  for (const entry of entries) {
    const nameBytes = Buffer.from(entry.name)
    const crc = crc32(entry.data)
    const header = Buffer.alloc(30)
    header.writeUInt32LE(0x04_03_4b_50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(entry.data.length, 18)
    header.writeUInt32LE(entry.data.length, 22)
    header.writeUInt16LE(nameBytes.length, 26)
    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02_01_4b_50, 0)
    central.writeUInt16LE(20, 4)
    central.writeUInt16LE(20, 6)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(entry.data.length, 20)
    central.writeUInt32LE(entry.data.length, 24)
    central.writeUInt16LE(nameBytes.length, 28)
    central.writeUInt32LE(position, 42)
    locals.push(header, nameBytes, entry.data)
    centrals.push(central, nameBytes)
    position += 30 + nameBytes.length + entry.data.length
  }
  const directory = Buffer.concat(centrals)
  const tail = Buffer.alloc(22)
  tail.writeUInt32LE(0x06_05_4b_50, 0)
  tail.writeUInt16LE(entries.length, 8)
  tail.writeUInt16LE(entries.length, 10)
  tail.writeUInt32LE(directory.length, 12)
  tail.writeUInt32LE(position, 16)
  await writeFile(file, Buffer.concat([...locals, directory, tail]))
}
