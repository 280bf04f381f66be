package history

// window counts checks and failures in consecutive buckets (hours or UTC
// days, numbered from the Unix epoch): Checks[i] and Fails[i] are bucket
// Start+i. It keeps at most a fixed number of buckets, the newest; a bucket
// with no checks is a gap, not uptime.
type window struct {
	Start  int64 `json:"start"`
	Checks []int `json:"checks"`
	Fails  []int `json:"fails"`
}

// add counts one check in bucket idx and keeps the newest size buckets. A
// check older than the oldest bucket kept is dropped.
func (w *window) add(idx int64, up bool, size int) {
	if len(w.Checks) == 0 {
		w.Start, w.Checks, w.Fails = idx, []int{0}, []int{0}
	}
	if idx < w.Start {
		if w.Start-idx >= int64(size) {
			return
		}
		pad := int(w.Start - idx)
		w.Checks = append(make([]int, pad), w.Checks...)
		w.Fails = append(make([]int, pad), w.Fails...)
		w.Start = idx
	}
	for idx >= w.Start+int64(len(w.Checks)) {
		w.Checks, w.Fails = append(w.Checks, 0), append(w.Fails, 0)
	}
	i := int(idx - w.Start)
	w.Checks[i]++
	if !up {
		w.Fails[i]++
	}
	w.trim(w.Start+int64(len(w.Checks))-1, size)
}

// trim drops the buckets older than the newest size buckets ending at last.
func (w *window) trim(last int64, size int) {
	first := last - int64(size) + 1
	if first <= w.Start {
		return
	}
	cut := int(first - w.Start)
	if cut >= len(w.Checks) {
		*w = window{}
		return
	}
	w.Checks, w.Fails = append([]int(nil), w.Checks[cut:]...), append([]int(nil), w.Fails[cut:]...)
	w.Start = first
}

// at returns the counts of bucket idx (zero when it is not kept).
func (w window) at(idx int64) (checks, fails int) {
	i := idx - w.Start
	if i < 0 || i >= int64(len(w.Checks)) {
		return 0, 0
	}
	return w.Checks[i], w.Fails[i]
}

// sum adds up the buckets from first to last, both included.
func (w window) sum(first, last int64) (checks, fails int) {
	for idx := max(first, w.Start); idx <= last && idx < w.Start+int64(len(w.Checks)); idx++ {
		c, f := w.at(idx)
		checks += c
		fails += f
	}
	return checks, fails
}
