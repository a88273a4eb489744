// npm run bench:cost [-- --clients N --page-size P]
// Cost Explorer requests (billed $0.01 each) made by one monthly `seiketsu cost report` for a fleet
// of N clients, through the real CLI and AWS SDK against the loopback Cost Explorer: the number
// of pages, not of clients; then the same month again, answered from the cache.
// Cost Explorer does not document how many groups a GetCostAndUsage page holds: --page-size sets
// the loopback's (default 500), and the figure printed is pages = ceil(groups / page size).
import {parseArgs} from 'node:util'

import {previousMonth} from '../../src/cost/cost-explorer.ts'
import {getCostAndUsage, manyAccounts} from '../helpers/aws/cost-explorer.ts'
import {FAKE_AWS_ENV} from '../helpers/aws/env.ts'
import {startJsonService} from '../helpers/aws/protocol.ts'
import {parseJson, runCli} from '../helpers/cli.ts'
import {draftClient, makeWorkspace} from '../helpers/workspace.ts'

const {values} = parseArgs({
  options: {clients: {default: '1000', type: 'string'}, 'page-size': {default: '500', type: 'string'}},
})
const clientCount = Number(values.clients)
const pageSize = Number(values['page-size'])

const accounts = manyAccounts(clientCount + 3) // the fleet, the management account and two strays
const clientId = (index: number) => `client-${String(index).padStart(5, '0')}`
// The same month by seiketsu:client tag: one group per client plus the untagged costs.
const tagGroups = [
  ...accounts.slice(0, clientCount).map((account, index) => ({amount: account.amount, key: clientId(index)})),
  {amount: '120.50', key: ''},
]
let started = performance.now()
const workspace = await makeWorkspace({
  clients: accounts
    .slice(0, clientCount)
    .map((account, index) => draftClient(clientId(index), {accountId: account.key})),
  // /20 client networks: a /8 pool holds 4,096 of them (256 /16s would not fit the fleet)
  configText: (text) => text.replace('prefixLength: 16', 'prefixLength: 20'),
  settings: {managementAccountId: accounts[clientCount]!.key},
})
console.log(`registry of ${clientCount} clients built in ${((performance.now() - started) / 1000).toFixed(1)} s`)

const byAccount = getCostAndUsage({groups: accounts, pageSize})
const byTag = getCostAndUsage({groups: tagGroups, pageSize})
const server = await startJsonService({
  GetCostAndUsage: (body, call) =>
    (body.GroupBy as {Type: string}[])[0]!.Type === 'TAG' ? byTag(body, call) : byAccount(body, call),
})
const month = previousMonth(new Date())
const env = {...FAKE_AWS_ENV, AWS_ENDPOINT_URL_COST_EXPLORER: server.url}

interface Report {
  requests: number
  cached: boolean
  total: string
  clients: unknown[]
  unallocated: unknown[]
}

async function report(label: string, extra: string[] = []) {
  const calls = server.calls.length
  started = performance.now()
  const result = await runCli(['cost', 'report', '--month', month, '--json', ...extra], {
    cwd: workspace.root,
    env,
    timeoutMs: 300_000,
  })
  if (result.exitCode !== 0) throw new Error(`cost report exited ${result.exitCode}: ${result.stderr}`)
  const parsed = parseJson<Report>(result)
  const seconds = ((performance.now() - started) / 1000).toFixed(2)
  console.log(
    `${label.padEnd(34)} requests ${String(parsed.requests).padStart(4)} (server saw ${server.calls.length - calls}, $${(parsed.requests / 100).toFixed(2)})  clients ${parsed.clients.length}  unallocated ${parsed.unallocated.length}  total $${parsed.total}  ${seconds} s`,
  )
  return parsed
}

console.log(`${accounts.length} linked accounts, ${pageSize} groups per page, month ${month}`)
const cold = await report('first report of the month', ['--refresh'])
await report('same month again (cache)')
await report('grouped by tag, --refresh', ['--group-by', 'tag', '--refresh'])
console.log(
  `requests per monthly report for ${clientCount} clients: ${cold.requests} (${Math.ceil(accounts.length / pageSize)} pages expected), ${(cold.requests / clientCount).toFixed(3)} per client`,
)
await server.close()
