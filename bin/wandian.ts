/**
 * CDK app: WandianIdentity (the chain's user pool, cdk.json `wandian:identityRegion`), WandianEdge (the WAF web
 * ACL, us-east-1) and one wandian stack per AWS region named in cdk.json `wandian:salesRegions`. The cdk-nag
 * AwsSolutions pack validates every stack at synthesis.
 */
import { App } from 'aws-cdk-lib';
import { addNagChecks, buildApp } from '../lib/app.ts';

const app = new App();
buildApp(app);
addNagChecks(app);
app.synth();
