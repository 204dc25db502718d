package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"time"
)

// engineRecord is what peerpods writes of each pulumi process it starts:
// the facts a DIY lock (pid, user, host, time) lacks to prove later that
// the process is gone, its kernel boot and PID namespace. It is removed
// when the process exits on its own; one killed (kill -9 of peerpods or
// of the engine) leaves it, with the lock.
type engineRecord struct {
	Pid     int       `json:"pid"`
	Host    string    `json:"host"`
	User    string    `json:"user"`
	BootID  string    `json:"bootId"`
	PidNS   string    `json:"pidNs"`
	Started time.Time `json:"started"`
}

// recordWindow bounds the time from an engine's start to its lock: a
// lock taken later than that after the record's start is not taken as
// that process's (a pid reused by a process peerpods did not start).
const recordWindow = 10 * time.Minute

// recordDir is where the records are: per user, on this machine
// ($XDG_CACHE_HOME/peerpods/engines).
func recordDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "peerpods", "engines"), nil
}

// recordPath is the record of pid on host.
func recordPath(dir, host string, pid int) string {
	return filepath.Join(dir, fmt.Sprintf("%s-%d.json", host, pid))
}

// writeRecord records the engine process pid, started at started (a
// time before its start), and returns the record's path ("" when it
// could not be written: the process's lock then cannot be proven stale).
func writeRecord(pid int, started time.Time) string {
	dir, err := recordDir()
	if err != nil || os.MkdirAll(dir, 0o700) != nil {
		return ""
	}
	self := thisMachine()
	r := engineRecord{Pid: pid, Host: self.host, BootID: self.bootID, PidNS: self.pidNS, Started: started}
	if u, err := user.Current(); err == nil {
		r.User = u.Username
	}
	b, err := json.Marshal(r)
	if err != nil {
		return ""
	}
	f := recordPath(dir, self.host, pid)
	if os.WriteFile(f, b, 0o600) != nil {
		return ""
	}
	return f
}

// findRecord returns the record of the process that took lock l, nil
// when there is none: a record of l's pid on l's host, by l's user,
// started before l was taken and at most recordWindow before.
func findRecord(l diyLock) *engineRecord {
	dir, err := recordDir()
	if err != nil {
		return nil
	}
	b, err := os.ReadFile(recordPath(dir, l.Hostname, l.Pid))
	if err != nil {
		return nil
	}
	var r engineRecord
	if json.Unmarshal(b, &r) != nil || !recordOf(r, l) {
		return nil
	}
	return &r
}

// recordOf reports whether r is the record of the process that took l.
func recordOf(r engineRecord, l diyLock) bool {
	return r.Pid == l.Pid && r.Host == l.Hostname && r.User == l.Username &&
		!r.Started.After(l.Timestamp) && l.Timestamp.Sub(r.Started) <= recordWindow
}

// dropRecord removes the record of a lock removed as stale.
func dropRecord(l diyLock) {
	if dir, err := recordDir(); err == nil {
		_ = os.Remove(recordPath(dir, l.Hostname, l.Pid))
	}
}
