package engine

// A lambda:invoke Task's result is Lambda's Invoke response,
// {ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata,
// StatusCode}, and most definitions keep only its Payload: OutputPath
// "$.Payload", or a ResultSelector whose paths all start with "$.Payload".
// For those, the engine evaluates the same selection on the payload itself
// (the path without its first step) and never builds the response's
// objects; the history still shows the whole response. Any failure of the
// shortcut falls back to the ordinary way, so error names and messages are
// unchanged.

// payloadView holds a Task's result processing rewritten to read a
// lambda:invoke response's Payload directly.
type payloadView struct {
	selector *template // ResultSelector, when it reads only $.Payload…
	output   *path     // OutputPath, when there is no ResultSelector and ResultPath is "$"
}

// invokeResponse is a lambda:invoke result whose objects are not built.
type invokeResponse struct {
	payload   any
	requestID string
	encoded   string // the whole response, as the history shows it
}

// newPayloadView is the view of a lambda:invoke Task, or nil when its
// result processing reads more than the Payload.
func newPayloadView(st *State) *payloadView {
	if st.Resource != lambdaInvoke {
		return nil
	}
	if st.ResultSelector != nil {
		if sel, ok := stripPayloadTemplate(st.ResultSelector); ok {
			return &payloadView{selector: sel}
		}
		return nil
	}
	if st.ResultPath != nil || st.OutputPath == nil || st.OutputPath.null {
		return nil
	}
	if p, ok := stripPayloadPath(st.OutputPath.p); ok {
		return &payloadView{output: p}
	}
	return nil
}

// stripPayloadPath turns $.Payload… into $… (keeping the source text for
// messages); context paths are returned as they are.
func stripPayloadPath(p *path) (*path, bool) {
	if p.context {
		return p, true
	}
	if len(p.segs) == 0 || p.segs[0].kind != segName || p.segs[0].recursive || p.segs[0].name != "Payload" {
		return nil, false
	}
	q := &path{src: p.src, segs: p.segs[1:]}
	q.simple = q.definite()
	return q, true
}

func stripPayloadIntrinsic(c *intrinsic) (*intrinsic, bool) {
	out := &intrinsic{name: c.name, args: make([]intrinsicArg, len(c.args))}
	for i, a := range c.args {
		switch {
		case a.path != nil:
			p, ok := stripPayloadPath(a.path)
			if !ok {
				return nil, false
			}
			out.args[i] = intrinsicArg{path: p}
		case a.call != nil:
			cc, ok := stripPayloadIntrinsic(a.call)
			if !ok {
				return nil, false
			}
			out.args[i] = intrinsicArg{call: cc}
		default:
			out.args[i] = a
		}
	}
	return out, true
}

func stripPayloadTemplate(t *template) (*template, bool) {
	out := &template{static: t.static, readsContext: t.readsContext}
	switch {
	case t.dyn != nil:
		d := &dynamic{}
		var ok bool
		if t.dyn.path != nil {
			d.path, ok = stripPayloadPath(t.dyn.path)
		} else {
			d.call, ok = stripPayloadIntrinsic(t.dyn.call)
		}
		if !ok {
			return nil, false
		}
		out.dyn = d
	case t.object != nil:
		out.object = make(map[string]*template, len(t.object))
		for k, c := range t.object {
			sc, ok := stripPayloadTemplate(c)
			if !ok {
				return nil, false
			}
			out.object[k] = sc
		}
		out.indexFields()
	case t.array != nil:
		out.array = make([]*template, len(t.array))
		for i, c := range t.array {
			sc, ok := stripPayloadTemplate(c)
			if !ok {
				return nil, false
			}
			out.array[i] = sc
		}
	}
	return out, true
}

// encodeInvokeResponse encodes a lambda:invoke response from its payload
// and request ID, as lambdaInvokeResult would encode.
func (x *execution) encodeInvokeResponse(payload any, requestID string) (string, bool) {
	return encodeWith(x.memo, func(es *encodeState, b []byte) ([]byte, bool) {
		for i, part := range invokeResultTemplate {
			var ok bool
			switch {
			case i%2 == 0:
				b = append(b, part...)
			case part == "payload":
				if b, ok = es.appendValue(b, payload); !ok {
					return b, false
				}
			default:
				b = appendString(b, requestID)
			}
		}
		return b, true
	})
}

// response builds the response's objects (the encoding is remembered).
func (x *execution) response(r *invokeResponse) map[string]any {
	w := lambdaInvokeResult(r.payload, r.requestID)
	x.memo.put(mapKey(w), r.encoded)
	return w
}

// viewResult applies the Task's result processing through its payload
// view. handled is false when the shortcut does not apply or failed: the
// caller then processes the whole response.
func (x *execution) viewResult(st *State, input any, r *invokeResponse, sr stateRun) (out any, f *Failure, handled bool) {
	v := st.payloadView
	if v.selector != nil {
		sel, err := v.selector.apply(r.payload, x.contextFor(v.selector, st, sr.entered, sr.retries, sr.th))
		if err != nil {
			return nil, nil, false
		}
		out, f = applyResult(sr, input, sel)
		return out, f, true
	}
	out, err := v.output.eval(sr.root(v.output, r.payload))
	if err != nil {
		return nil, nil, false
	}
	return out, nil, true
}
