/**
 * Prompts, loaded only when a command really asks something (inquirer is not on the --help path).
 * Ctrl-C rejects with inquirer's ExitPromptError, which the base command maps to exit 130.
 */
export async function promptInput(
  message: string,
  options: {default?: string; validate?: (value: string) => true | string} = {},
) {
  const {input} = await import('@inquirer/prompts')
  return input({default: options.default, message, validate: options.validate})
}

export async function promptSelect<V extends string>(
  message: string,
  choices: {name: string; value: V; description?: string}[],
  defaultValue?: V,
) {
  const {select} = await import('@inquirer/prompts')
  return select<V>({choices, default: defaultValue, message})
}

export async function promptCheckbox<V extends string>(
  message: string,
  choices: {name: string; value: V; checked?: boolean}[],
) {
  const {checkbox} = await import('@inquirer/prompts')
  return checkbox<V>({choices, message})
}

export async function promptConfirm(message: string, defaultValue = false) {
  const {confirm} = await import('@inquirer/prompts')
  return confirm({default: defaultValue, message})
}

/** A secret answer; `mask: false` shows nothing at all as it is typed (not even its length). */
export async function promptPassword(message: string, options: {mask?: boolean} = {}) {
  const {password} = await import('@inquirer/prompts')
  return password({mask: options.mask ?? true, message})
}

/** Adapts a zod-style check to inquirer: true when valid, else the reason (the prompt re-asks). */
export function validateWith(check: (value: string) => string | undefined): (value: string) => true | string {
  return (value) => check(value) ?? true
}
