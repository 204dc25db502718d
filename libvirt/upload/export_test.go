package upload

import "time"

// SetStallTimeout sets stallTimeout for a test and returns its restore.
func SetStallTimeout(d time.Duration) (restore func()) {
	old := stallTimeout
	stallTimeout = d
	return func() { stallTimeout = old }
}

// SetBeforeUpload sets beforeUpload for a test and returns its restore.
func SetBeforeUpload(f func()) (restore func()) {
	old := beforeUpload
	beforeUpload = f
	return func() { beforeUpload = old }
}
