/** CDK app: one wandian stack per AWS region named in cdk.json `wandian:salesRegions`. */
import { App } from 'aws-cdk-lib';
import { addRegionalStacks } from '../lib/app.ts';

const app = new App();
addRegionalStacks(app);
app.synth();
