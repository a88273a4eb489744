import {expect} from 'chai'

import {allocateCidr, cidrsOverlap, parseCidr, poolCapacity, subdivide} from '../src/cidr.ts'

describe('CIDR allocation', () => {
  it('takes the lowest free /16 of the pool, in order', () => {
    expect(allocateCidr(['10.0.0.0/8'], 16, [])).to.equal('10.0.0.0/16')
    expect(allocateCidr(['10.0.0.0/8'], 16, ['10.0.0.0/16'])).to.equal('10.1.0.0/16')
    expect(allocateCidr(['10.0.0.0/8'], 16, ['10.0.0.0/16', '10.2.0.0/16'])).to.equal('10.1.0.0/16')
  })

  it('skips blocks overlapping a taken CIDR of another size', () => {
    // A hand-placed /12 swallows 10.0-10.15; a /24 inside 10.16 blocks that /16 too.
    expect(allocateCidr(['10.0.0.0/8'], 16, ['10.0.0.0/12', '10.16.4.0/24'])).to.equal('10.17.0.0/16')
  })

  it('allocates /20 blocks when the prefix is 20', () => {
    const taken: string[] = []
    for (let index = 0; index < 3; index++) taken.push(allocateCidr(['10.0.0.0/8'], 20, taken)!)
    expect(taken).to.deep.equal(['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'])
  })

  it('moves on to the next pool, and returns undefined when every pool is full', () => {
    const pools = ['10.0.0.0/15', '172.16.0.0/16']
    const taken: string[] = []
    for (let index = 0; index < 3; index++) taken.push(allocateCidr(pools, 16, taken)!)
    expect(taken).to.deep.equal(['10.0.0.0/16', '10.1.0.0/16', '172.16.0.0/16'])
    expect(allocateCidr(pools, 16, taken)).to.equal(undefined)
    expect(poolCapacity(pools, 16)).to.equal(3)
  })

  it('never hands out the same block twice over a whole pool', () => {
    const taken: string[] = []
    for (;;) {
      const next = allocateCidr(['10.0.0.0/12'], 20, taken)
      if (!next) break
      expect(taken.some((cidr) => cidrsOverlap(cidr, next))).to.equal(false)
      taken.push(next)
    }
    expect(taken).to.have.length(256)
  })

  it('rejects CIDRs with host bits or bad syntax', () => {
    expect(parseCidr('10.0.0.1/16')).to.equal(undefined)
    expect(parseCidr('10.0.0.0/33')).to.equal(undefined)
    expect(parseCidr('300.0.0.0/8')).to.equal(undefined)
    expect(parseCidr('10.0.0.0')).to.equal(undefined)
    expect(parseCidr('10.1.0.0/16')).to.deep.equal({prefix: 16, start: 10 * 2 ** 24 + 2 ** 16})
  })

  it('cuts a VPC into consecutive subnets', () => {
    expect(subdivide('10.4.0.0/16', 20, 3)).to.deep.equal(['10.4.0.0/20', '10.4.16.0/20', '10.4.32.0/20'])
    expect(() => subdivide('10.4.0.0/16', 17, 3)).to.throw(/no room/)
  })
})
