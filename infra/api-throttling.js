/**
 * API Gateway throttling for the REST API's stage, as CloudFormation: osls (Serverless v3) has no
 * setting for stage or method throttling (its `apiGateway.usagePlan.throttle` applies only to
 * requests that carry an API key, and berth's callers send JWTs), and it creates the stage through
 * the `AWS::ApiGateway::Deployment` resource's `StageName`, whose logical id changes every deploy. So
 * this plugin, listed in serverless.yml, adds `StageDescription` to that resource once osls has
 * compiled it: `ThrottlingRateLimit`/`ThrottlingBurstLimit` for the stage and a `MethodSettings`
 * entry per throttled route (AWS CloudFormation Template Reference, "AWS::ApiGateway::Deployment
 * StageDescription" and "… MethodSetting": a change needs a new deployment, which osls makes on
 * every deploy). The figures come from `custom.apiThrottling` (deploy parameters, README "API
 * throttling"). API Gateway answers a throttled request 429 before any Lambda runs.
 */

/** `POST /environments/{id}/tasks` → MethodSettings' `{ HttpMethod, ResourcePath }` (AWS: "/a/b" is written "/~1a~1b"). */
function methodOf(route) {
  const [method, path] = route.split(' ');
  if (!method || !path?.startsWith('/')) throw new Error(`apiThrottling: "${route}" is not "METHOD /path"`);
  return { HttpMethod: method, ResourcePath: `/${path.replaceAll('/', '~1')}` };
}

/** A positive number from a setting (serverless variables arrive as strings or numbers). */
function limitOf(value, what) {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`apiThrottling: ${what} must be a number ≥ 0`);
  return number;
}

/** The StageDescription of `settings` (`{ rateLimit, burstLimit, routes: { "GET /x": {…} } }`). */
function stageDescriptionOf(settings, tracingEnabled) {
  const routes = Object.entries(settings.routes ?? {});
  return {
    // The stage's own tracing setting is part of the same description; keep the one serverless.yml asks for.
    TracingEnabled: tracingEnabled,
    ThrottlingRateLimit: limitOf(settings.rateLimit, 'rateLimit'),
    ThrottlingBurstLimit: Math.round(limitOf(settings.burstLimit, 'burstLimit')),
    MethodSettings: routes.map(([route, limits]) => ({
      ...methodOf(route),
      ThrottlingRateLimit: limitOf(limits.rateLimit, `${route} rateLimit`),
      ThrottlingBurstLimit: Math.round(limitOf(limits.burstLimit, `${route} burstLimit`)),
    })),
  };
}

class ApiThrottling {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = { 'before:package:finalize': () => this.addStageDescription() };
  }

  addStageDescription() {
    const { service } = this.serverless;
    const settings = service.custom?.apiThrottling;
    if (!settings) return;
    const resources = service.provider.compiledCloudFormationTemplate.Resources;
    const deployments = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::ApiGateway::Deployment',
    );
    const tracingEnabled = Boolean(service.provider.tracing?.apiGateway);
    for (const deployment of deployments) {
      deployment.Properties.StageDescription = {
        ...deployment.Properties.StageDescription,
        ...stageDescriptionOf(settings, tracingEnabled),
      };
    }
  }
}

module.exports = ApiThrottling;
