import {expect} from 'chai'

import {amountText, decimal, displayAmount, sum} from '../../src/cost/money.ts'
import {costBar} from '../../src/cost/render.ts'

describe('cost money and bars', () => {
  it('adds amounts exactly where floats drift', () => {
    expect(0.1 + 0.2).to.not.equal(0.3) // why amounts are never numbers
    expect(amountText(sum(['0.1', '0.2'].map((text) => decimal(text))))).to.equal('0.30')
    expect(amountText(sum(['1000000.000000001', '0.000000002'].map((text) => decimal(text))))).to.equal(
      '1000000.000000003',
    )
  })

  it('writes amounts with at least two decimals and never rounds them; tables round half-up to cents', () => {
    expect(amountText(decimal('450'))).to.equal('450.00')
    expect(amountText(decimal('6.4897'))).to.equal('6.4897')
    expect(displayAmount(decimal('1234567.885'))).to.equal('1,234,567.89')
    expect(displayAmount(decimal('-1234.5'))).to.equal('-1,234.50')
    expect(decimal(0.045).toFixed()).to.equal('0.045')
  })

  it('refuses text that is not a plain decimal', () => {
    expect(() => decimal('1e3')).to.throw('not a decimal amount')
    expect(() => decimal('12,50')).to.throw('not a decimal amount')
    expect(() => decimal(Number.NaN)).to.throw('not a finite amount')
  })

  it('draws the cost against the budget marker, on a shared scale', () => {
    const scale = decimal(1000)
    // 500 of 1000 → 15 of 30 cells; budget 800 → marker at cell 24
    expect(costBar(decimal(500), decimal(800), scale)).to.equal(`${'█'.repeat(15)}${' '.repeat(9)}│`)
    // over budget: cells past the marker are filled (red on a colour terminal)
    expect(costBar(decimal(1000), decimal(500), scale)).to.equal('█'.repeat(30))
    expect(costBar(decimal(0), decimal(1000), scale)).to.equal(`${' '.repeat(30)}│`)
    expect(costBar(decimal(0), undefined, decimal(0))).to.equal('')
  })
})
