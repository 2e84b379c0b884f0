package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// proc is one running server.
type proc struct {
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{}
}

// startProc starts argv with its output in logFile and waits until addr
// answers with a 220 greeting.
func startProc(argv []string, extraEnv []string, addr, logFile string) (*proc, error) {
	lf, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.Env = append(os.Environ(), extraEnv...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		lf.Close()
		return nil, err
	}
	p := &proc{cmd: cmd, addr: addr, log: logFile, done: make(chan struct{})}
	go func() { cmd.Wait(); lf.Close(); close(p.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-p.done:
			return nil, fmt.Errorf("%s exited at start: %s", filepath.Base(argv[0]), tail(logFile))
		default:
		}
		if greet(addr) == nil {
			return p, nil
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("%s did not greet on %s within 15s: %s", filepath.Base(argv[0]), addr, tail(logFile))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func greet(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "220") {
		return fmt.Errorf("greeting %q", strings.TrimSpace(line))
	}
	return nil
}

func tail(file string) string {
	b, _ := os.ReadFile(file)
	s := strings.TrimSpace(string(b))
	if len(s) > 400 {
		s = "..." + s[len(s)-400:]
	}
	return s
}

// stop ends the server and every process it forked.
func (p *proc) stop() {
	pids := descendants(p.cmd.Process.Pid)
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	for _, pid := range pids {
		if pid != p.cmd.Process.Pid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// descendants lists pid and every process below it, from /proc.
func descendants(root int) []int {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// The command name may hold spaces; fields after ")" are fixed.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		children[ppid] = append(children[ppid], pid)
	}
	out := []int{root}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// treeMemory sums VmRSS and PSS over the server's process tree, in bytes,
// and counts the processes. RSS counts pages shared between processes once
// per process; PSS divides them among the processes sharing them.
func treeMemory(root int) (rss, pss int64, procs int) {
	pids := descendants(root)
	for _, pid := range pids {
		rss += kbField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
		pss += kbField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
	}
	return rss, pss, len(pids)
}

// kbField reads a "Name: N kB" line of a /proc file, in bytes.
func kbField(file, name string) int64 {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseInt(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
