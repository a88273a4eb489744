import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect} from 'chai'
import {parse} from 'yaml'

import {parseOutputs} from '../../src/audit/outputs.ts'
import {SEVERITIES} from '../../src/audit/types.ts'
import Audit from '../../src/commands/audit/index.ts'
import {repoRoot} from '../helpers/cli.ts'

/** The shell commands of a CI file, in order (GitHub `run:` steps, GitLab `script:` lines). */
function commandsOf(file: string): string[] {
  const config = parse(readFileSync(join(repoRoot, 'templates', 'ci', file), 'utf8')) as Record<string, unknown>
  if (file.startsWith('github')) {
    const jobs = Object.values(config.jobs as Record<string, {steps: {run?: string}[]}>)
    return jobs.flatMap((job) =>
      job.steps.flatMap((step) => (step.run ? [step.run.replaceAll(/\s+/g, ' ').trim()] : [])),
    )
  }
  return Object.values(config).flatMap((job) => ((job as {script?: string[]}).script ?? []).map((line) => line.trim()))
}

/** The commands without the `exec` that hands the shell's process to seiketsu. */
const withoutExec = (commands: string[]) => commands.map((command) => command.replace(/^exec (npx )?/, ''))

describe('CI templates (templates/ci)', () => {
  const files = readdirSync(join(repoRoot, 'templates', 'ci')).filter((file) => file.endsWith('.yml'))

  for (const file of files.filter((name) => name.startsWith('github') || name.includes('github-actions')))
    it(`${file} runs seiketsu with exec, so that a cancelled job's signals reach it (and its terraform)`, () => {
      const config = parse(readFileSync(join(repoRoot, 'templates', 'ci', file), 'utf8')) as {
        jobs: Record<string, {steps: {run?: string}[]}>
      }
      const steps = Object.values(config.jobs).flatMap((job) =>
        job.steps.flatMap((step) => (step.run ? [step.run.trim()] : [])),
      )
      // Every shell line that runs seiketsu (not the ones that mention it in a summary).
      const invoking = steps
        .flatMap((run) => run.split('\n'))
        .filter((line) => /^\s*(exec\s+)?(npx\s+)?seiketsu\s/.test(line))
      expect(invoking.length, file).to.be.greaterThan(0)
      for (const line of invoking) expect(line.trim(), file).to.match(/^exec (npx )?seiketsu /)
    })

  it('gitlab-audit.yml hands its last script line to seiketsu with exec', () => {
    expect(commandsOf('gitlab-audit.yml').at(-1)).to.match(/^exec seiketsu audit /)
  })

  for (const file of ['github-audit.yml', 'gitlab-audit.yml'])
    it(`${file} synthesizes, then audits non-interactively with a SARIF report, using real flags`, () => {
      const commands = withoutExec(commandsOf(file))
      const synth = commands.findIndex((command) => command.startsWith('seiketsu synth'))
      const audit = commands.findIndex((command) => command.startsWith('seiketsu audit'))
      expect(synth).to.be.at.least(0)
      expect(audit).to.be.greaterThan(synth)
      const words = commands[audit]!.split(' ').slice(2)
      const outputs: string[] = []
      for (let index = 0; index < words.length; index += 2) {
        const flag = words[index]!.replace(/^--/, '')
        expect(Object.keys(Audit.flags), `--${flag}`).to.include(flag)
        if (flag === 'output') outputs.push(words[index + 1]!)
        if (flag === 'fail-on') expect(SEVERITIES).to.include(words[index + 1])
      }
      expect(parseOutputs(outputs, 'table').map((output) => output.format)).to.include.members(['sarif', 'junit'])
    })
})
