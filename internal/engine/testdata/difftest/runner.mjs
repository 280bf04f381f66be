// Runs every case of the differential corpus (JSON on stdin) through
// aws-local-stepfunctions and prints one result per case as a JSON array.
//
// aws-local-stepfunctions 3.0.0 declares Node >= 22 because Task states use
// Promise.withResolvers; this polyfill lets it run on Node 20.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const { StateMachine } = await import('aws-local-stepfunctions');

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const { cases, context } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// walk visits every state of a definition, including branches and iterators.
function walk(def, fn) {
  for (const [name, st] of Object.entries(def.States ?? {})) {
    fn(name, st);
    for (const b of st.Branches ?? []) walk(b, fn);
    if (st.Iterator) walk(st.Iterator, fn);
    if (st.ItemProcessor) walk(st.ItemProcessor, fn);
  }
}

function handlerFor(spec, counters, key) {
  const kind = spec?.kind ?? 'echo';
  return async (input) => {
    switch (kind) {
      case 'echo':
        return input;
      case 'result':
        return spec.value;
      case 'fail': {
        const e = new Error(spec.cause ?? '');
        e.name = spec.error;
        throw e;
      }
      case 'failTimes': {
        counters[key] = (counters[key] ?? 0) + 1;
        if (counters[key] <= spec.n) {
          const e = new Error(`call ${counters[key]}`);
          e.name = spec.error;
          throw e;
        }
        return input;
      }
      default:
        throw new Error(`unknown task kind ${kind}`);
    }
  };
}

const results = [];
for (const c of cases) {
  const taskResourceLocalHandlers = {};
  const waitTimeOverrides = {};
  const retryIntervalOverrides = {};
  const counters = {};
  walk(c.definition, (name, st) => {
    if (st.Type === 'Task') {
      const fn = String(st.Resource).split(':function:')[1] ?? st.Resource;
      taskResourceLocalHandlers[name] = handlerFor(c.tasks?.[fn], counters, fn);
    }
    if (st.Type === 'Wait') waitTimeOverrides[name] = 0;
    if (st.Retry) retryIntervalOverrides[name] = 0;
  });
  const ctx = structuredClone(context);
  ctx.Execution.Input = c.input;
  const out = { name: c.name };
  try {
    // The peer's own validation (ajv over its JSON schema) costs about a second
    // per case; this engine validates definitions itself.
    const sm = new StateMachine(c.definition, { validationOptions: { noValidate: true } });
    const exec = sm.run(c.input, { overrides: { taskResourceLocalHandlers, waitTimeOverrides, retryIntervalOverrides }, context: ctx });
    out.output = await exec.result;
    out.status = 'SUCCEEDED';
  } catch (e) {
    if (e.name === 'ExecutionError') {
      out.status = 'FAILED';
      out.error = e.cause?.name;
      out.cause = String(e.cause?.cause ?? e.cause?.message ?? '');
    } else if (e.name === 'ExecutionTimeoutError') {
      out.status = 'TIMED_OUT';
    } else {
      out.status = 'INVALID';
      out.cause = String(e.message);
    }
  }
  results.push(out);
}
// Exit at once: an aborted Map iteration can leave a timer behind.
process.stdout.write(JSON.stringify(results), () => process.exit(0));
