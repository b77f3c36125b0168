/** How environments, outcomes and JSON are printed for people and scripts. */
import type { Terminal } from './args';
import type { EnvironmentView } from './environment-view';
import { formatDuration, renderBar } from './progress';

/** Pretty JSON on its own line(s): what `--json` prints, always on stdout. */
export function printJson(terminal: Terminal, value: unknown): void {
  terminal.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function label(environment: EnvironmentView): string {
  return `${environment.name} (${environment.id})`;
}

/** `step create-vpc: VpcLimitExceeded: The maximum number of VPCs has been reached.` */
export function describeError(error: NonNullable<EnvironmentView['error']>): string[] {
  return [
    ...(error.step ? [`  step:    ${error.step}`] : []),
    `  code:    ${error.code}`,
    `  message: ${error.message}`,
  ];
}

/** The URL lines of a READY environment: the main URL, then each service's own. */
export function describeUrls(environment: EnvironmentView): string[] {
  const services = environment.outputs.services ?? [];
  return [
    ...(environment.outputs.url ? [`  URL: ${environment.outputs.url}`] : []),
    ...services.map((service) => `  ${service.name}: ${service.url}`),
  ];
}

function row(name: string, value: string): string {
  return `${`${name}:`.padEnd(11)}${value}`;
}

/** The `berth status` view. */
export function describeEnvironment(environment: EnvironmentView): string[] {
  const { progress, outputs } = environment;
  const lines = [
    `${label(environment)}  team ${environment.team}`,
    row('Status', `${environment.status}  ${renderBar(progress.percent)} ${Math.round(progress.percent)}%`),
  ];
  if (progress.currentStep) lines.push(row('Step', progress.currentStep));
  if (progress.completedSteps.length > 0) {
    lines.push(row('Completed', ''));
    for (const step of progress.completedSteps) {
      const ms = Date.parse(step.finishedAt) - Date.parse(step.startedAt);
      lines.push(`  ✔ ${step.step.padEnd(28)} ${formatDuration(ms)}`);
    }
  }
  if (outputs.url) lines.push(row('URL', outputs.url));
  for (const service of outputs.services ?? []) {
    lines.push(row('Service', `${service.name}  ${service.url}  (logs ${service.logGroup})`));
  }
  if (environment.error) {
    const { step, code, message } = environment.error;
    lines.push(row('Error', `${step ? `${step}: ` : ''}${code}: ${message}`));
  }
  lines.push(row('Updated', environment.updatedAt));
  return lines;
}
