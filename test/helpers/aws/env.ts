/** Credentials the SDK accepts without touching a real account or the instance metadata service. */
export const FAKE_AWS_ENV: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_REGION: 'us-east-1',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
}

/**
 * Management-side credentials for in-process SDK clients (the standard chain reads them from the
 * environment), with nothing of the caller's own AWS setup leaking in. Returns a restore function.
 */
export function useFakeAwsEnvironment(): () => void {
  const saved = {...process.env}
  for (const name of Object.keys(process.env)) if (name.startsWith('AWS_')) delete process.env[name]
  Object.assign(process.env, FAKE_AWS_ENV, {
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  })
  return () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name]
    Object.assign(process.env, saved)
  }
}
