/**
 * The deployed ASL, run locally by aws-local-stepfunctions. Each `stateMachines` entry's file gets its
 * `${Name}` placeholders replaced with local function ARNs, and every Task state is overridden to call
 * the local Lambda runtime (nothing ever reaches real AWS):
 * - a function ARN Resource invokes that function with the state's effective input;
 * - `arn:aws:states:::lambda:invoke` invokes `FunctionName` with `Payload` ({Payload, StatusCode} result);
 * - `...lambda:invoke.waitForTaskToken` invokes it too, then waits for SendTaskSuccess/SendTaskFailure
 *   with the token that `$$.Task.Token` resolved to (a fresh token per attempt, as in AWS).
 * Function errors surface as Lambda reports them: error name = `errorType`, cause = JSON
 * `{errorType, errorMessage, trace}`.
 *
 * Two local-only adjustments keep the library's behaviour equal to AWS's:
 * - aws-local-stepfunctions 3.0.0 resolves `TimeoutSecondsPath` against the Parameters output, AWS against
 *   the state input. A Task with both gets a hidden Parameters field carrying the value, which the library
 *   then reads and the override strips before calling the function.
 * - The library times out a Task without TimeoutSeconds(Path) after 60 s; AWS practically never
 *   (99999999 s). Such Tasks get the longest timer Node allows (~24.8 days).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { stateMachines as wiredStateMachines, type StateMachineSpec } from '../lib/wiring.ts';
import { AwsError, type Operations } from './aws-emulator.ts';
import { DEFAULT_REGION, LOCAL_ACCOUNT, REPO_ROOT, localFunctionArn, type LambdaRuntime } from './lambda-runtime.ts';
import { meter, meterExpressExecution } from './metering.ts';

/** What the runner needs of a state machine: the wiring's spec, or a test fixture's. */
export type LocalStateMachineSpec = Pick<StateMachineSpec, 'file'> &
  Partial<Pick<StateMachineSpec, 'envVar' | 'type'>> & {
    functionSubstitutions: Record<string, string>;
  };

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One execution, as DescribeExecution reports it (dates as Date). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  /** JSON text, as given to StartExecution. */
  input: string;
  /** JSON text; SUCCEEDED only. */
  output?: string;
  /** Error name and cause; FAILED / TIMED_OUT only. */
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate?: Date;
}

export interface StepFunctionsOptions {
  /** Invokes the Task functions. */
  runtime: LambdaRuntime;
  /** Default: lib/wiring.ts `stateMachines`; tests pass fixtures (files relative to `root`). */
  stateMachines?: Record<string, LocalStateMachineSpec>;
  root?: string;
  region?: string;
  /** Every Retry waits this many milliseconds instead of IntervalSeconds x BackoffRate (tests). */
  retryIntervalMs?: number;
  /** Finished executions kept for DescribeExecution and name idempotency; oldest dropped first. Default 50,000. */
  maxFinishedExecutions?: number;
  /** Called once per execution when it stops (any status). */
  onExecutionEnd?: (record: ExecutionRecord) => void;
}

const TIMEOUT_PARAM = 'wandianLocalTimeoutSeconds';
const TIMEOUT_PATH = `$.${TIMEOUT_PARAM}`;
/** setTimeout's ceiling (2^31-1 ms), standing in for AWS's default 99999999 s Task timeout. */
const MAX_TIMER_SECONDS = 2_147_483;
const DEFAULT_MAX_FINISHED = 50_000;
/**
 * Under metering, task tokens as long as AWS's (~670 characters as observed in AWS; the API allows up to 2,048),
 * so items that store one are sized as deployed (locally 64 characters otherwise).
 */
const METERED_TOKEN_BYTES = 504;
const WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const FUNCTION_ARN = /^arn:aws:lambda:[^:]+:\d{12}:function:wandian-local-([^:]+)(:[^:]+)?$/;

/** `arn:aws:states:<region>:000000000000:stateMachine:wandian-local-<id>`. */
export const localStateMachineArn = (id: string, region = process.env.AWS_REGION ?? DEFAULT_REGION): string =>
  `arn:aws:states:${region}:${LOCAL_ACCOUNT}:stateMachine:wandian-local-${id}`;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type TaskState = {
  Type: 'Task';
  Resource: string;
  Parameters?: Json;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  Retry?: unknown[];
};
type AnyState = { Type: string; Retry?: unknown[]; Branches?: Graph[]; Iterator?: Graph; ItemProcessor?: Graph } & Partial<TaskState>;
type Graph = { States: Record<string, AnyState> };

/** Every state of a definition, nested Parallel branches and Map processors included. */
function* allStates(graph: Graph): Generator<[string, AnyState]> {
  for (const [name, state] of Object.entries(graph.States)) {
    yield [name, state];
    for (const branch of state.Branches ?? []) yield* allStates(branch);
    for (const inner of [state.Iterator, state.ItemProcessor]) if (inner) yield* allStates(inner);
  }
}

/** Reads an ASL file and replaces `${Name}` with local function ARNs; throws on an unknown placeholder. */
export function loadDefinition(spec: LocalStateMachineSpec, root = REPO_ROOT, region?: string): StateMachineDefinition {
  const text = readFileSync(join(root, spec.file), 'utf8').replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const fn = spec.functionSubstitutions[name];
    if (!fn) throw new Error(`${spec.file}: no function substitution for \${${name}}`);
    return localFunctionArn(fn, region);
  });
  return JSON.parse(text) as StateMachineDefinition;
}

/** Lambda's view of a function error: name = errorType, message = the JSON cause Step Functions shows. */
function lambdaError(error: unknown): Error {
  const e = error instanceof Error ? error : new Error(String(error));
  // A throttled invocation is a Lambda service error, not the function's: Step Functions names it Lambda.<Exception>.
  if (e.name === 'TooManyRequestsException') return Object.assign(new Error(e.message), { name: 'Lambda.TooManyRequestsException' });
  const out = new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: e.stack?.split('\n') ?? [] }));
  out.name = e.name;
  return out;
}

/** Local state machine: definition after the adjustments above, plus how to run each Task. */
interface Prepared {
  id: string;
  arn: string;
  machine: StateMachine;
  tasks: Array<[string, TaskState]>;
  retryStates: string[];
  /** Default STANDARD (a fixture without `type`). EXPRESS: no execution-name dedupe (as in AWS); every start runs. */
  type: 'STANDARD' | 'EXPRESS';
}

interface Execution {
  record: ExecutionRecord;
  abort?: () => void;
  done: Promise<ExecutionRecord>;
  /** The token `$$.Task.Token` resolved to most recently. */
  lastToken?: string;
  tokens: string[];
}

interface TaskWait {
  execution: Execution;
  /** Epoch ms after which the Task has timed out. */
  deadline: number;
  closed: boolean;
  resolve(value: Json): void;
  reject(error: Error): void;
}

/**
 * The local Step Functions service: StartExecution / DescribeExecution / SendTask* with AWS semantics,
 * over `aws-local-stepfunctions`. See the module comment for how Tasks run.
 */
export class LocalStepFunctions {
  private readonly machines = new Map<string, Prepared>();
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, TaskWait>();
  private readonly finished: string[] = [];
  private stopped = false;

  /** Loads, adjusts and validates every state machine; throws on invalid ASL or an unsupported Task Resource. */
  constructor(private readonly opts: StepFunctionsOptions) {
    const specs: Record<string, LocalStateMachineSpec> = opts.stateMachines ?? wiredStateMachines;
    for (const [id, spec] of Object.entries(specs)) {
      const definition = loadDefinition(spec, opts.root, opts.region);
      const tasks: Array<[string, TaskState]> = [];
      const retryStates: string[] = [];
      for (const [name, state] of allStates(definition as unknown as Graph)) {
        if (state.Retry) retryStates.push(name);
        if (state.Type !== 'Task') continue;
        const task = state as TaskState;
        this.checkResource(spec.file, name, task);
        if (task.TimeoutSecondsPath && task.Parameters && typeof task.Parameters === 'object' && !Array.isArray(task.Parameters)) {
          task.Parameters[`${TIMEOUT_PARAM}.$`] = task.TimeoutSecondsPath;
          task.TimeoutSecondsPath = TIMEOUT_PATH;
        } else if (!task.TimeoutSeconds && !task.TimeoutSecondsPath) {
          task.TimeoutSeconds = MAX_TIMER_SECONDS;
        }
        tasks.push([name, task]);
      }
      const machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
      const arn = localStateMachineArn(id, opts.region);
      this.machines.set(arn, { id, arn, machine, tasks, retryStates, type: spec.type ?? 'STANDARD' });
    }
  }

  private checkResource(file: string, state: string, task: TaskState): void {
    const params = task.Parameters as Record<string, Json> | undefined;
    const fn = task.Resource === WAIT_FOR_TOKEN || task.Resource === LAMBDA_INVOKE ? params?.FunctionName : task.Resource;
    if (fn === undefined && params && 'FunctionName.$' in params) return; // resolved at run time
    const id = typeof fn === 'string' ? FUNCTION_ARN.exec(fn)?.[1] : undefined;
    if (!id) throw new Error(`${file} ${state}: Task resource ${task.Resource} is not a local function or Lambda integration`);
    if (!this.opts.runtime.has(id)) throw new Error(`${file} ${state}: unknown function ${id}`);
  }

  /** ARN of each state machine by id. */
  get arns(): Record<string, string> {
    return Object.fromEntries([...this.machines.values()].map((m) => [m.id, m.arn]));
  }

  /** AWS JSON operations for the emulator (`AWSStepFunctions.*`). */
  operations(): Operations {
    const seconds = (d?: Date) => (d ? d.getTime() / 1000 : undefined);
    return {
      'AWSStepFunctions.StartExecution': (r) => {
        const rec = this.startExecution(r);
        return { executionArn: rec.executionArn, startDate: seconds(rec.startDate) };
      },
      'AWSStepFunctions.DescribeExecution': (r: { executionArn?: string }) => {
        const rec = this.describeExecution(String(r.executionArn));
        return { ...rec, startDate: seconds(rec.startDate), stopDate: seconds(rec.stopDate) };
      },
      'AWSStepFunctions.SendTaskSuccess': (r: { taskToken?: string; output?: string }) => {
        let output: Json;
        try {
          output = JSON.parse(String(r.output));
        } catch {
          throw new AwsError('InvalidOutput', 'output is not valid JSON');
        }
        this.openTask(r.taskToken).resolve(output);
        return {};
      },
      'AWSStepFunctions.SendTaskFailure': (r: { taskToken?: string; error?: string; cause?: string }) => {
        const failure = new Error(r.cause ?? '');
        failure.name = r.error ?? '';
        this.openTask(r.taskToken).reject(failure);
        return {};
      },
      'AWSStepFunctions.SendTaskHeartbeat': (r: { taskToken?: string }) => {
        this.openTask(r.taskToken);
        return {};
      },
    };
  }

  /**
   * Starts an execution (AWS semantics for `name`: for STANDARD, a RUNNING execution with the same name and
   * input is returned as is and any other reuse throws ExecutionAlreadyExists; EXPRESS has no name dedupe, so
   * every start runs, with ARN `...:express:<machine>:<name>:<uuid>`). Throws AwsError
   * StateMachineDoesNotExist, InvalidName, InvalidExecutionInput.
   */
  startExecution(req: { stateMachineArn?: string; name?: string; input?: string }): ExecutionRecord {
    const machine = this.machines.get(String(req.stateMachineArn));
    if (!machine) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${req.stateMachineArn}'`);
    if (this.stopped) throw new AwsError('ServiceUnavailable', 'Local Step Functions is stopping', 503);
    const name = req.name ?? randomUUID();
    if (!/^[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = req.input ?? '{}';
    let input: Json;
    try {
      input = JSON.parse(inputText);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
    }
    const executionArn =
      machine.type === 'EXPRESS'
        ? `${machine.arn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`
        : `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      if (existing.record.status === 'RUNNING' && existing.record.input === inputText) return existing.record;
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.arn,
      name,
      status: 'RUNNING',
      input: inputText,
      startDate: new Date(),
    };
    const execution = { record, tokens: [] } as unknown as Execution;
    this.executions.set(executionArn, execution);
    const run = machine.machine.run(input, {
      overrides: {
        taskResourceLocalHandlers: Object.fromEntries(
          machine.tasks.map(([state, task]) => [state, (taskInput: Json) => this.runTask(execution, task, taskInput)]),
        ),
        retryIntervalOverrides:
          this.opts.retryIntervalMs === undefined
            ? undefined
            : Object.fromEntries(machine.retryStates.map((s) => [s, this.opts.retryIntervalMs!])),
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/wandian-local` },
        StateMachine: { Id: machine.arn, Name: `wandian-local-${machine.id}` },
        // A fresh token each time `$$.Task.Token` is resolved, i.e. per Task attempt (as in AWS).
        Task: {
          get Token() {
            return (execution.lastToken = randomBytes(meter.enabled ? METERED_TOKEN_BYTES : 48).toString('base64url'));
          },
        },
      },
    });
    execution.abort = run.abort;
    if (meter.enabled) void this.meter(machine, run.eventLogs);
    execution.done = run.result.then(
      (output) => this.finish(execution, { status: 'SUCCEEDED', output: JSON.stringify(output) }),
      (error: Error) => {
        const cause = error.cause as Error | undefined;
        if (error.name === 'ExecutionAbortedError') return this.finish(execution, { status: 'ABORTED' });
        if (error.name === 'ExecutionTimeoutError') return this.finish(execution, { status: 'TIMED_OUT', error: 'States.Timeout' });
        return this.finish(execution, { status: 'FAILED', error: cause?.name ?? error.name, cause: cause?.message ?? error.message });
      },
    );
    return record;
  }

  /** Counts the execution: a start, and each state entered or retried (a state transition as AWS bills STANDARD). */
  private async meter(machine: Prepared, events: AsyncGenerator<{ type: string }>): Promise<void> {
    meter.add(`sfn.starts.${machine.id}`);
    const started = Date.now();
    for await (const e of events) if (e.type === 'StateEntered' || e.type === 'StateRetried') meter.add(`sfn.transitions.${machine.id}`);
    if (machine.type === 'EXPRESS') meterExpressExecution(machine.id, Date.now() - started);
  }

  private runTask(execution: Execution, task: TaskState, input: Json): Promise<Json> {
    let params = input;
    let timeoutSeconds = task.TimeoutSeconds;
    if (task.TimeoutSecondsPath === TIMEOUT_PATH) {
      const { [TIMEOUT_PARAM]: seconds, ...rest } = input as Record<string, Json>;
      [params, timeoutSeconds] = [rest, seconds as number];
    }
    const invoke = async (fn: Json | undefined, payload: Json | undefined): Promise<Json> => {
      const id = typeof fn === 'string' ? FUNCTION_ARN.exec(fn)?.[1] : undefined;
      if (!id || !this.opts.runtime.has(id)) {
        throw Object.assign(new Error(`Function not found: ${String(fn)}`), { name: 'Lambda.ResourceNotFoundException' });
      }
      try {
        return ((await this.opts.runtime.invoke(id, payload === undefined ? {} : payload)) ?? null) as Json;
      } catch (error) {
        throw lambdaError(error);
      }
    };
    if (task.Resource !== LAMBDA_INVOKE && task.Resource !== WAIT_FOR_TOKEN) return invoke(task.Resource, params);
    const { FunctionName, Payload } = params as { FunctionName?: Json; Payload?: Json };
    if (task.Resource === LAMBDA_INVOKE) {
      return invoke(FunctionName, Payload).then((result) => ({ ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }));
    }

    // waitForTaskToken: the token was issued just now, while the library resolved `$$.Task.Token`.
    const token = execution.lastToken;
    execution.lastToken = undefined;
    if (!token) return Promise.reject(new Error('waitForTaskToken Task without $$.Task.Token in its Parameters'));
    const { promise, resolve, reject } = Promise.withResolvers<Json>();
    const wait: TaskWait = {
      execution,
      deadline: Date.now() + (timeoutSeconds ?? MAX_TIMER_SECONDS) * 1000,
      closed: false,
      resolve: (value) => {
        wait.closed = true;
        resolve(value);
      },
      reject: (error) => {
        wait.closed = true;
        reject(error);
      },
    };
    this.tokens.set(token, wait);
    execution.tokens.push(token);
    // Registered before the call: the function may itself send the result (callback came first).
    invoke(FunctionName, Payload).catch((error: Error) => !wait.closed && wait.reject(error));
    return promise;
  }

  /** The waiting Task for a token; throws InvalidToken (unknown) or TaskTimedOut (closed, expired, or execution over). */
  private openTask(token: unknown): TaskWait {
    const wait = typeof token === 'string' ? this.tokens.get(token) : undefined;
    if (!wait) throw new AwsError('InvalidToken', 'Invalid token');
    if (wait.closed || Date.now() >= wait.deadline || wait.execution.record.status !== 'RUNNING') {
      throw new AwsError('TaskTimedOut', 'Task Timed Out');
    }
    return wait;
  }

  private finish(execution: Execution, result: Partial<ExecutionRecord>): ExecutionRecord {
    Object.assign(execution.record, result, { stopDate: new Date() });
    execution.abort = undefined;
    for (const token of execution.tokens) this.tokens.get(token)!.closed = true;
    this.finished.push(execution.record.executionArn);
    while (this.finished.length > (this.opts.maxFinishedExecutions ?? DEFAULT_MAX_FINISHED)) {
      const old = this.executions.get(this.finished.shift()!);
      this.executions.delete(old!.record.executionArn);
      for (const token of old!.tokens) this.tokens.delete(token);
    }
    try {
      this.opts.onExecutionEnd?.(execution.record);
    } catch {
      // an observer's bug must not fail the execution
    }
    return execution.record;
  }

  /** Current record of an execution; throws AwsError ExecutionDoesNotExist. */
  describeExecution(executionArn: string): ExecutionRecord {
    const execution = this.executions.get(executionArn);
    if (!execution) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return { ...execution.record };
  }

  /** Resolves with the final record once the execution stops; throws AwsError ExecutionDoesNotExist. */
  waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const execution = this.executions.get(executionArn);
    if (!execution) return Promise.reject(new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`));
    return execution.done.then((r) => ({ ...r }));
  }

  /** Every known execution (newest last). */
  list(): ExecutionRecord[] {
    return [...this.executions.values()].map((e) => ({ ...e.record }));
  }

  /** Aborts running executions (status ABORTED) and refuses new ones; resolves when all have stopped. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const running = [...this.executions.values()].filter((e) => e.abort);
    for (const e of running) e.abort!();
    await Promise.all(running.map((e) => e.done));
  }
}
