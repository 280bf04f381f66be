// Runs one definition with instant tasks through aws-local-stepfunctions,
// `iterations` times after one warm-up run, and prints
// {"status", "ms": [per-run milliseconds]} as JSON. Input on stdin:
// {"definition", "input", "context", "iterations", "tasks": {function name: {"kind": "result"|"echo", "value"}}}.
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
const { definition, input, context, iterations, tasks } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

// walk visits every state, including Map item processors.
function walk(def, fn) {
  for (const [name, st] of Object.entries(def.States ?? {})) {
    fn(name, st);
    if (st.ItemProcessor) walk(st.ItemProcessor, fn);
    if (st.Iterator) walk(st.Iterator, fn);
    for (const b of st.Branches ?? []) walk(b, fn);
  }
}

// The engine wraps a lambda:invoke result as {Payload, StatusCode, ...};
// the peer's local handlers return the task result itself, so wrap here.
const taskResourceLocalHandlers = {};
walk(definition, (name, st) => {
  if (st.Type !== 'Task') return;
  const fn = String(st.Parameters?.FunctionName ?? st.Resource).split(':function:')[1];
  const spec = tasks[fn] ?? { kind: 'echo' };
  const wrap = st.Resource === 'arn:aws:states:::lambda:invoke';
  taskResourceLocalHandlers[name] = async (payload) => {
    const out = spec.kind === 'result' ? spec.value : payload;
    return wrap ? { Payload: out, StatusCode: 200 } : out;
  };
});

const sm = new StateMachine(definition, { validationOptions: { noValidate: true } });
const ms = [];
let status = 'SUCCEEDED';
let error = '';
for (let i = 0; i <= iterations; i++) {
  const t0 = performance.now();
  try {
    await sm.run(input, { overrides: { taskResourceLocalHandlers }, context: structuredClone(context) }).result;
  } catch (e) {
    status = 'FAILED';
    error = String(e?.cause?.name ?? e?.name) + ': ' + String(e?.cause?.message ?? e?.message);
    break;
  }
  if (i > 0) ms.push(performance.now() - t0);
}
process.stdout.write(JSON.stringify({ status, error, ms }), () => process.exit(0));
