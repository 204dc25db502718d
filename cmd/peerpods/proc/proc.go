// Package proc reads Linux processes from /proc: their state, parent,
// program name and working directory, and the kernel's boot and this
// process's PID namespace. The peerpods command uses it to tell a lock of
// a dead pulumi from a live one and to find the orphaned plugins of an
// interrupted run; the fault tests to follow and kill process trees.
package proc

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Zombie is the state of a process that exited and waits to be reaped.
const Zombie = "Z"

// Stat returns the state letter (R, S, Z, ...) and the parent pid of
// pid, false when there is no such process.
func Stat(pid int) (state string, ppid int, ok bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 2 {
		return "", 0, false
	}
	ppid, err = strconv.Atoi(f[1])
	return f[0], ppid, err == nil
}

// Alive reports whether pid is a process that has not exited (a zombie
// has).
func Alive(pid int) bool {
	state, _, ok := Stat(pid)
	return ok && state != Zombie
}

// Comm returns the program name of pid (/proc/<pid>/comm, at most 15
// bytes), "" when there is no such process.
func Comm(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Cwd returns the working directory of pid, "" when it cannot be read.
func Cwd(pid int) string {
	dir, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "cwd"))
	if err != nil {
		return ""
	}
	return dir
}

// Pids lists the processes that exist now.
func Pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// Tree returns pid and all its descendants.
func Tree(pid int) []int {
	children := map[int][]int{}
	for _, p := range Pids() {
		if _, ppid, ok := Stat(p); ok {
			children[ppid] = append(children[ppid], p)
		}
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// BootID returns the kernel's boot id (/proc/sys/kernel/random/boot_id): a
// random UUID drawn at every boot, "" when it cannot be read.
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// BootTime returns when the kernel booted (btime of /proc/stat), the zero
// time when it cannot be read.
func BootTime() time.Time {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}
	}
	return bootTime(b)
}

// bootTime parses the btime line of /proc/stat.
func bootTime(stat []byte) time.Time {
	for _, line := range strings.Split(string(stat), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "btime" {
			if s, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return time.Unix(s, 0)
			}
		}
	}
	return time.Time{}
}

// PidNS returns the PID namespace of this process (/proc/self/ns/pid,
// "pid:[inode]"), "" when it cannot be read.
func PidNS() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}
