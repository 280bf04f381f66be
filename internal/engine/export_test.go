package engine

// SetMinLazyBytes sets, for a test, the smallest object or array of a
// task's result that is kept as text; it returns a func that restores the
// setting. Tests that call it must not run in parallel.
func SetMinLazyBytes(n int) (restore func()) {
	old := minLazyBytes
	minLazyBytes = n
	return func() { minLazyBytes = old }
}
