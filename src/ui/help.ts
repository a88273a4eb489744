import {CommandHelp, Help, type HelpSectionRenderer} from '@oclif/core'

/** oclif's command help with an EXIT CODES section: the command's static `exitCodes` table, after its examples. */
class SeiketsuCommandHelp extends CommandHelp {
  protected override sections(): Array<{generate: HelpSectionRenderer; header: string}> {
    const sections = super.sections()
    const exitCodes: HelpSectionRenderer = ({cmd}, header) => {
      // From the manifest: the command class's own static property, as JSON.
      const table = cmd.exitCodes as Record<string, string> | undefined
      return table && [{body: Object.entries(table), header}]
    }
    const after = sections.findIndex(({header}) => header === 'EXAMPLES') + 1
    return [...sections.slice(0, after), {generate: exitCodes, header: 'EXIT CODES'}, ...sections.slice(after)]
  }
}

/** seiketsu's help class (.oclifrc helpClass). */
export default class SeiketsuHelp extends Help {
  protected override CommandHelpClass = SeiketsuCommandHelp
}
