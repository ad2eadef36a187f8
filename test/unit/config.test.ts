/**
 * Configuration decisions that differ between AWS Lambda and the local runtime (src/config.ts): deployed,
 * a missing setting fails fast; locally the documented fallback applies.
 */
import { describe, expect, it } from 'vitest';
import { alertTopicArn, inAwsLambda } from '../../src/config.ts';
import { ALERT_TOPIC_ENV } from '../../lib/wiring.ts';

const LAMBDA = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' };
const TOPIC = 'arn:aws:sns:ap-east-1:123456789012:low-stock-alerts';

describe('inAwsLambda', () => {
  it('is true only where the Lambda runtime set AWS_EXECUTION_ENV', () => {
    expect(inAwsLambda(LAMBDA)).toBe(true);
    expect(inAwsLambda({})).toBe(false);
    expect(inAwsLambda({ AWS_EXECUTION_ENV: '' })).toBe(false);
  });
});

describe('alertTopicArn', () => {
  it('returns the configured topic, deployed or local', () => {
    expect(alertTopicArn({ ...LAMBDA, [ALERT_TOPIC_ENV]: TOPIC })).toBe(TOPIC);
    expect(alertTopicArn({ [ALERT_TOPIC_ENV]: TOPIC })).toBe(TOPIC);
  });

  it('throws inside AWS Lambda when the topic is missing or empty, instead of logging alerts', () => {
    expect(() => alertTopicArn(LAMBDA)).toThrow(ALERT_TOPIC_ENV);
    expect(() => alertTopicArn({ ...LAMBDA, [ALERT_TOPIC_ENV]: '' })).toThrow(ALERT_TOPIC_ENV);
  });

  it('is undefined locally without a topic, so alerts become a log line there', () => {
    expect(alertTopicArn({})).toBeUndefined();
    expect(alertTopicArn({ [ALERT_TOPIC_ENV]: '' })).toBeUndefined();
  });
});
