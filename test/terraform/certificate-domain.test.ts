import {expect} from 'chai'

import {unvalidatableCertificateNames} from '../../src/terraform/certificate-domain.ts'

const stack = (certificates: Record<string, unknown>) => ({resource: {aws_acm_certificate: certificates}})

describe('certificates that can never be validated', () => {
  it('finds names under .invalid, in the domain name or the alternative names', () => {
    expect(
      unvalidatableCertificateNames(
        stack({
          api: {domain_name: 'acme.seiketsu.invalid', validation_method: 'DNS'},
          other: {domain_name: 'acme.example.com', subject_alternative_names: ['www.acme.INVALID.']},
        }),
      ),
    ).to.deep.equal(['acme.seiketsu.invalid', 'www.acme.INVALID.'])
  })

  it('finds none in a stack with a real domain, without certificates, or that is not a stack', () => {
    expect(unvalidatableCertificateNames(stack({api: {domain_name: 'acme.clients.example.com'}}))).to.deep.equal([])
    expect(unvalidatableCertificateNames(stack({api: {domain_name: 'acme.invalid.example.com'}}))).to.deep.equal([])
    expect(unvalidatableCertificateNames({resource: {aws_vpc: {network: {}}}})).to.deep.equal([])
    expect(unvalidatableCertificateNames(null)).to.deep.equal([])
  })
})
