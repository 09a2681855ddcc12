package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// guest_exec runs a command in the guest with guest-exec, the way
// ansible.builtin.command runs one on a host: same creates/removes skips,
// same check-mode behaviour, same result keys.

type execArgs struct {
	connectionArgs  `mapstructure:",squash"`
	Argv            []string          `mapstructure:"argv"`
	Cmd             string            `mapstructure:"cmd"`
	Stdin           string            `mapstructure:"stdin"`
	StdinAddNewline bool              `mapstructure:"stdin_add_newline"`
	StdinSensitive  bool              `mapstructure:"stdin_sensitive"`
	Env             map[string]string `mapstructure:"env"`
	Timeout         int               `mapstructure:"timeout"`
	Creates         string            `mapstructure:"creates"`
	Removes         string            `mapstructure:"removes"`
	StripEmptyEnds  bool              `mapstructure:"strip_empty_ends"`
}

// defaultExecTimeout bounds a command when the task gives no timeout: long
// enough for package installs, short enough that a hung command does not
// hold a play forever.
const defaultExecTimeout = 600

// guestShell runs cmd, and the creates/removes tests.
const guestShell = "/bin/sh"

var guestExecModule = &ansible.Module{
	Name: "guest_exec",
	Spec: withConnectionOptions(ansible.ArgSpec{
		Options: []ansible.Option{
			{Name: "argv", Type: ansible.TypeList},
			{Name: "cmd", Type: ansible.TypeStr},
			{Name: "stdin", Type: ansible.TypeStr, NoLogWhen: "stdin_sensitive"},
			{Name: "stdin_add_newline", Type: ansible.TypeBool, Default: true},
			{Name: "stdin_sensitive", Type: ansible.TypeBool, Default: false},
			{Name: "env", Type: ansible.TypeDict},
			{Name: "timeout", Type: ansible.TypeInt, Default: defaultExecTimeout},
			{Name: "creates", Type: ansible.TypeStr},
			{Name: "removes", Type: ansible.TypeStr},
			{Name: "strip_empty_ends", Type: ansible.TypeBool, Default: true},
		},
		MutuallyExclusive: [][]string{{"argv", "cmd"}},
		RequiredOneOf:     [][]string{{"argv", "cmd"}},
	}),
	Run: runGuestExec,
}

func runGuestExec(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args execArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	argv := args.Argv
	if args.Cmd != "" {
		argv = []string{guestShell, "-c", args.Cmd}
	}
	res := ansible.Result{"changed": false, "cmd": argv, "rc": nil, "stdout": "", "stderr": "", "stdout_lines": []string{}, "stderr_lines": []string{}, "msg": ""}
	if len(argv) == 0 || argv[0] == "" {
		res["rc"] = 256
		return res, errors.New("no command given: argv is empty or cmd is an empty string")
	}
	if args.Timeout <= 0 {
		return res, fmt.Errorf("timeout must be a positive number of seconds, got %d", args.Timeout)
	}
	stdin := args.Stdin
	if stdin != "" && args.StdinAddNewline {
		stdin += "\n"
	}
	if args.StdinSensitive && strings.TrimSpace(args.Stdin) != "" {
		// The argument spec hides the value as given; a command that echoes
		// it usually drops surrounding space or the newline.
		req.Hide(strings.TrimSpace(args.Stdin))
	}
	would := "Did"
	if req.CheckMode {
		would = "Would"
	}
	if req.CheckMode && args.Creates == "" && args.Removes == "" {
		// Nothing to test in the guest: like the command module, skip
		// without connecting.
		res["rc"] = 0
		res["skipped"] = true
		res["msg"] = "Command would have run if not in check mode"
		return res, nil
	}

	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return res, err
	}
	defer g.Close()

	if skip, err := skipForCreatesRemoves(ctx, g, args.Creates, args.Removes, would); err != nil || skip != "" {
		if skip != "" {
			res["rc"] = 0
			res["msg"] = skip
		}
		return res, err
	}
	res["changed"] = true
	if req.CheckMode {
		res["rc"] = 0
		res["msg"] = "Command would have run if not in check mode"
		return res, nil
	}

	cmd := guestrules.Command{
		ExecRequest: qgaclient.ExecRequest{Path: argv[0], Args: argv[1:], Env: guestrules.Env(args.Env), Stdin: []byte(stdin)},
		Timeout:     time.Duration(args.Timeout) * time.Second,
	}
	start := time.Now()
	// The provider's rule too: the command is killed with the processes it
	// started when it outlives the timeout (the agent would leave them
	// running after the task failed), and the error says what was killed.
	out, err := guestrules.Run(ctx, g.client, cmd)
	end := time.Now()
	res["start"], res["end"], res["delta"] = pythonTime(start), pythonTime(end), pythonDelta(end.Sub(start))
	if err != nil {
		return res, err
	}
	return execResult(res, out, args.StripEmptyEnds, req)
}

// execResult fills the command module's result keys from the outcome and
// fails the task when the shared rule says it failed, with the command
// module's messages.
func execResult(res ansible.Result, out *guestrules.Outcome, strip bool, req *ansible.Request) (ansible.Result, error) {
	stdout, stderr := string(out.Stdout), string(out.Stderr)
	if strip {
		stdout = strings.TrimRight(stdout, "\r\n")
		stderr = strings.TrimRight(stderr, "\r\n")
	}
	res["stdout"], res["stderr"] = stdout, stderr
	res["stdout_lines"], res["stderr_lines"] = splitLines(stdout), splitLines(stderr)
	res["pid"] = out.PID
	if out.StdoutTruncated || out.StderrTruncated {
		req.Warn("the guest agent truncated the command's output at its capture limit")
	}
	rc := out.ExitCode
	if out.Signal != 0 {
		// As Python's subprocess reports it, and so Ansible's command module.
		rc = -out.Signal
		res["signal"] = out.Signal
	}
	res["rc"] = rc
	switch {
	case out.Failure == nil:
		return res, nil
	case out.Signal != 0:
		return res, out.Failure
	}
	return res, errors.New("non-zero return code")
}

// skipForCreatesRemoves gives the command module's skip message when
// creates matches something in the guest or removes matches nothing, and
// "" when the command should run.
func skipForCreatesRemoves(ctx context.Context, g *guest, creates, removes, would string) (string, error) {
	if creates != "" {
		found, err := guestPathMatches(ctx, g, creates)
		if err != nil {
			return "", fmt.Errorf("checking creates=%s in the guest: %w", creates, err)
		}
		if found {
			return fmt.Sprintf("%s not run command since '%s' exists", would, creates), nil
		}
	}
	if removes != "" {
		found, err := guestPathMatches(ctx, g, removes)
		if err != nil {
			return "", fmt.Errorf("checking removes=%s in the guest: %w", removes, err)
		}
		if !found {
			return fmt.Sprintf("%s not run command since '%s' does not exist", would, removes), nil
		}
	}
	return "", nil
}

// pathMatchScript exits 0 when $1, a path or glob pattern, matches an
// existing file, directory or symlink. IFS is emptied so that a path with
// spaces stays one word while its glob characters still expand.
const pathMatchScript = `IFS=; for p in $1; do if [ -e "$p" ] || [ -L "$p" ]; then exit 0; fi; done; exit 1`

// guestPathMatches tests a guest path with the guest's shell: the agent
// has no stat command, and a shell glob matches what the command module's
// glob.glob would on the host.
func guestPathMatches(ctx context.Context, g *guest, pattern string) (bool, error) {
	cctx, cancel := g.call(ctx)
	defer cancel()
	out, err := g.client.Exec(cctx, qgaclient.ExecRequest{Path: guestShell, Args: []string{"-c", pathMatchScript, "qga-path-test", pattern}})
	if err != nil {
		return false, err
	}
	switch out.ExitCode {
	case 0:
		return true, nil
	case 1:
		return false, nil
	}
	return false, fmt.Errorf("%s exited %d: %s", guestShell, out.ExitCode, strings.TrimSpace(string(out.Stderr)))
}

// splitLines splits like Python's str.splitlines, which Ansible uses for
// stdout_lines: no empty last element for a trailing newline.
func splitLines(s string) []string {
	if s == "" {
		return []string{}
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// pythonTime formats a time like Python's str(datetime), as the command
// module's start and end.
func pythonTime(t time.Time) string { return t.Format("2006-01-02 15:04:05.000000") }

// pythonDelta formats a duration like Python's str(timedelta): H:MM:SS.ffffff.
func pythonDelta(d time.Duration) string {
	us := d.Microseconds()
	h := us / 3_600_000_000
	m := us / 60_000_000 % 60
	s := us / 1_000_000 % 60
	return fmt.Sprintf("%d:%02d:%02d.%06d", h, m, s, us%1_000_000)
}
