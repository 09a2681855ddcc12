package guestrules

import (
	"reflect"
	"strings"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

func TestEnv(t *testing.T) {
	if Env(nil) != nil {
		t.Error("no variables: the agent's environment")
	}
	if got := Env(map[string]string{"B": "2", "A": "1"}); !reflect.DeepEqual(got, []string{"A=1", "B=2", "PATH=" + DefaultGuestPath}) {
		t.Errorf("got %q", got)
	}
	if got := Env(map[string]string{"PATH": "/x"}); !reflect.DeepEqual(got, []string{"PATH=/x"}) {
		t.Errorf("a PATH given stays: %q", got)
	}
}

func TestJudge(t *testing.T) {
	res := func(code, sig int) *qgaclient.ExecResult {
		return &qgaclient.ExecResult{ExecStatus: qgaclient.ExecStatus{Exited: true, ExitCode: code, Signal: sig}}
	}
	for _, c := range []struct {
		name      string
		res       *qgaclient.ExecResult
		ok        []int
		status    int
		failed    bool
		failWords string
	}{
		{"zero", res(0, 0), nil, 0, false, ""},
		{"non-zero", res(3, 0), nil, 3, true, "exited with code 3"},
		{"accepted", res(3, 0), []int{0, 3}, 3, false, ""},
		{"signal", res(0, 9), nil, 137, true, "killed by signal 9"},
		{"signal accepted", res(0, 15), []int{143}, 143, false, ""},
	} {
		o := Judge(c.res, c.ok)
		if o.Status != c.status || (o.Failure != nil) != c.failed {
			t.Errorf("%s: status %d failure %v", c.name, o.Status, o.Failure)
		}
		if c.failed && !strings.Contains(o.Failure.Error(), c.failWords) {
			t.Errorf("%s: %v", c.name, o.Failure)
		}
	}
}
